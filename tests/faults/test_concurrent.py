"""Two ETL runs started at once: one loads, the other says the lock is held and exits 3."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from etl.reference import load_reference
from etl.store import open_store, reads
from tests.factories import REFERENCE_DIR
from tests.faults.test_kill import _write


def test_a_second_run_finds_the_lock_held(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    lock = tmp_path / "etl.lock"
    env = {**os.environ, "DATABASE_URL": url, "ETL_LOCK_PATH": str(lock)}
    store = open_store(url)
    load_reference(store, REFERENCE_DIR)
    big = tmp_path / "big.csv"
    _write(big, 0)
    first = subprocess.Popen(
        [sys.executable, "-m", "etl", "import", "--source", "hxl", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    # The first run writes its pid into the lock file once it holds the lock.
    while "pid" not in (lock.read_text() if lock.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.005)
    # A fast load can finish before a second interpreter has even started, so the first run is
    # paused while it holds the lock: the second then meets the lock however fast the machine.
    first.send_signal(signal.SIGSTOP)
    try:
        assert first.poll() is None, "the first run ended before it could be paused"
        assert f"pid {first.pid}" in lock.read_text()
        second = subprocess.run(
            [sys.executable, "-m", "etl", "import", "--source", "hxl", str(big)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=120) == 0
    assert second.returncode == 3, second.stderr
    assert second.stderr.strip().startswith("error: another ETL run holds the lock")
    runs = reads.runs(store.engine)
    assert list(runs["status"]) == ["loaded"]
    store.dispose()
