"""`python -m bench` (`make bench`): every benchmark on this machine, next to its floor.

Writes bench/results/latest.json and bench/results/latest.md. Sizes and repetitions are chosen
so a run finishes in well under 15 minutes on a 2-core machine; `--quick` runs small sizes
to check the harness itself. All traffic goes to 127.0.0.1; servers started here are stopped here.
"""

import argparse
import csv
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import dashclient, loadtest, report
from bench.dashclient import serving
from bench.report import LINEAR_EXPONENT

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PLACES = 350  # admin units: a tree the size of Syria's (14 : 62 : 272)
SOURCES = 5
SEED = 42
# A coordinator reads the page a few seconds before the next change (the paced load test).
THINK_SECONDS = 5.0
# Unmeasured seconds first: a server in service has the places coordinators look at cached.
WARMUP_SECONDS = 30.0
FIRST, LAST = "2019-01-01", "2023-12-31"  # what etl.synth generates by default (5 years)


@dataclass(frozen=True)
class Plan:
    """Sizes, repetitions and time budgets of one run."""

    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    reps: tuple[int, ...] = (3, 3, 1)  # project runs per size
    floor_reps: tuple[int, ...] = (3, 3, 2)
    profile_size: int = 100_000
    changes: int = 200
    render_budget_s: float = 120
    sync_budget_s: float = 45
    noop_budget_s: float = 45
    page_runs: int = 3
    profile_callbacks: int = 3  # the national view, then the first changes of the sequence
    deadline_s: float = 12.5 * 60  # optional steps (profiles) are skipped after this


QUICK = Plan(
    sizes=(2_000, 10_000, 30_000),
    reps=(1, 1, 1),
    floor_reps=(1, 1, 1),
    profile_size=10_000,
    changes=30,
    render_budget_s=30,
    sync_budget_s=15,
    noop_budget_s=15,
    page_runs=1,
    profile_callbacks=3,
)


class Clock:
    """Progress lines with the time since the start."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def say(self, text: str) -> None:
        m, s = divmod(int(self.elapsed()), 60)
        print(f"[{m:02d}:{s:02d}] {text}", flush=True)


def run_child(args: list[str], *, timeout_s: float = 900) -> tuple[dict[str, Any], int, float]:
    """Run `python <args>`: (its RESULT json, its peak RSS in bytes from os.wait4, wall s)."""
    clock = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    streams: dict[str, bytes] = {}

    def drain(name: str, pipe: Any) -> None:
        streams[name] = pipe.read()

    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for reader in readers:
        reader.start()
    watchdog = threading.Timer(timeout_s, proc.kill)
    watchdog.start()
    try:
        # wait4 reaps this child and gives its own resource usage: peak RSS per measurement.
        _pid, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(timeout=60)
    wall = time.perf_counter() - clock
    text = streams.get("out", b"").decode(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = streams.get("err", b"").decode(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{text[-1000:]}{tail}")
    return json.loads(lines[-1].removeprefix("RESULT ")), usage.ru_maxrss * 1024, wall


def run_cli(args: list[str], *, timeout_s: float = 600) -> float:
    """Run `python <args>` (a command line), return its wall time; fail loudly on error."""
    clock = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.decode(errors='replace')[-2000:]}")
    return time.perf_counter() - clock


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


# --- 1 and 2: ETL and growth -----------------------------------------------------------------


def bench_etl(plan: Plan, work: Path, clock: Clock) -> dict[str, Any]:
    """Synthetic data at each size; the project's import and the floor, alternating."""
    out: dict[str, Any] = {}
    for size, reps, floor_reps in zip(plan.sizes, plan.reps, plan.floor_reps, strict=True):
        folder = work / f"s{_label(size)}"
        csv_path = folder / "figures.csv"
        seconds = run_cli(
            [
                "-m", "etl", "synth",
                "--figures", str(size), "--places", str(PLACES), "--sources", str(SOURCES),
                "--seed", str(SEED), "-o", str(csv_path),
            ]
        )  # fmt: skip
        clock.say(
            f"synth {size:,} figures: {csv_path.stat().st_size / 1e6:.0f} MB in {seconds:.1f} s"
        )
        project, floor = [], []
        for rep in range(max(reps, floor_reps)):
            if rep < floor_reps:
                db = folder / "floor.db"
                _remove_db(db)
                result, rss, _ = run_child(
                    ["-m", "bench.child", "etl-floor", "--csv", str(csv_path), "--ref",
                     str(folder), "--db", str(db)]
                )  # fmt: skip
                _remove_db(db)
                floor.append({**result, "peak_rss_bytes": rss})
                clock.say(
                    f"  ETL floor   {_label(size)} run {rep + 1}: {result['seconds']:.2f} s, "
                    f"peak RSS {rss / 2**20:.0f} MB"
                )
            if rep < reps:
                db = folder / "project.db"
                _remove_db(db)
                if size >= 1_000_000:
                    clock.say(f"  ETL project {_label(size)} run {rep + 1}: running...")
                result, rss, _ = run_child(
                    ["-m", "bench.child", "etl-project", "--csv", str(csv_path), "--ref",
                     str(folder), "--db", str(db)]
                )  # fmt: skip
                if result["status"] != "loaded" or result["rejected"]:
                    raise RuntimeError(f"synthetic data did not load cleanly: {result}")
                project.append({**result, "peak_rss_bytes": rss})
                clock.say(
                    f"  ETL project {_label(size)} run {rep + 1}: {result['seconds']:.2f} s, "
                    f"peak RSS {rss / 2**20:.0f} MB"
                )
        project_s = statistics.median(r["seconds"] for r in project)
        floor_s = statistics.median(r["seconds"] for r in floor)
        project_rss = max(r["peak_rss_bytes"] for r in project)
        out[str(size)] = {
            "folder": str(folder),
            "csv_bytes": csv_path.stat().st_size,
            "synth_seconds": seconds,
            "project": project,
            "floor": floor,
            "project_s": project_s,
            "floor_s": floor_s,
            "ratio": project_s / floor_s,
            "project_rss": project_rss,
            "memory_ratio": project_rss / floor[0]["frame_bytes"],
            "project_rss_before": max(r["rss_before_import_bytes"] for r in project),
            "floor_rss": max(r["peak_rss_bytes"] for r in floor),
            "frame_bytes": floor[0]["frame_bytes"],
            "floor_stages": {
                k: statistics.median(r[k] for r in floor)
                for k in ("read_s", "map_s", "validate_s", "to_tuples_s", "insert_s")
            },
        }
    return out


def growth(etl: dict[str, Any]) -> dict[str, Any]:
    """Time per figure at each size and the exponent k of time ~ figures^k."""
    sizes = sorted(int(s) for s in etl)
    per = {str(s): etl[str(s)]["project_s"] / s * 1e6 for s in sizes}
    floor_per = {str(s): etl[str(s)]["floor_s"] / s * 1e6 for s in sizes}
    xs = [math.log(s) for s in sizes]
    ys = [math.log(etl[str(s)]["project_s"]) for s in sizes]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    last = sizes[-1], sizes[-2]
    step = per[str(last[0])] / per[str(last[1])]
    return {
        "per_figure_us": per,
        "floor_per_figure_us": floor_per,
        "exponent": slope,
        "last_step_ratio": step,
        "linear": slope <= LINEAR_EXPONENT,
    }


# --- 3: callbacks over HTTP ------------------------------------------------------------------


def _places(folder: Path) -> list[dict[str, Any]]:
    with (folder / "places.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for r in rows:
        r["admin_level"] = int(r["admin_level"]) if r["admin_level"] else None
    return rows


def _level(pcode: str) -> str:
    return "area" if "-" in pcode else f"adm{(len(pcode) - 2) // 2}"


def bench_query(plan: Plan, work: Path, db: Path, folder: Path, clock: Clock) -> dict[str, Any]:
    """render and sync_state through the served dashboard; a no-op callback the same way."""
    states = dashclient.filter_changes(_places(folder), FIRST, LAST, plan.changes, SEED)
    distinct = {(s["place"], s["district"], s["start"], s["end"]) for s in states}
    out: dict[str, Any] = {"states": len(states), "distinct_states": len(distinct)}
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    args = ["-m", "dashboard", "--host", "127.0.0.1"]
    with (
        serving(args, work / "dashboard.log", env=env, ready="/healthz") as base,
        dashclient.browser_session() as session,
    ):
        deps = dashclient.dependencies(session, base)
        defaults = dashclient.layout_values(session, base)
        out["deps"], out["defaults"] = deps, defaults
        render = dashclient.callback(deps, "cards.children")
        series = dashclient.callback(deps, "timeseries.figure")
        sync = dashclient.callback(deps, "filter-district.options")
        render_bodies, series_bodies, sync_bodies = [], [], []
        previous = dict(states[0], changed="filter-place.value")
        for state in states:
            values = dashclient.render_values(state, defaults)
            render_bodies.append(dashclient.payload(render, values, [state["changed"]]))
            series_bodies.append(dashclient.payload(series, values, [state["changed"]]))
            sync_values = {**values, "url.search": _search(previous)}
            sync_bodies.append(dashclient.payload(sync, sync_values, [state["changed"]]))
            previous = state
        warm = dashclient.render_values(
            {"place": "XS", "district": None, "start": FIRST, "end": LAST}, defaults
        )
        dashclient.time_posts(
            session, base, [dashclient.payload(render, warm, ["filter-place.value"])],
            budget_s=300,
        )  # fmt: skip
        clock.say(f"query: dashboard up at {base}; {len(states)} filter changes, render first")
        out["render"] = dashclient.time_posts(
            session, base, render_bodies, budget_s=plan.render_budget_s,
            progress=lambda n, s: clock.say(f"  render {n} changes in {s:.0f} s"),
        )  # fmt: skip
        clock.say(f"  render p95 {out['render']['p95_ms']:.0f} ms over {out['render']['n']}")
        out["render_series"] = dashclient.time_posts(
            session, base, series_bodies, budget_s=plan.render_budget_s,
            progress=lambda n, s: clock.say(f"  render_series {n} changes in {s:.0f} s"),
        )  # fmt: skip
        clock.say(f"  render_series p95 {out['render_series']['p95_ms']:.0f} ms")
        out["sync_state"] = dashclient.time_posts(
            session, base, sync_bodies, budget_s=plan.sync_budget_s,
            progress=lambda n, s: clock.say(f"  sync_state {n} changes in {s:.0f} s"),
        )  # fmt: skip
        clock.say(f"  sync_state p95 {out['sync_state']['p95_ms']:.0f} ms")
    levels: dict[str, list[float]] = {}
    for state, ms in zip(states, out["render"]["times_ms"], strict=False):
        levels.setdefault(_level(state["district"] or state["place"]), []).append(ms)
    out["render_by_level"] = {
        k: {"n": len(v), "p50_ms": dashclient.percentile(v, 50), "max_ms": max(v)}
        for k, v in sorted(levels.items())
    }
    with (
        serving(["-m", "bench.minimal_app"], work / "minimal.log") as base,
        dashclient.browser_session() as session,
    ):
        noop = dashclient.callback(dashclient.dependencies(session, base), "out.children")
        bodies = [
            dashclient.payload(noop, {"button.n_clicks": i + 1}, ["button.n_clicks"])
            for i in range(plan.changes + 1)
        ]
        dashclient.time_posts(session, base, bodies[:1], budget_s=60)
        out["noop"] = dashclient.time_posts(session, base, bodies[1:], budget_s=plan.noop_budget_s)
        clock.say(f"  no-op p95 {out['noop']['p95_ms']:.1f} ms")
    sample = plan.profile_callbacks - 1
    national = dashclient.payload(render, warm, ["filter-place.value"])
    national_series = dashclient.payload(series, warm, ["filter-place.value"])
    out["profile_bodies"] = {
        "render": [national, *render_bodies[:sample]],
        "render_series": [national_series, *series_bodies[:sample]],
        "sync_state": sync_bodies[: sample + 1],
    }
    return out


def _search(state: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    params = {"place": state["place"]}
    if state["district"]:
        params["district"] = state["district"]
    params |= {"from": state["start"], "to": state["end"]}
    return "?" + urlencode(params)


# --- 4: the page -----------------------------------------------------------------------------


def bench_page(plan: Plan, work: Path, stores: dict[str, Path], clock: Clock) -> dict[str, Any]:
    """First load of the minimal app and of the dashboard over each store, in Chromium."""
    from bench.page import first_loads

    out: dict[str, Any] = {}
    with serving(["-m", "bench.minimal_app"], work / "minimal-page.log") as base:
        out["minimal"] = first_loads(base + "/", plan.page_runs)
    clock.say(
        f"page: minimal app {out['minimal']['bytes'] / 1e6:.2f} MB, first chart "
        f"{out['minimal']['first_chart_ms']:.0f} ms"
    )
    for name, (db, search) in stores.items():
        env = {"DATABASE_URL": f"sqlite:///{db}"}
        args = ["-m", "dashboard", "--host", "127.0.0.1"]
        with serving(args, work / f"dashboard-page-{name}.log", env=env, ready="/healthz") as base:
            out[name] = first_loads(base + "/" + search, plan.page_runs)
        chart = out[name]["first_chart_ms"]
        clock.say(
            f"page: dashboard ({name}) {out[name]['bytes'] / 1e6:.2f} MB, first chart "
            + (f"{chart:.0f} ms" if chart is not None else "not drawn in time")
        )
    return out


# --- the whole run ---------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["pandas", "pandera", "SQLAlchemy", "dash", "plotly", "numpy", "playwright"]
    found = {n: version(n) for n in names}
    chromium = subprocess.run(
        ["/usr/bin/chromium", "--version"], capture_output=True, text=True, check=False
    )
    found["chromium"] = chromium.stdout.strip()
    return found


def _git() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() + (" (uncommitted changes)" if dirty.stdout.strip() else "")


def main() -> None:
    """Run every benchmark and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: check the harness")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--only",
        choices=["etl"],
        help="run only this benchmark; its results replace those in the folder's latest.json",
    )
    parser.add_argument(
        "--sizes", help="comma-separated figure counts for the ETL (e.g. 10000,100000)"
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else Plan()
    if args.sizes:
        plan = _resized(plan, [int(n) for n in args.sizes.split(",")])
    if args.only:
        run_etl_only(plan, args.out, keep=args.keep)
        return
    clock = Clock()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    clock.say(f"benchmarks ({'quick' if args.quick else 'full'}); work folder {work}")
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": _versions(),
        "git": _git(),
        "plan": plan.__dict__ | {"places": PLACES, "sources": SOURCES, "seed": SEED},
    }
    try:
        results["etl"] = bench_etl(plan, work, clock)
        results["growth"] = growth(results["etl"])
        largest = plan.sizes[-1]
        big = Path(results["etl"][str(largest)]["folder"])
        big_db = big / "project.db"
        misses = report.etl_misses(results)
        if misses:
            size = plan.profile_size
            folder = Path(results["etl"][str(size)]["folder"])
            db = folder / "profile.db"
            _remove_db(db)
            clock.say(f"profile: import_hxl at {size:,} figures (cProfile)")
            results["etl_profile"], _, _ = run_child(
                ["-m", "bench.child", "profile-etl", "--csv", str(folder / "figures.csv"),
                 "--ref", str(folder), "--db", str(db), "--out", str(work / "etl.prof")]
            )  # fmt: skip
            results["etl_profile"]["size"] = size
            _remove_db(db)
        results["query"] = bench_query(plan, work, big_db, big, clock)
        bodies = results["query"].pop("profile_bodies")
        deps = results["query"].pop("deps")
        defaults = results["query"].pop("defaults")
        bundled = work / "bundled.db"
        run_child(["-m", "bench.child", "load-bundled", "--db", str(bundled)])
        stores = {"bundled": (bundled, ""), _label(largest): (big_db, "?place=XS")}
        results["page"] = bench_page(plan, work, stores, clock)
        users, seconds, warmup = (5, 5, 2) if args.quick else (50, 60, WARMUP_SECONDS)
        clock.say(
            f"load: {users} users for {warmup:g} + {seconds} s against gunicorn ({_label(largest)})"
        )
        results["load"] = loadtest.run(users, seconds, f"sqlite:///{big_db}", warmup=warmup)
        # The same users as coordinators reading the page between changes.
        results["load_paced"] = loadtest.run(
            users, seconds, f"sqlite:///{big_db}", think=THINK_SECONDS, warmup=warmup
        )
        # And from a server just started, whose workers have read only what they warm at start.
        results["load_cold"] = loadtest.run(
            users, seconds, f"sqlite:///{big_db}", think=THINK_SECONDS, warmup=0
        )
        for key in report.LOAD_RUNS:
            load = results[key]
            clock.say(
                f"{key}: {load['throughput_rps']} changes/s, p95 {load['p95_ms']} ms,"
                f" {load['errors']} errors"
            )
        # Profiles of the missed goals last, within the deadline.
        skipped = results.setdefault("skipped", [])
        for name, sample in bodies.items():
            goal = report.CALLBACK_P95_MS.get(name, report.OTHER_CALLBACK_P95_MS)
            if results["query"][name]["p95_ms"] <= goal:
                continue
            if clock.elapsed() > plan.deadline_s:
                skipped.append(f"profile of {name} (deadline)")
                continue
            path = work / f"{name}-bodies.json"
            path.write_text(json.dumps(sample))
            clock.say(f"profile: {name} over {len(sample)} filter changes (cProfile)")
            results.setdefault("query_profile", {})[name], _, _ = run_child(
                ["-m", "bench.child", "profile-query", "--db", str(big_db), "--bodies",
                 str(path), "--out", str(work / f"{name}.prof")]
            )  # fmt: skip
        for name, (db, search) in stores.items():
            if not report.page_missed(results, name):
                continue
            if db == big_db:
                # Its first load is the national view of the largest store: the render profile
                # (whose first callback is that view) says where the time goes.
                continue
            if clock.elapsed() > plan.deadline_s:
                skipped.append(f"profile of the first load ({name}) (deadline)")
                continue
            path = work / f"page-{name}-bodies.json"
            path.write_text(json.dumps(_first_load_bodies(deps, defaults, search)))
            clock.say(f"profile: first load of the dashboard ({name}) server side")
            results.setdefault("page_profile", {})[name], _, _ = run_child(
                ["-m", "bench.child", "profile-page", "--db", str(db), "--bodies",
                 str(path), "--out", str(work / f"page-{name}.prof")]
            )  # fmt: skip
    finally:
        results["duration_s"] = clock.elapsed()
        args.out.mkdir(parents=True, exist_ok=True)
        _keep_connectors(args.out / "latest.json", results)
        (args.out / "latest.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
        (args.out / "latest.md").write_text(report.markdown(results))
        if args.keep:
            clock.say(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    clock.say(f"done in {results['duration_s']:.0f} s: {args.out / 'latest.md'}")
    print(report.table(results))


def _keep_connectors(latest: Path, results: dict) -> None:
    """The connectors' ratios of `latest`, which `python -m bench.connectors` writes there, kept."""
    if latest.exists():
        kept = json.loads(latest.read_text(encoding="utf-8")).get("connectors")
        if kept is not None:
            results["connectors"] = kept


def _resized(plan: Plan, sizes: list[int]) -> Plan:
    """`plan` at these sizes: three runs each, one of the project (two of the floor) at 1M+."""
    sizes = sorted(sizes)
    reps = tuple(1 if n >= 1_000_000 else 3 for n in sizes)
    floor_reps = tuple(2 if n >= 1_000_000 else 3 for n in sizes)
    profile = max((n for n in sizes if n <= plan.profile_size), default=sizes[0])
    return dataclasses.replace(
        plan, sizes=tuple(sizes), reps=reps, floor_reps=floor_reps, profile_size=profile
    )


def run_etl_only(plan: Plan, out: Path, *, keep: bool) -> None:
    """The ETL benchmark alone; its sections replace those of `out`/latest.json, the rest kept.

    With two sizes or more, the growth exponent is fitted over them; a missed goal is profiled
    at the plan's profile size, as in the whole run.
    """
    clock = Clock()
    work = Path(tempfile.mkdtemp(prefix="bench-etl-"))
    latest = out / "latest.json"
    results: dict[str, Any] = json.loads(latest.read_text()) if latest.exists() else {}
    for key in ("etl", "growth", "etl_profile"):
        results.pop(key, None)
    results["etl_run"] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": _git(),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
    }
    try:
        results["etl"] = bench_etl(plan, work, clock)
        if len(plan.sizes) > 1:
            results["growth"] = growth(results["etl"])
        if report.etl_misses(results):
            size = plan.profile_size
            folder = Path(results["etl"][str(size)]["folder"])
            db = folder / "profile.db"
            clock.say(f"profile: import_hxl at {size:,} figures (cProfile)")
            results["etl_profile"], _, _ = run_child(
                ["-m", "bench.child", "profile-etl", "--csv", str(folder / "figures.csv"),
                 "--ref", str(folder), "--db", str(db), "--out", str(work / "etl.prof")]
            )  # fmt: skip
            results["etl_profile"]["size"] = size
    finally:
        out.mkdir(parents=True, exist_ok=True)
        latest.write_text(json.dumps(results, indent=1, default=str) + "\n")
        (out / "latest.md").write_text(report.markdown(results))
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    for size, e in results["etl"].items():
        clock.say(
            f"ETL {_label(int(size))}: {e['ratio']:.2f}x the floor, "
            f"peak RSS {e['memory_ratio']:.2f}x the loaded frame"
        )
    if "growth" in results:
        clock.say(f"growth: time ~ n^{results['growth']['exponent']:.2f}")


def _first_load_bodies(
    deps: list[dict[str, Any]], defaults: dict[str, Any], search: str
) -> list[dict[str, Any]]:
    """The callbacks a first load fires, as the browser sends them after the URL sync."""
    from urllib.parse import parse_qs

    place = parse_qs(search.lstrip("?")).get("place", ["SY"])[0]
    dates = (defaults.get("filter-dates.start_date"), defaults.get("filter-dates.end_date"))
    state = {"place": place, "district": None, "start": dates[0], "end": dates[1]}
    values = dashclient.render_values(state, defaults)
    render = dashclient.callback(deps, "cards.children")
    series = dashclient.callback(deps, "timeseries.figure")
    sync = dashclient.callback(deps, "filter-district.options")
    return [
        dashclient.payload(sync, {**values, "url.search": search}, ["url.search"]),
        dashclient.payload(render, values, ["filter-place.value"]),
        dashclient.payload(series, values, ["filter-place.value"]),
    ]
