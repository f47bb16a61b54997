"""One ETL run at a time: a PostgreSQL advisory lock, or an advisory lock on a file for SQLite.

On PostgreSQL the lock lives in the database, so it holds across every process and host that
loads into it; on SQLite the database is a file on this machine and so is its lock.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from etl.errors import RunLockedError
from etl.store import backend
from etl.store.locks import LockHeld, advisory_lock


@contextmanager
def run_lock(path: Path, database_url: str | None = None) -> Iterator[None]:
    """Hold the ETL lock of the store at `database_url`: the file `path` for SQLite.

    Either way the lock goes when its holder dies, even by SIGKILL: the kernel drops a dead
    process's flock, the server a dead session's advisory lock.
    """
    if database_url is not None and backend(database_url) == "postgresql":
        with ExitStack() as stack:
            try:
                stack.enter_context(advisory_lock(database_url))
            except LockHeld as exc:
                raise RunLockedError(
                    f"another ETL run holds the lock ({exc.holder}); try again later"
                ) from exc
            yield
        return
    with _file_lock(path):
        yield


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLockedError(
                f"another ETL run holds the lock ({holder}); try again later"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
