"""Connector read-and-map speed: each source's responses grown to a realistic size.

    python -m bench.connectors [--records 100000] [--fixture-records 20000]

First every real published file of each format under ../shared/data/ (DTM v3, GIDD, IDU, the
HAPI CSV, ISIMM CSV and .xlsx, HXL .xlsx and CSV), then every fixture under
tests/fixtures/<source>/: each is grown by repeating its records inside the same envelope (a
JSON envelope, a CSV or a workbook's sheet under its header or hashtag rows) to about
`--records` (`--fixture-records`) records, then read and mapped (`connector.read` then
`connector.to_figures`, the pure steps; no database) three times, then the floor three times,
in rounds (up to five, while they take under 15 s; the ratio is the median of the rounds').
The floor, on the same bytes: `json.loads`, `csv.reader` or openpyxl's read-only rows, and
one `pandas.DataFrame` of the records, the least any connector must do. Prints records/s and
the ratio (goal: 2x the floor). Then the ISIMM archive as shipped: every month under
data/bundled/isimm/ imported end to end into a fresh SQLite store that holds the gazetteer
(goal: under 10 s). Writes bench/results/connectors.json.
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
from etl.reference import load_reference, read_reference
from etl.sources import REGISTRY
from etl.sources.base import Fetched, MapContext
from etl.sources.hxl_files import HEADER_SEARCH_ROWS, excel_text, find_hashtag_row
from etl.store import DATA_DIR, open_store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
# The real published files beside the repository, one of each format the issue names.
SHARED_DATA = ROOT.parent / "shared" / "data"
REAL_FILES = (
    ("dtm", "real/dtm/dtm_v3_admin1_TCD.json"),
    ("idmc", "real/idmc/gidd_conflicts_offset600.json"),
    ("idmc", "real/idmc/idu_IND.json"),
    ("hdx-hapi", "real/hapi/hapi_idps_TCD_slice.csv"),
    ("cccm-isimm", "isimm/ISIMM_2020April.csv"),
    ("cccm-isimm", "isimm/ISIMM_2020April.xlsx"),
    ("hxl", "real/hxl/dtm_mli_baseline_round72.xlsx"),
    ("hxl", "real/hxl/idmc_gidd_hdx_displacement_data.csv"),
)
GOAL_RATIO = 2.0
RESULTS = ROOT / "bench" / "results" / "connectors.json"
LATEST = ROOT / "bench" / "results" / "latest.json"
ENVELOPES = ("data", "result", "items", "results")
SKIP = {"error.json"}  # an error envelope, no records
RUNS = 3
# Rounds of RUNS read-and-maps then RUNS floors, repeated while the timing stays within
# ROUND_BUDGET_S (one round at least, ROUNDS at most): the machine's slow phases last seconds,
# and one that falls on a block of one side and not the other's moves a small file's ratio by
# half; the median of the rounds' ratios is what such a phase moves least. Alternating single
# runs instead favours the project: the floor slows more than the mapping after other work.
ROUNDS = 5
ROUND_BUDGET_S = 15.0
ARCHIVE = DATA_DIR / "bundled" / "isimm"
ARCHIVE_GOAL_S = 10.0


def _records_key(doc: Any) -> str | None:
    """Where a JSON response keeps its records: None for a bare array."""
    if isinstance(doc, list):
        return None
    return next(k for k in ENVELOPES if isinstance(doc.get(k), list))


def _head_rows(rows: list[list[str]]) -> int:
    """How many leading rows a table keeps above its records: through its hashtag row if it
    has one (HXL), else its header row."""
    found = find_hashtag_row(rows[:HEADER_SEARCH_ROWS])
    return 1 if found is None else found + 1


def grow(body: bytes, name: str, records: int) -> tuple[bytes, int]:
    """The response with its records repeated to about `records`; and how many it holds."""
    if name.endswith(".xlsx"):
        return _grow_workbook(body, records)
    if name.endswith(".csv"):
        # latin-1 maps every byte to one character and back: the bytes stay as published.
        rows = list(csv.reader(io.StringIO(body.decode("latin-1"), newline="")))
        head = _head_rows(rows)
        header, data = rows[:head], rows[head:]
        times = max(1, records // max(1, len(data)))
        out = io.StringIO()
        ending = "\r\n" if b"\r\n" in body[:4096] else "\n"
        csv.writer(out, lineterminator=ending).writerows([*header, *data * times])
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


def _grow_workbook(body: bytes, records: int) -> tuple[bytes, int]:
    """A workbook whose first sheet's records are repeated to about `records` (values kept,
    formulas replaced by the values they had)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    head = _head_rows([[excel_text(v) for v in r] for r in rows])
    data = [r for r in rows[head:] if any(v is not None for v in r)]
    times = max(1, records // max(1, len(data)))
    for _ in range(times - 1):
        for row in data:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), len(data) * times


def _workbook_frame(body: bytes) -> pd.DataFrame:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    return pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])


def floor(body: bytes, name: str) -> int:
    """The least work: parse the bytes and make one frame of the records."""
    if name.endswith(".xlsx"):
        return len(_workbook_frame(body))
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


def timed_rounds(project: Callable[[], object], floor_work: Callable[[], object]) -> dict[str, Any]:
    """Rounds of (RUNS of `project`, RUNS of `floor_work`): medians and the rounds' ratios."""
    rounds: list[tuple[float, float]] = []
    started = time.perf_counter()
    while len(rounds) < ROUNDS and (not rounds or time.perf_counter() - started < ROUND_BUDGET_S):
        rounds.append((_median_seconds(project), _median_seconds(floor_work)))
    ratios = [p / f for p, f in rounds]
    return {
        "project_s": statistics.median(p for p, _ in rounds),
        "floor_s": statistics.median(f for _, f in rounds),
        "ratio": statistics.median(ratios),
        "rounds": len(rounds),
        "round_ratios": [round(r, 2) for r in ratios],
    }


def bench_source(source: str, records: int, places: pd.DataFrame) -> list[dict[str, Any]]:
    """Every fixture of one source, grown, read and mapped; with its floor."""
    paths = [
        path
        for path in sorted((FIXTURES / source).iterdir())
        if path.suffix in (".json", ".csv") and path.name not in SKIP
    ]
    return [bench_file(source, path, records, places, "fixture") for path in paths]


def bench_real(records: int, places: pd.DataFrame) -> list[dict[str, Any]]:
    """Every real published file of REAL_FILES that is there, grown, read and mapped."""
    out = []
    for source, relative in REAL_FILES:
        path = SHARED_DATA / relative
        if not path.exists():
            print(f"(no {path}: the real {source} file is skipped)")
            continue
        out.append(bench_file(source, path, records, places, "real"))
    return out


def bench_file(
    source: str, path: Path, records: int, places: pd.DataFrame, kind: str
) -> dict[str, Any]:
    """One saved response grown to about `records`, read and mapped; with its floor."""
    connector = REGISTRY[source]
    body, count = grow(path.read_bytes(), path.name, records)
    now = dt.datetime.now(dt.UTC)
    fetched = Fetched(path.name, body, None, now)
    ctx = MapContext(source, connector.read(fetched).dataset, "bench", now, None)
    mapped: list[int] = []

    def project() -> None:
        result = connector.to_figures(connector.read(fetched), ctx, places)
        mapped.append(len(result.figures))

    timed = timed_rounds(project, lambda: floor(body, path.name))
    project_s, floor_s, ratio = timed["project_s"], timed["floor_s"], round(timed["ratio"], 2)
    return {
        "source": source,
        "kind": kind,
        "fixture": path.name,
        "fixture_bytes": path.stat().st_size,
        "grown_bytes": len(body),
        "records": count,
        "figures": mapped[-1],
        "project_s": round(project_s, 4),
        "records_per_s": round(count / project_s),
        "floor_s": round(floor_s, 4),
        "floor_records_per_s": round(count / floor_s),
        "ratio": ratio,
        "rounds": timed["rounds"],
        "round_ratios": timed["round_ratios"],
        "goal_ratio": GOAL_RATIO,
        "met": ratio <= GOAL_RATIO,
    }


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


def summary(results: dict[str, Any]) -> dict[str, Any]:
    """The connectors' ratios as latest.json carries them beside the other benchmarks'."""
    return {
        "ratios": {
            f"{r['source']}/{r['fixture']}": {k: r[k] for k in ("kind", "ratio", "met")}
            for r in results["sources"]
        },
        "isimm_archive_s": results["isimm_archive"]["seconds"],
        "met": all(r["met"] for r in results["sources"]) and results["isimm_archive"]["met"],
        "details": "bench/results/connectors.json",
    }


def into_latest(results: dict[str, Any], latest: Path = LATEST) -> None:
    """Put the connectors' summary into `latest` (latest.json), keeping everything else."""
    data = json.loads(latest.read_text(encoding="utf-8")) if latest.exists() else {}
    data["connectors"] = summary(results)
    latest.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")


def main() -> None:
    """Run every real file and every source's fixtures, print a table, save the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.connectors", description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--fixture-records", type=int, default=20_000)
    args = parser.parse_args()
    # The world's gazetteer, as `etl refresh` loads it: real files name places everywhere.
    places = read_reference(DATA_DIR)[0]
    rows = bench_real(args.records, places)
    for source in ("cccm-isimm", "hdx-hapi", "unhcr", "idmc", "dtm"):
        rows += bench_source(source, args.fixture_records, places)
    columns = ["source", "file", "kind", "bytes", "records", "figures", "records/s", "floor",
               "ratio"]  # fmt: skip
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for r in rows:
        print(
            f"| {r['source']} | {r['fixture']} | {r['kind']} | {r['grown_bytes']:,} | "
            f"{r['records']:,} | {r['figures']:,} | {r['records_per_s']:,} | "
            f"{r['floor_records_per_s']:,} | {r['ratio']}x{'' if r['met'] else ' (goal 2x)'} "
            f"({min(r['round_ratios'])}-{max(r['round_ratios'])}, {r['rounds']} rounds) |"
        )
    whole = archive()
    print(
        f"\nISIMM archive: {whole['months']} months, {whole['figures']:,} figures in "
        f"{whole['seconds']} s ({whole['per_month_s']} s a month; goal under "
        f"{ARCHIVE_GOAL_S:g} s: {'met' if whole['met'] else 'NOT met'})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = {"sources": rows, "isimm_archive": whole}
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    into_latest(results)


if __name__ == "__main__":
    main()
