"""Engines for the store: SQLite by default, PostgreSQL by URL."""

from pathlib import Path

import sqlalchemy as sa

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def default_url() -> str:
    """The default store: a SQLite file under data/."""
    return f"sqlite:///{DATA_DIR / 'displacement.db'}"


def normalize_url(url: str) -> sa.URL:
    """`url` as SQLAlchemy reads it; `postgres://` and `postgresql://` mean psycopg 3."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def backend(url: str) -> str:
    """`sqlite` or `postgresql` (or whatever other dialect the URL names)."""
    return normalize_url(url).get_backend_name()


def display_url(url: str) -> str:
    """`url` fit for a message or a log: the password masked."""
    return normalize_url(url).render_as_string(hide_password=True)


def sqlite_file_missing(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (yet)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return not Path(parsed.database).exists()


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    # WAL lets the dashboard read the last committed data while a load writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _reopen_when_replaced(engine: sa.Engine, path: Path) -> None:
    """Pool a SQLite file's connections, each only while the file is the one it opened."""

    @sa.event.listens_for(engine, "connect")
    def _remember(_dbapi_conn: object, record: sa.pool.ConnectionPoolEntry) -> None:
        record.info["file"] = _file_identity(path)

    @sa.event.listens_for(engine, "checkout")
    def _check(
        _dbapi_conn: object, record: sa.pool.ConnectionPoolEntry, _proxy: object
    ) -> None:
        current = _file_identity(path)
        if current is None or record.info.get("file") != current:
            # The pool closes this connection and opens a new one on the file there now.
            raise sa.exc.DisconnectionError(f"{path.name} was replaced or removed")


def _postgresql_utc(dbapi_conn: object, _record: object) -> None:
    # Timestamps come back in UTC whatever the server's TimeZone, as the dashboard shows them.
    dbapi_conn.execute("SET TIME ZONE 'UTC'")  # type: ignore[attr-defined]
    dbapi_conn.commit()  # type: ignore[attr-defined]


def make_engine(url: str) -> sa.Engine:
    """An engine for the store at `url`, with the pragmas SQLite needs."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
        else:
            # Pooled: opening a connection and setting its pragmas cost more than most of the
            # dashboard's reads. A connection whose file was replaced or removed since it
            # opened is dropped on checkout, so a new store file is still noticed.
            engine = sa.create_engine(parsed)  # a file: SQLAlchemy pools it (QueuePool)
            _reopen_when_replaced(engine, Path(parsed.database))
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server restarted under a long-lived dashboard: test each pooled connection on checkout.
    engine = sa.create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "connect", _postgresql_utc)
    return engine


def make_migration_engine(url: str) -> sa.Engine:
    """An engine whose transactions take the database's write lock at BEGIN.

    SQLite: pysqlite would commit before each DDL statement, so a migration would not be one
    transaction and two processes could run it at once; `BEGIN IMMEDIATE` makes it atomic and
    serialises it. PostgreSQL: the same engine as any other (DDL is transactional there).
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _autocommit_driver(dbapi_conn: object, _record: object) -> None:
            dbapi_conn.isolation_level = None  # type: ignore[attr-defined]

        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
