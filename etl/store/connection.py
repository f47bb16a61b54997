"""Engines for the store: SQLite by default, PostgreSQL by URL."""

from pathlib import Path

import sqlalchemy as sa

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def default_url() -> str:
    """The default store: a SQLite file under data/."""
    return f"sqlite:///{DATA_DIR / 'displacement.db'}"


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    # WAL lets the dashboard read the last committed data while a load writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    """An engine for the store at `url`, with the pragmas SQLite needs."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # SQLite connections are cheap: a new one per use notices a file that was replaced.
    pool = {"poolclass": sa.pool.NullPool} if url.startswith("sqlite") else {}
    engine = sa.create_engine(url, **pool)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine
