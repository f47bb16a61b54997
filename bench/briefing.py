"""Briefing pack time and size for the Idleb governorate view, in both formats and languages.

    python -m bench.briefing

The store is the bundled reference case (gazetteer and north-west Syria, 2019-2020). For each
format and language: the command line from a fresh process (`python -m dashboard brief`,
imports included: what a scheduled weekly pack costs), and the pack made again in one process
(read, build, draw, render: what a click on the page costs once the server runs), the median
of three. Targets: under 5 s and under 3 MB. Writes bench/results/briefing.json.
"""

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dashboard.briefing import pack
from dashboard.briefing.command import view_state
from etl.pipeline import import_hxl
from etl.reference import load_reference
from etl.store import DATA_DIR, open_store

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "briefing.json"
VIEW = ("SY07", "2019-12-01", "2020-03-05")
TARGET_SECONDS = 5.0
TARGET_BYTES = 3 * 2**20
RUNS = 3


def _command(url: str, out: Path, lang: str) -> float:
    place, start, end = VIEW
    clock = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dashboard", "brief", "--place", place, "--from", start,
         "--to", end, "--lang", lang, "-o", str(out)],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True, capture_output=True,
        timeout=600,
    )  # fmt: skip
    return time.perf_counter() - clock


def main() -> None:
    """Measure and write the results."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-brief-") as folder:
        url = f"sqlite:///{Path(folder) / 'bundled.db'}"
        store = open_store(url)
        load_reference(store, DATA_DIR)
        import_hxl(store, DATA_DIR / "bundled" / "nw_syria_2019_2020.csv")
        place, start, end = VIEW
        state = view_state(place, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        for fmt in ("pptx", "pdf"):
            for lang in ("en", "ar"):
                out = Path(folder) / f"idleb_{lang}.{fmt}"
                cold = _command(url, out, lang)
                warm = []
                for _ in range(RUNS):
                    clock = time.perf_counter()
                    body = pack.make(store, state, fmt, lang, 0.10)
                    warm.append(time.perf_counter() - clock)
                rows.append(
                    {
                        "format": fmt,
                        "lang": lang,
                        "command_s": round(cold, 2),
                        "in_process_s": round(statistics.median(warm), 2),
                        "bytes": len(body),
                        "file_bytes": out.stat().st_size,
                        "within_targets": cold < TARGET_SECONDS and len(body) < TARGET_BYTES,
                    }
                )
                print(
                    f"{fmt:4} {lang}: command {cold:.2f} s, in process "
                    f"{statistics.median(warm):.2f} s, {len(body) / 1024:.0f} KiB",
                    flush=True,
                )
        store.dispose()
    load = os.getloadavg()[0]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "view": dict(zip(("place", "from", "to"), VIEW, strict=True)),
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "load_average_1min": round(load, 2),
                "targets": {"seconds": TARGET_SECONDS, "bytes": TARGET_BYTES},
                "runs": rows,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"written {RESULTS} (1-minute load average {load:.1f})")


if __name__ == "__main__":
    main()
