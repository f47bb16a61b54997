"""Connector read-and-map speed: each source's saved responses grown to a realistic size.

    python -m bench.connectors [--records 20000]

For each source, every fixture under tests/fixtures/<source>/ (the upstream's own format) is
grown by repeating its records inside the same envelope to about `--records` records, then
read and mapped (`connector.read` then `connector.to_figures`, the pure steps; no database)
three times. The floor, on the same bytes: `json.loads` (or `csv.reader`) and one
`pandas.DataFrame` of the records, the least any connector must do. Prints records/s and the
ratio. Then the ISIMM archive as shipped: every month under data/bundled/isimm/ imported end to
end into a fresh SQLite store that holds the gazetteer (goal: under 10 s). Writes
bench/results/connectors.json.
"""

import argparse
import csv
import datetime as dt
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from etl.pipeline import import_file
from etl.reference import load_reference
from etl.sources import REGISTRY
from etl.sources.base import Fetched, MapContext
from etl.store import DATA_DIR, open_store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
RESULTS = ROOT / "bench" / "results" / "connectors.json"
ENVELOPES = ("data", "result", "items", "results")
SKIP = {"error.json"}  # an error envelope, no records
RUNS = 3
ARCHIVE = DATA_DIR / "bundled" / "isimm"
ARCHIVE_GOAL_S = 10.0


def _records_key(doc: Any) -> str | None:
    """Where a JSON response keeps its records: None for a bare array."""
    if isinstance(doc, list):
        return None
    return next(k for k in ENVELOPES if isinstance(doc.get(k), list))


def grow(body: bytes, name: str, records: int) -> tuple[bytes, int]:
    """The response with its records repeated to about `records`; and how many it holds."""
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(body.decode("latin-1"))))
        header, data = rows[0], rows[1:]
        times = max(1, records // max(1, len(data)))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *data * times])
        return out.getvalue().encode("latin-1"), len(data) * times
    doc = json.loads(body)
    key = _records_key(doc)
    items = doc if key is None else doc[key]
    times = max(1, records // max(1, len(items)))
    grown = items * times
    if key is None:
        return json.dumps(grown).encode(), len(grown)
    doc = {**doc, key: grown}
    if "totalRecordsCount" in doc:  # DTM's envelope says how many records it holds
        doc["totalRecordsCount"] = len(grown)
    return json.dumps(doc).encode(), len(grown)


def floor(body: bytes, name: str) -> int:
    """The least work: parse the bytes and make one frame of the records."""
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(body.decode("latin-1"))))
        return len(pd.DataFrame(rows[1:], columns=rows[0]))
    doc = json.loads(body)
    key = _records_key(doc)
    return len(pd.DataFrame(doc if key is None else doc[key]))


def _median_seconds(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_source(source: str, records: int, places: pd.DataFrame) -> list[dict[str, Any]]:
    """Every fixture of one source, grown, read and mapped; with its floor."""
    connector = REGISTRY[source]
    out = []
    for path in sorted((FIXTURES / source).iterdir()):
        if path.suffix not in (".json", ".csv") or path.name in SKIP:
            continue
        body, count = grow(path.read_bytes(), path.name, records)
        now = dt.datetime.now(dt.UTC)
        fetched = Fetched(path.name, body, None, now)
        ctx = MapContext(source, connector.read(fetched).dataset, "bench", now, None)
        mapped: list[int] = []

        def project(
            fetched: Fetched = fetched, ctx: MapContext = ctx, mapped: list[int] = mapped
        ) -> None:
            result = connector.to_figures(connector.read(fetched), ctx, places)
            mapped.append(len(result.figures))

        project_s = _median_seconds(project)
        floor_s = _median_seconds(lambda body=body, name=path.name: floor(body, name))
        out.append(
            {
                "source": source,
                "fixture": path.name,
                "fixture_bytes": path.stat().st_size,
                "grown_bytes": len(body),
                "records": count,
                "figures": mapped[-1],
                "project_s": round(project_s, 4),
                "records_per_s": round(count / project_s),
                "floor_s": round(floor_s, 4),
                "floor_records_per_s": round(count / floor_s),
                "ratio": round(project_s / floor_s, 2),
            }
        )
    return out


def archive(folder: Path = ARCHIVE) -> dict[str, Any]:
    """Every ISIMM month in `folder` imported into a fresh store holding the gazetteer, timed.

    Loading the gazetteer is not counted: `etl refresh` does it once for every source.
    """
    months = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".xlsx"))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'archive.db'}")
        load_reference(store, DATA_DIR)
        started = time.perf_counter()
        reports = [import_file(store, "cccm-isimm", month) for month in months]
        seconds = time.perf_counter() - started
        store.dispose()
    failed = [r.message for r in reports if not r.ok]
    return {
        "months": len(months),
        "figures": sum(r.rows_loaded for r in reports if r.ok),
        "seconds": round(seconds, 2),
        "per_month_s": round(seconds / max(1, len(months)), 3),
        "goal_s": ARCHIVE_GOAL_S,
        "met": not failed and seconds < ARCHIVE_GOAL_S,
        "failed": failed,
    }


def main() -> None:
    """Run every source and print a table."""
    parser = argparse.ArgumentParser(prog="python -m bench.connectors", description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    places = pd.read_csv(DATA_DIR / "places.csv", dtype={"pcode": str, "parent_pcode": str})
    rows = []
    for source in ("cccm-isimm", "hdx-hapi", "unhcr", "idmc", "dtm"):
        rows += bench_source(source, args.records, places)
    columns = ["source", "fixture", "bytes", "records", "figures", "records/s", "floor", "ratio"]
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for r in rows:
        print(
            f"| {r['source']} | {r['fixture']} | {r['fixture_bytes']:,} | {r['records']:,} | "
            f"{r['figures']:,} | {r['records_per_s']:,} | {r['floor_records_per_s']:,} | "
            f"{r['ratio']}x |"
        )
    whole = archive()
    print(
        f"\nISIMM archive: {whole['months']} months, {whole['figures']:,} figures in "
        f"{whole['seconds']} s ({whole['per_month_s']} s a month; goal under "
        f"{ARCHIVE_GOAL_S:g} s: {'met' if whole['met'] else 'NOT met'})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"sources": rows, "isimm_archive": whole}, indent=1) + "\n")


if __name__ == "__main__":
    main()
