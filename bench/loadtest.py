"""Load test: simultaneous users changing filters against gunicorn on 127.0.0.1.

    python -m bench.loadtest [--users 50] [--seconds 60] [--think 0] [--warmup 0]
                             [--database-url URL]

Every request goes to a gunicorn this script starts on a loopback port and stops; each user
is bounded in time and in requests. Without --database-url it serves a copy of the bundled
data. With --think, a user pauses about that many seconds (0.5 to 1.5 times, at random)
between two changes, as a coordinator reading the page does, and starts at a random moment
of its first pause, so fifty people reading are not fifty clicks in the same millisecond;
without, every user starts at once and sends its next change as soon as the last is
answered (a stress test). With --warmup, the users run that many seconds more
first, unmeasured: a server that has run for a while holds the places coordinators look at
in its cache, one just started reads each the first time. Prints throughput, p50/p95/p99
latency and errors of the measured seconds, and writes bench/results/loadtest.json.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.dashclient import (
    browser_session,
    callback,
    dependencies,
    filter_changes,
    free_port,
    layout_values,
    payload,
    percentile,
    render_values,
)
from etl.store import open_store, reads

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "loadtest.json"
MAX_REQUESTS_PER_USER = 10_000


def _bundled_store(folder: Path) -> str:
    """A store of what `make run` loads: `etl refresh` of the bundled HXL file and ISIMM months."""
    url = f"sqlite:///{folder / 'bundled.db'}"
    env = {**os.environ, "DATABASE_URL": url, "ETL_LOCK_PATH": str(folder / "etl.lock")}
    subprocess.run(
        [sys.executable, "-m", "etl", "refresh"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) that gunicorn's master and its workers have used so far,
    workers it has recycled included.

    Read from /proc: latency under load swings with the machine, the server's CPU time per
    change much less.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, ..., utime (14th field), stime (15th), cutime and
        # cstime (16th, 17th) of stat(5).
        own_pid = int(stat.parent.name)
        if own_pid == pid:
            # The master's children's times count the workers it has reaped: gunicorn
            # replaces a worker after `max_requests`, and a busy run would lose its CPU.
            total += sum(int(field) for field in fields[11:15]) / ticks
        elif int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _user(
    base: str,
    bodies: list[list[dict]],
    window: tuple[float, float],
    out: list,
    errors: list,
    think: float,
    seed: int,
) -> None:
    session = browser_session()
    pauses = random.Random(seed)
    if think:
        time.sleep(think * pauses.uniform(0.0, 1.0))
    for i, change in enumerate(bodies[:MAX_REQUESTS_PER_USER]):
        if i and think:
            time.sleep(think * pauses.uniform(0.5, 1.5))
        measure_from, stop_at = window
        if time.monotonic() >= stop_at:
            return
        measured = time.monotonic() >= measure_from
        started = time.perf_counter()
        # A change fires the page's callbacks; a browser sends them at once, a user here one
        # after the other: the time counted is their sum, never less than the browser's.
        failure: object = None
        for body in change:
            try:
                response = session.post(f"{base}/_dash-update-component", json=body, timeout=60)
                if response.status_code != 200:
                    failure = failure or response.status_code
            except requests.RequestException as exc:
                failure = failure or exc
        elapsed = (time.perf_counter() - started) * 1000
        if measured:
            out.append(elapsed)
        if failure is not None:
            # An error counts whenever it happens: warming up is no excuse for one.
            errors.append(f"change {i}: {failure}")


def run(
    users: int,
    seconds: float,
    database_url: str | None,
    think: float = 0.0,
    warmup: float = 0.0,
) -> dict:
    """Start gunicorn, drive `users` threads for `warmup` then `seconds`, stop, and report
    on the `seconds`."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or _bundled_store(Path(tmp))
        store = open_store(url, create=False)
        places = reads.places(store.engine).to_dict("records")
        first, last = (d.isoformat() for d in reads.date_extent(store.engine))
        store.dispose()
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        log = open(Path(tmp) / "gunicorn.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(gunicorn), "-c", "deploy/gunicorn.conf.py", "dashboard.app:server"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if requests.get(base + "/healthz", timeout=2).ok:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    time.sleep(0.3)
            session = browser_session()
            deps = dependencies(session, base)
            # What a filter change fires on the page: the cards and breakdown, the series, the map.
            fired = [
                callback(deps, "cards.children"),
                callback(deps, "timeseries.figure"),
                callback(deps, "map.figure"),
            ]
            defaults = layout_values(session, base)
            measure_from = time.monotonic() + warmup
            window = (measure_from, measure_from + seconds)
            latencies: list[float] = []
            errors: list[str] = []
            threads = []
            for u in range(users):
                changes = filter_changes(places, first, last, 2_000, seed=u)
                bodies = [
                    [payload(dep, render_values(c, defaults), [c["changed"]]) for dep in fired]
                    for c in changes
                ]
                threads.append(
                    threading.Thread(
                        target=_user,
                        args=(base, bodies, window, latencies, errors, think, u),
                    )
                )
            for t in threads:
                t.start()
            time.sleep(max(0.0, measure_from - time.monotonic()))
            cpu_from = _cpu_seconds(proc.pid)
            for t in threads:
                t.join(timeout=warmup + seconds + 120)
            wall = time.monotonic() - measure_from
            cpu = _cpu_seconds(proc.pid) - cpu_from
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
    return {
        "users": users,
        "think_seconds": think,
        "warmup_seconds": warmup,
        "seconds": round(wall, 1),
        "requests": len(latencies),
        "callbacks_per_request": len(fired),
        "throughput_rps": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "server_cpu_ms_per_change": round(cpu * 1000 / len(latencies), 1) if latencies else None,
        "errors": len(errors),
        "first_errors": errors[:5],
        "store": "bundled" if database_url is None else database_url.rsplit("/", 1)[-1],
        "workers": os.environ.get("GUNICORN_WORKERS", "cpu count + 1"),
    }


def main() -> None:
    """Parse the options, run, print and save the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    report = run(
        args.users,
        min(args.seconds, 600),
        args.database_url,
        max(args.think, 0.0),
        min(max(args.warmup, 0.0), 600),
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
