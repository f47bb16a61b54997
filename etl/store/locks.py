"""Locks the database itself holds: one ETL run at a time across processes and hosts."""

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import sqlalchemy as sa

from etl.store.connection import normalize_url

# pg_advisory_lock key of the ETL run lock ("ddetlrun"); advisory keys are per database.
ETL_LOCK_KEY = 0x6464_6574_6C72_756E


class LockHeld(Exception):
    """Another session holds the lock; `holder` says who, as well as the server knows."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def _holder(conn: sa.Connection, key: int) -> str:
    # A bigint key shows in pg_locks as classid (high 32 bits) and objid (low), objsubid 1.
    row = conn.execute(
        sa.text(
            "SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low"
        ),
        {"high": (key >> 32) & 0xFFFF_FFFF, "low": key & 0xFFFF_FFFF},
    ).first()
    if row is None:
        return "another session"
    since = f" since {row.backend_start:%Y-%m-%d %H:%M:%S %Z}" if row.backend_start else ""
    who = row.application_name or f"server pid {row.pid}"
    where = f" from {row.client_addr}" if row.client_addr else ""
    return f"{who}{where}{since}".strip()


@contextmanager
def advisory_lock(url: str, key: int = ETL_LOCK_KEY, name: str = "etl") -> Iterator[None]:
    """Hold a PostgreSQL session advisory lock on a connection of its own, or raise LockHeld.

    The server releases it when the session ends, so a run killed by SIGKILL, or whose host
    died, does not leave it behind (once TCP notices, for a host that vanished).
    """
    label = f"{name} pid {os.getpid()} on {socket.gethostname()}"[:63]
    engine = sa.create_engine(
        normalize_url(url),
        poolclass=sa.pool.NullPool,
        isolation_level="AUTOCOMMIT",  # never "idle in transaction" while the run goes on
        connect_args={
            "application_name": label,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    )
    try:
        with engine.connect() as conn:
            got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar_one()
            if not got:
                raise LockHeld(_holder(conn, key))
            try:
                yield
            finally:
                # A session that died took its lock with it: nothing left to release.
                with suppress(sa.exc.DBAPIError):
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
    finally:
        engine.dispose()
