"""SIGKILL in the middle of a load never leaves a half-loaded source, and the next run works:
on SQLite and on PostgreSQL (where the kill also drops the run's advisory lock)."""

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from etl.reference import load_reference
from etl.store import open_store, reads
from tests.factories import REFERENCE_DIR, store_url

ROWS = 20_000
KILLS = 20


def _write(path: Path, version: int) -> None:
    """An HXL file of ROWS idps stocks in Idleb, one per day; `version` shifts every value."""
    start = dt.date(1970, 1, 1)
    lines = ["As of,Governorate,IDPs,Source", "#date,#adm1+code,#affected+idps,#meta+source"]
    lines += [
        f"{start + dt.timedelta(days=i)},SY07,{i * 10 + version},Kill test" for i in range(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _state(url: str) -> int | None:
    """Which version the store holds (0 or 1), or None for anything mixed."""
    store = open_store(url)
    figs = reads.figures(store.engine, sources=["hxl"])
    store.dispose()
    if len(figs) != ROWS:
        return None
    versions = set((figs["value"].astype(int) % 10).tolist())
    return versions.pop() if len(versions) == 1 else None


def _import(env: dict[str, str], path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "etl",
            "import",
            "--source",
            "hxl",
            "--dataset",
            "kill.csv",
            str(path),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_at_random_moments_leaves_old_or_new_data(tmp_path: Path) -> None:
    url = store_url(tmp_path, "kill.db")  # a SQLite file, or a PostgreSQL database
    env = {**os.environ, "DATABASE_URL": url, "ETL_LOCK_PATH": str(tmp_path / "etl.lock")}
    store = open_store(url)
    load_reference(store, REFERENCE_DIR)
    store.dispose()
    files = [tmp_path / "v0.csv", tmp_path / "v1.csv"]
    for version, path in enumerate(files):
        _write(path, version)
    assert _import(env, files[0]).wait(timeout=120) == 0
    assert _state(url) == 0
    # Time one whole load, so the kills land all along it: before, during and after the write.
    started = time.monotonic()
    assert _import(env, files[1]).wait(timeout=120) == 0
    whole = time.monotonic() - started
    assert _state(url) == 1
    rng = random.Random(20200128)
    outcomes = []
    for _ in range(KILLS):
        held = _state(url)
        assert held in (0, 1)
        proc = _import(env, files[1 - held])
        time.sleep(rng.uniform(0.05, whole * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        after = _state(url)
        assert after in (0, 1), "a killed load left a half-loaded source"
        outcomes.append(after != held)
    # The lock of a killed run is not left behind: the next run takes it and loads.
    held = _state(url)
    assert _import(env, files[1 - held]).wait(timeout=120) == 0
    assert _state(url) == 1 - held
    assert not all(outcomes), "no kill landed before the commit"
