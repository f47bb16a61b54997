"""One ETL run at a time, across processes: a PostgreSQL advisory lock held on a session of
its own, or the flock of a file for SQLite. A run that finds it held exits 3."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from etl.errors import RunLockedError
from etl.lock import run_lock
from etl.reference import load_reference
from etl.store import open_store, reads
from tests.factories import REFERENCE_DIR, good_file, store_url

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from pathlib import Path
from etl.lock import run_lock
with run_lock(Path(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def setup(tmp_path: Path, backend: str) -> tuple[str, Path, dict[str, str]]:
    url = store_url(tmp_path)
    store = open_store(url)
    load_reference(store, REFERENCE_DIR)
    store.dispose()
    lock = tmp_path / "etl.lock"
    env = {**os.environ, "DATABASE_URL": url, "ETL_LOCK_PATH": str(lock)}
    return url, lock, env


def _holder(url: str, lock: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock), url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _import(env: dict[str, str], path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "etl", "import", "--source", "hxl", str(path)],
        env=env,
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_run_that_finds_the_lock_held_exits_3_and_a_killed_holder_frees_it(
    setup, tmp_path: Path, backend: str
) -> None:
    url, lock, env = setup
    holder = _holder(url, lock)
    try:
        refused = _import(env, good_file(tmp_path))
        assert refused.returncode == 3, refused.stderr
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith("error: another ETL run holds the lock (")
        if backend == "postgresql":
            assert f"etl pid {holder.pid} on " in line  # who holds it, as the server knows
        else:
            assert f"pid {holder.pid}" in line
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    # The holder died without letting go: the server (or the kernel) released its lock.
    loaded = _import(env, good_file(tmp_path))
    assert loaded.returncode == 0, loaded.stderr
    store = open_store(url)
    assert list(reads.runs(store.engine)["status"]) == ["loaded"]
    store.dispose()


def test_the_lock_is_one_holder_at_a_time_even_within_a_process(setup) -> None:
    url, lock, _ = setup
    with (
        run_lock(lock, url),
        pytest.raises(RunLockedError, match="another ETL run"),
        run_lock(lock, url),
    ):
        pass
    with run_lock(lock, url):  # released on the way out
        pass


def test_an_error_inside_the_run_releases_the_lock(setup) -> None:
    url, lock, _ = setup
    with pytest.raises(ZeroDivisionError), run_lock(lock, url):
        1 / 0  # noqa: B018
    with run_lock(lock, url):
        pass


def test_postgresql_takes_no_lock_file(setup, backend: str) -> None:
    url, lock, _ = setup
    with run_lock(lock, url):
        assert lock.exists() == (backend == "sqlite")
