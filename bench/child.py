"""One measurement per process: `python -m bench.child TASK --options`, a JSON line on stdout.

Running each measurement in a fresh process gives it a cold interpreter and lets the parent
read that process's own peak RSS (os.wait4).
"""

import argparse
import cProfile
import json
import resource
import time
from pathlib import Path
from typing import Any

from bench.profiles import top_functions


def etl_project(csv: Path, ref: Path, db: Path) -> dict[str, Any]:
    """etl.pipeline.import_hxl into a fresh SQLite store holding the synthetic gazetteer."""
    from etl.pipeline import import_hxl
    from etl.reference import load_reference
    from etl.store import open_store

    store = open_store(f"sqlite:///{db}")
    load_reference(store, ref)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    clock = time.perf_counter()
    report = import_hxl(store, csv)
    seconds = time.perf_counter() - clock
    store.dispose()
    return {
        "seconds": seconds,
        "status": report.status,
        "figures": report.rows_loaded,
        "rejected": len(report.rejections),
        "message": report.message[:300],
        "rss_before_import_bytes": before,
    }


def etl_floor(csv: Path, ref: Path, db: Path) -> dict[str, Any]:
    """The lean load of the same file (bench.floor)."""
    from bench.floor import floor_import

    return floor_import(csv, ref / "places.csv", db)


def _profiled(work: Any, out: Path) -> float:
    profiler = cProfile.Profile()
    clock = time.perf_counter()
    profiler.enable()
    try:
        work()
    finally:
        profiler.disable()
    seconds = time.perf_counter() - clock
    profiler.dump_stats(str(out))
    return seconds


def profile_etl(csv: Path, ref: Path, db: Path, out: Path) -> dict[str, Any]:
    """cProfile of import_hxl (gazetteer loaded first, outside the profile)."""
    from etl.pipeline import import_hxl
    from etl.reference import load_reference
    from etl.store import open_store

    store = open_store(f"sqlite:///{db}")
    load_reference(store, ref)
    seconds = _profiled(lambda: import_hxl(store, csv), out)
    return {"seconds_profiled": seconds, "top": top_functions(out)}


def _test_client(db: Path) -> Any:
    from dashboard.app import create_app
    from dashboard.settings import DashboardSettings
    from etl.store import open_store

    app = create_app(DashboardSettings(), open_store(f"sqlite:///{db}", create=False))
    return app.server.test_client()


def profile_query(db: Path, bodies: Path, out: Path) -> dict[str, Any]:
    """cProfile of the dashboard's callbacks through Dash's own dispatch (Flask test client)."""
    client = _test_client(db)
    posts = json.loads(bodies.read_text())
    headers = {"Accept-Encoding": "gzip"}
    client.get("/_dash-dependencies")

    def work() -> None:
        for body in posts:
            response = client.post("/_dash-update-component", json=body, headers=headers)
            assert response.status_code in (200, 204), response.status_code

    seconds = _profiled(work, out)
    return {"seconds_profiled": seconds, "callbacks": len(posts), "top": top_functions(out)}


def profile_page(db: Path, bodies: Path, out: Path) -> dict[str, Any]:
    """cProfile of the server side of a first load: the page, layout, and first callbacks."""
    client = _test_client(db)
    posts = json.loads(bodies.read_text())
    headers = {"Accept-Encoding": "gzip"}

    def work() -> None:
        for path in ("/", "/_dash-layout", "/_dash-dependencies"):
            client.get(path, headers=headers)
        for body in posts:
            client.post("/_dash-update-component", json=body, headers=headers)

    seconds = _profiled(work, out)
    return {"seconds_profiled": seconds, "top": top_functions(out)}


def load_bundled(db: Path) -> dict[str, Any]:
    """A store with the bundled gazetteer and default input (the page as shipped)."""
    from etl.pipeline import import_hxl
    from etl.reference import load_reference
    from etl.store import DATA_DIR, open_store

    store = open_store(f"sqlite:///{db}")
    load_reference(store, DATA_DIR)
    report = import_hxl(store, DATA_DIR / "bundled" / "nw_syria_2019_2020.csv")
    store.dispose()
    return {"status": report.status, "figures": report.rows_loaded}


def main() -> None:
    """Run one task and print its result as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.child")
    parser.add_argument(
        "task",
        choices=[
            "etl-project",
            "etl-floor",
            "profile-etl",
            "profile-query",
            "profile-page",
            "load-bundled",
        ],
    )
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--ref", type=Path)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--bodies", type=Path)
    a = parser.parse_args()
    result = {
        "etl-project": lambda: etl_project(a.csv, a.ref, a.db),
        "etl-floor": lambda: etl_floor(a.csv, a.ref, a.db),
        "profile-etl": lambda: profile_etl(a.csv, a.ref, a.db, a.out),
        "profile-query": lambda: profile_query(a.db, a.bodies, a.out),
        "profile-page": lambda: profile_page(a.db, a.bodies, a.out),
        "load-bundled": lambda: load_bundled(a.db),
    }[a.task]()
    print("RESULT " + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
