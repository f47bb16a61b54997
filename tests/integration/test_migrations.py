"""Schema migrations (Alembic) on SQLite and PostgreSQL: a new store, a store made before
migrations existed, several processes opening one new store at once, and `etl db`."""

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from etl.cli import app
from etl.pipeline import import_hxl
from etl.store import MigrationError, Store, StoreError, migrate, open_store
from etl.store.rekey import rekey_figures
from schemas import tables
from schemas.figures import NATURAL_KEY
from tests.factories import (
    copy_reference,
    figure_summary,
    good_file,
    make_store,
    runs,
    store_url,
)

ROOT = Path(__file__).resolve().parents[2]


def _diff(url: str) -> list:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata
        )
    engine.dispose()
    return found


def _legacy(url: str, like: Store | None = None) -> None:
    """A store as `open_store` made it before migrations (the first revision's tables, no
    alembic_version), holding the rows of the first revision's tables of `like`."""
    migrate.upgrade(url, migrate.BASELINE)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
        for name in migrate.baseline_tables() if like else ():
            table = tables.metadata.tables[name]
            # Only the columns the first revision had: later ones did not exist then.
            had = {c["name"] for c in sa.inspect(conn).get_columns(name)}
            with like.engine.connect() as source:
                rows = [
                    {k: v for k, v in r.items() if k in had}
                    for r in source.execute(sa.select(table)).mappings()
                ]
            if rows:
                conn.execute(table.insert(), rows)
    engine.dispose()


def test_a_new_database_gets_every_table_at_the_latest_revision(tmp_path, backend) -> None:
    url = store_url(tmp_path, migrated=False)
    assert migrate.revision_at(url) is None
    store = open_store(url)
    assert store.revision() == migrate.head()
    store.dispose()
    # The migrations make exactly what schemas/tables.py declares: columns, types, indexes.
    assert _diff(url) == []


def test_the_migrations_make_the_same_sqlite_schema_as_create_all(tmp_path) -> None:
    migrated, legacy = tmp_path / "migrated.db", tmp_path / "legacy.db"
    open_store(f"sqlite:///{migrated}").dispose()
    engine = sa.create_engine(f"sqlite:///{legacy}", poolclass=sa.pool.NullPool)
    tables.metadata.create_all(engine)
    engine.dispose()

    def ddl(path: Path) -> dict[str, str]:
        with sqlite3.connect(path) as conn:
            rows = conn.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
            ).fetchall()
        # Spacing aside: SQLite writes a column added by ALTER TABLE as " , name TYPE)".
        return {name: re.sub(r"\s*([,()])\s*", r"\1", " ".join(sql.split())) for name, sql in rows}

    assert ddl(migrated) == ddl(legacy)


def test_a_store_made_before_migrations_is_stamped_and_keeps_its_data(tmp_path, backend) -> None:
    made = make_store(tmp_path, name="made.db")
    assert import_hxl(made, good_file(tmp_path)).ok
    before = figure_summary(made)
    url = store_url(tmp_path, migrated=False)
    _legacy(url, like=made)
    made.dispose()
    assert migrate.revision_at(url) is None
    store = open_store(url)
    assert store.revision() == migrate.head()
    assert figure_summary(store) == before
    assert [r["status"] for r in runs(store)] == ["loaded"]
    store.dispose()
    assert _diff(url) == []


def _sha1_id(key: dict[str, object]) -> str:
    """A figure's id as revisions before 0004 made it: SHA-1 of its joined key."""
    parts = ["" if key[c] is None else str(key[c]) for c in NATURAL_KEY if c != "cause"]
    parts += [f"cause={key['cause']}"] if key["cause"] else []
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


def test_0004_gives_stored_figures_the_ids_their_keys_have_now(tmp_path, backend) -> None:
    store = make_store(tmp_path)
    path = good_file(tmp_path)
    assert import_hxl(store, path).ok
    before = figure_summary(store)
    command.downgrade(migrate.alembic_config(store.url), "0003")
    f = tables.figures
    with store.engine.begin() as conn:
        keys = [
            dict(r)
            for r in conn.execute(
                sa.select(f.c.figure_id, *(f.c[c] for c in NATURAL_KEY))
            ).mappings()
        ]
        for key in keys:
            conn.execute(
                f.update().where(f.c.figure_id == key["figure_id"]).values(figure_id=_sha1_id(key))
            )
    assert migrate.upgrade(store.url) == migrate.head()
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(f.c.figure_id)).scalars()
        assert sorted(stored) == sorted(k["figure_id"] for k in keys)
    assert figure_summary(store) == before
    with store.engine.begin() as conn:  # every id is its key's already
        assert rekey_figures(conn) == 0
    # A reload of the same file finds every figure it stored.
    again = import_hxl(store, path)
    assert (again.changes.added, again.changes.removed) == (0, 0)
    assert again.changes.unchanged == len(keys)
    store.dispose()


def test_a_database_with_only_some_of_the_tables_is_refused(tmp_path, backend) -> None:
    url = store_url(tmp_path, migrated=False)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tables.figures.create(engine)
    engine.dispose()
    with pytest.raises(MigrationError, match="some of the store's tables"):
        open_store(url)


def test_a_database_migrated_past_this_version_is_a_clear_error(tmp_path, backend) -> None:
    url = store_url(tmp_path)
    open_store(url).dispose()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    engine.dispose()
    with pytest.raises(StoreError, match="cannot migrate the store"):
        open_store(url)


def test_downgrade_to_nothing_and_up_again(tmp_path, backend) -> None:
    url = store_url(tmp_path)
    open_store(url).dispose()
    command.downgrade(migrate.alembic_config(url), "base")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    assert migrate.upgrade(url) == migrate.head()
    assert _diff(url) == []


def test_several_processes_opening_one_new_store_migrate_it_once(tmp_path, backend) -> None:
    url = store_url(tmp_path, migrated=False)
    script = "import sys; from etl.store import open_store; open_store(sys.argv[1]).dispose()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, url], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert migrate.revision_at(url) == migrate.head()
    assert _diff(url) == []


def _db(url: str, *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["db", *args], env={"DATABASE_URL": url})
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    return result


def test_etl_db_upgrade_and_current(tmp_path, backend, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = store_url(tmp_path, migrated=False)
    head = migrate.head()
    current = _db(url, "current")
    assert current.exit_code == 0
    assert f"revision none (head is {head}: run `python -m etl db upgrade`)" in current.stdout
    upgraded = _db(url, "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"revision {head} (head), was empty" in upgraded.stdout
    again = _db(url, "upgrade")
    assert f"revision {head} (head), unchanged" in again.stdout
    assert f"revision {head} (head)" in _db(url, "current").stdout
    if backend == "postgresql":
        assert ":***@" in again.stdout  # never the password


def test_etl_db_on_an_unreachable_store_is_one_error_line(tmp_path, backend, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    if backend == "postgresql":
        url = sa.make_url(store_url(tmp_path)).set(password="wrong").render_as_string(False)
    else:
        (tmp_path / "not-a-db").write_text("hello, world " * 100)
        url = f"sqlite:///{tmp_path / 'not-a-db'}"
    for command_name in ("current", "upgrade"):
        result = _db(url, command_name)
        assert result.exit_code == 1
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: ")


def test_refresh_into_an_empty_database_migrates_it_first(tmp_path, backend) -> None:
    url = store_url(tmp_path, migrated=False)
    data = copy_reference(tmp_path / "data")
    good_file(data / "bundled", name="good.csv")
    config = tmp_path / "sources.toml"
    config.write_text('[hxl]\nenabled = true\nfiles = ["bundled/good.csv"]\n')
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATA_DIR": str(data),
        "SOURCES_CONFIG": str(config),
        "ETL_LOCK_PATH": str(tmp_path / "etl.lock"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "etl", "refresh"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert migrate.revision_at(url) == migrate.head()
    store = open_store(url, create=False)
    assert len(figure_summary(store)) == 5
    store.dispose()
