"""One ETL run at a time on this machine: an advisory lock on a file."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from etl.errors import RunLockedError


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold the ETL lock; the kernel releases it when the holder dies, even by SIGKILL."""
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
