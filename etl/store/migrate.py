"""Schema migrations of the store (Alembic), run from code: no alembic.ini needed.

`upgrade(url)` brings a database to the latest revision in one transaction that holds the
database's write lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction advisory lock), so
several processes opening the same new store at once migrate it once. A store made before
migrations existed (its tables are there, alembic_version is not) is stamped at the first
revision, which created exactly those tables, then upgraded like any other.
"""

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from etl.store.connection import (
    make_engine,
    make_migration_engine,
    normalize_url,
    sqlite_file_missing,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# pg_advisory_xact_lock key that serialises migrations of one PostgreSQL database ("ddmigrat").
MIGRATION_LOCK_KEY = 0x6464_6D69_6772_6174


class MigrationError(sa.exc.SQLAlchemyError):
    """The database holds something the migrations cannot take over."""


def alembic_config(url: str | None = None, connection: sa.Connection | None = None) -> Config:
    """An Alembic config for the store's migrations, on `connection` or at `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # ConfigParser interpolates '%': a password may hold one.
        rendered = normalize_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The latest revision the package ships."""
    found = _scripts().get_current_head()
    assert found is not None, f"no revisions in {MIGRATIONS}"
    return found


def baseline_tables() -> tuple[str, ...]:
    """The tables of the first revision: what a store made before migrations has."""
    return tuple(_scripts().get_revision(BASELINE).module.TABLES)


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at; None before any migration ran."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(engine: sa.Engine) -> bool:
    """True when the database is at the latest revision."""
    return current_revision(engine) == head()


def _adopt_legacy(conn: sa.Connection) -> None:
    """Stamp a store made by `create_all` before migrations existed at the baseline."""
    names = set(sa.inspect(conn).get_table_names())
    if "alembic_version" in names:
        return
    ours = set(baseline_tables())
    found = ours & names
    if not found:
        return
    if found != ours:
        raise MigrationError(
            f"the database has some of the store's tables ({', '.join(sorted(found))}) but not "
            f"{', '.join(sorted(ours - found))}, and no alembic_version: not a store this "
            "version knows how to upgrade"
        )
    command.stamp(alembic_config(connection=conn), BASELINE)


def upgrade(url: str, revision: str = "head") -> str | None:
    """Bring the database at `url` to `revision` (default the latest); returns where it is."""
    engine = make_migration_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            _adopt_legacy(conn)
            command.upgrade(alembic_config(connection=conn), revision)
            return MigrationContext.configure(conn).get_current_revision()
    except CommandError as exc:
        # For example a database a newer version of the package has migrated past our head.
        raise MigrationError(f"cannot migrate the store: {exc}") from exc
    finally:
        engine.dispose()


def ensure_current(engine: sa.Engine, url: str) -> None:
    """Upgrade the database unless it already is at the latest revision (one cheap query)."""
    if not is_current(engine):
        upgrade(url)


def revision_at(url: str) -> str | None:
    """The revision of the database at `url`, without creating or changing anything."""
    if sqlite_file_missing(url):
        return None
    engine = make_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()
