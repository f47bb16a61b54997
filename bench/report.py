"""Goals, verdicts and the Markdown report of a benchmark run."""

from typing import Any

from bench.profiles import describe

ETL_RATIO = 1.5  # project time <= 1.5x the floor
ETL_MEMORY = 3.0  # peak RSS <= 3x the loaded frame
# The page's goals: the two callbacks a filter change waits on answer in a blink; any other
# callback within 300 ms.
CALLBACK_P95_MS = {"render": 100, "render_series": 50}
OTHER_CALLBACK_P95_MS = 300
PAGE_BYTES = 1.2e6  # the first load, compressed, map included
PAGE_RATIO = 1.0  # time to first chart no more than the minimal app's in the same run
LINEAR_EXPONENT = 1.1  # time ~ figures^k over 10k..1M: linear enough when k <= 1.1
MB = 1e6


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def _sizes(results: dict[str, Any]) -> list[int]:
    return sorted(int(s) for s in results.get("etl", {}))


def etl_misses(results: dict[str, Any]) -> list[str]:
    """The ETL goals missed (time, memory, growth), as row names."""
    return [r["benchmark"] for r in _etl_rows(results) + _growth_rows(results) if not r["met"]]


def page_missed(results: dict[str, Any], store: str) -> bool:
    """True when the dashboard's first load over `store` is above 1.2 MB compressed, or its
    first chart slower than the minimal app's."""
    page = results.get("page", {})
    if store not in page or "minimal" not in page:
        return False
    base, mine = page["minimal"], page[store]
    return (
        mine["bytes"] > PAGE_BYTES
        or mine["first_chart_ms"] is None
        or mine["first_chart_ms"] > PAGE_RATIO * base["first_chart_ms"]
    )


def _profile(results: dict[str, Any], *path: str) -> str:
    node: Any = results
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return "(no profile)"
    where = f"cProfile, {node['size']:,} figures: " if "size" in node else "cProfile: "
    return where + describe(node["top"])


def _etl_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for size in _sizes(results)[1:]:
        e = results["etl"][str(size)]
        runs = f"median of {len(e['project'])}" if len(e["project"]) > 1 else "1 run"
        ratio = e["project_s"] / e["floor_s"]
        rows.append(
            {
                "benchmark": f"1. ETL import {_label(size)}",
                "size": f"{size:,} figures ({e['csv_bytes'] / MB:.0f} MB CSV)",
                "project": f"{e['project_s']:.1f} s ({runs})",
                "floor": f"{e['floor_s']:.1f} s (median of {len(e['floor'])})",
                "ratio": ratio,
                "goal": f"<= {ETL_RATIO}x floor",
                "met": ratio <= ETL_RATIO,
                "profile": ("etl_profile",),
            }
        )
        memory = e["project_rss"] / e["frame_bytes"]
        rows.append(
            {
                "benchmark": f"1. ETL peak memory {_label(size)}",
                "size": f"{size:,} figures",
                "project": f"peak RSS {e['project_rss'] / MB:,.0f} MB "
                f"({e['project_rss_before'] / MB:,.0f} MB before the import starts)",
                "floor": (
                    f"loaded frame {e['frame_bytes'] / MB:,.0f} MB "
                    f"(floor's peak RSS {e['floor_rss'] / MB:,.0f} MB)"
                ),
                "ratio": memory,
                "goal": f"<= {ETL_MEMORY:.0f}x loaded frame",
                "met": memory <= ETL_MEMORY,
                "profile": ("etl_profile",),
            }
        )
    return rows


def _growth_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    g = results.get("growth")
    if not g:
        return []
    sizes = _sizes(results)
    per = g["per_figure_us"]
    floor = g["floor_per_figure_us"]
    floor_step = floor[str(sizes[-1])] / floor[str(sizes[-2])]
    shape = (
        "near-linear" if g["linear"] else "worse than linear"
    ) + f"; the floor's per-figure time {floor_step:.2f}x in the same run"
    return [
        {
            "benchmark": "2. Growth of import time",
            "size": " / ".join(_label(s) for s in sizes),
            "project": " / ".join(f"{per[str(s)]:.1f}" for s in sizes) + " µs per figure",
            "floor": " / ".join(f"{floor[str(s)]:.1f}" for s in sizes) + " µs per figure",
            "ratio": g["last_step_ratio"],
            "ratio_note": f"per-figure time {_label(sizes[-1])} / {_label(sizes[-2])}; "
            f"fit: time ~ n^{g['exponent']:.2f}",
            "goal": f"linear: time ~ n^k, k <= {LINEAR_EXPONENT}",
            "met": g["linear"],
            "note": shape,
            "profile": ("etl_profile",),
        }
    ]


def _query_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    q = results.get("query")
    if not q:
        return []
    noop = q["noop"]
    rows = []
    for name in ("render", "render_series", "sync_state"):
        if name not in q:
            continue
        r = q[name]
        goal = CALLBACK_P95_MS.get(name, OTHER_CALLBACK_P95_MS)
        size = _label(_sizes(results)[-1])
        counted = f"{r['n']} of {r['requested']} changes ({q['distinct_states']} distinct views)"
        if r["n"] < r["requested"]:
            counted += " (time budget reached)"
        rows.append(
            {
                "benchmark": f"3. Callback `{name}` (HTTP)",
                "size": f"{size} store, {counted}",
                "project": f"p95 {r['p95_ms']:,.0f} ms (p50 {r['p50_ms']:,.0f} ms, "
                f"max {r['max_ms']:,.0f} ms; median response {r['median_bytes'] / 1e3:,.0f} KB gz)",
                "floor": f"no-op callback p95 {noop['p95_ms']:.1f} ms (p50 {noop['p50_ms']:.1f})",
                "ratio": r["p95_ms"] / noop["p95_ms"],
                "goal": f"p95 <= {goal} ms",
                "met": r["p95_ms"] <= goal and r["errors"] == 0,
                "note": f"{r['errors']} errors" if r["errors"] else "",
                "profile": ("query_profile", name),
            }
        )
    return rows


def _page_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    page = results.get("page")
    if not page:
        return []
    base = page["minimal"]
    rows = []
    for name, p in page.items():
        if name == "minimal":
            continue
        profile = ("page_profile", name) if name == "bundled" else ("query_profile", "render")
        store = "bundled default store" if name == "bundled" else f"{name} store (?place=XS)"
        runs = len(p["runs"])
        rows.append(
            {
                "benchmark": "4. Page: first load, bytes",
                "size": store,
                "project": f"{p['bytes'] / MB:.2f} MB gz, {p['runs'][0]['requests']} requests",
                "floor": f"minimal app {base['bytes'] / MB:.2f} MB gz",
                "ratio": p["bytes"] / base["bytes"],
                "goal": f"<= {PAGE_BYTES / MB:.1f} MB gz",
                "met": p["bytes"] <= PAGE_BYTES,
                "profile": profile,
            }
        )
        chart = p["first_chart_ms"]
        timed = f"median of {runs}" if runs > 1 else "1 run"
        rows.append(
            {
                "benchmark": "4. Page: time to first chart",
                "size": store,
                "project": f"{chart:,.0f} ms ({timed})"
                if chart is not None
                else f"no chart within {p['timeout_s']:.0f} s",
                "floor": f"minimal app {base['first_chart_ms']:,.0f} ms",
                "ratio": chart / base["first_chart_ms"] if chart is not None else None,
                "goal": f"<= {PAGE_RATIO}x minimal app",
                "met": chart is not None and chart <= PAGE_RATIO * base["first_chart_ms"],
                "profile": profile,
            }
        )
    return rows


LOAD_P95_MS = 500
# Back to back (a stress test: its throughput is the capacity), then users pausing between
# changes as coordinators do, after a warm-up and from a cold start.
LOAD_RUNS = ("load", "load_paced", "load_cold")


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of the results table."""
    out = _etl_rows(results) + _growth_rows(results) + _query_rows(results) + _page_rows(results)
    for key in LOAD_RUNS:
        load = results.get(key)
        if not load:
            continue
        think = load.get("think_seconds") or 0
        # Fifty users who never pause ask for fifty changes a second, more than two cores
        # give at any latency: that run is judged on errors, its p95 is the queue.
        paced = think > 0
        met = load["errors"] == 0 and (not paced or load["p95_ms"] < LOAD_P95_MS)
        pace = f", pausing ~{think:g} s between changes" if think else ", back to back"
        warm = load.get("warmup_seconds") or 0
        pace += f", measured after {warm:g} s of warm-up" if warm else ", from a cold start"
        if load.get("callbacks_per_request", 1) > 1:
            pace += f"; a change is {load['callbacks_per_request']} callbacks in a row"
        out.append(
            {
                "benchmark": "5. Concurrency (gunicorn, filter changes)",
                "size": (
                    f"{load['users']} users{pace}, {load['seconds']:.0f} s, {load['store']} store"
                ),
                "project": (
                    f"{load['throughput_rps']} changes/s; p50 {load['p50_ms']:,.0f} ms, "
                    f"p95 {load['p95_ms']:,.0f} ms, p99 {load['p99_ms']:,.0f} ms; "
                    f"{load['errors']} errors of {load['requests']}"
                    + (
                        f"; server CPU {load['server_cpu_ms_per_change']:,.0f} ms per change"
                        if load.get("server_cpu_ms_per_change") is not None
                        else ""
                    )
                ),
                "floor": "-",
                "ratio": None,
                "goal": (
                    f"no errors, p95 < {LOAD_P95_MS:,} ms"
                    if paced
                    else "no errors (a stress test: the throughput is the capacity)"
                ),
                "met": met,
                "profile": None if met else "see 3. Callback `render`: the same callback",
            }
        )
    return out


def table(results: dict[str, Any]) -> str:
    """The results as one Markdown table."""
    head = (
        "| Benchmark | Size | Project | Floor (same run, same data) | Ratio | Goal | Met | "
        "Profile of a missed goal (top 3 by cumulative time) |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    shown: dict[tuple, str] = {}
    for r in rows(results):
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        if r.get("ratio_note"):
            ratio += f" ({r['ratio_note']})"
        met = "-" if r["met"] is None else ("yes" if r["met"] else "**no**")
        if r.get("note"):
            met += f" ({r['note']})"
        profile = ""
        if r["met"] is False:
            key = tuple(r["profile"])
            profile = f"same profile as {shown[key]}" if key in shown else _profile(results, *key)
            shown.setdefault(key, f"{r['benchmark']} ({r['size'].split(' (')[0]})")
        cells = [r["benchmark"], r["size"], r["project"], r["floor"], ratio, r["goal"], met]
        lines.append("| " + " | ".join([*cells, profile]).replace("\n", " ") + " |")
    return head + "\n".join(lines) + "\n"


def _details(results: dict[str, Any]) -> list[str]:
    out = ["## Details", ""]
    etl = results.get("etl", {})
    if etl:
        out += [
            "### ETL runs",
            "",
            "| Size | Project runs (s) | Project peak RSS | Floor runs (s) | Floor stages "
            "(median s) | Floor peak RSS | Loaded frame |",
            "|---|---|---|---|---|---|---|",
        ]
        for size in _sizes(results):
            e = etl[str(size)]
            stages = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in e["floor_stages"].items())
            project = ", ".join(f"{r['seconds']:.2f}" for r in e["project"])
            floor = ", ".join(f"{r['seconds']:.2f}" for r in e["floor"])
            out.append(
                f"| {size:,} | {project} | {e['project_rss'] / MB:,.0f} MB | {floor} | {stages} "
                f"| {e['floor_rss'] / MB:,.0f} MB | {e['frame_bytes'] / MB:,.0f} MB |"
            )
        out.append("")
    q = results.get("query")
    if q:
        out += [
            "### `render` latency by the level of the place shown",
            "",
            "| Level | Changes | p50 (ms) | max (ms) |",
            "|---|---|---|---|",
        ]
        for level, v in q["render_by_level"].items():
            out.append(f"| {level} | {v['n']} | {v['p50_ms']:,.0f} | {v['max_ms']:,.0f} |")
        out.append("")
    page = results.get("page")
    if page:
        out += ["### Largest resources of a first load (gzip, bytes as transferred)", ""]
        for name, p in page.items():
            largest = ", ".join(
                f"`{r['url'].rsplit('/', 1)[-1]}` {r['bytes'] / 1e3:,.0f} KB "
                f"({r['encoding'] or 'identity'})"
                for r in p["runs"][0]["largest"][:4]
            )
            errors = p["runs"][0]["errors"]
            broken = f"; HTTP errors: {[(e['url'], e['status']) for e in errors]}" if errors else ""
            out.append(f"- {name}: {largest}{broken}")
        out.append("")
    return out


METHOD = """## Method

- Data: `python -m etl synth --places 350 --sources 5` (a fictional `XS` country with a
  Syria-sized tree of 350 admin units and one response area, 5 overlapping publishers, five
  years of stocks and flows); one file per size, every figure loads (no rejection).
- ETL: each measurement is a fresh process; peak RSS is that process's own (`os.wait4`).
  Project: `etl.pipeline.import_hxl` into a fresh SQLite file holding the synthetic gazetteer
  (gazetteer load not timed). Floor: `bench/floor.py` - `pandas.read_csv` of the same file, a
  vectorised wide-to-long mapping, one pandera validation with a FigureModel-like schema (the
  same checks, frame-wide ones vectorised), one `sqlite3.executemany` into the project's table
  (same DDL, text primary key; secondary indexes built after the load), one commit.
  "Loaded frame" is the canonical figures frame (`memory_usage(deep=True)`).
- Callbacks: `python -m dashboard` on 127.0.0.1 over the largest store; POSTs to
  `/_dash-update-component` built from `/_dash-dependencies`, one after another over one
  keep-alive connection, with `Accept-Encoding: gzip` as a browser sends; the time is the
  round trip on the loopback (server time plus well under a millisecond of HTTP). The same
  seeded sequence of filter changes (place 25%, district 35%, dates 40%) drives `render`
  (cards, bars, map, tables), `render_series` (the time series: the browser asks for both
  at once) and `sync_state`. The no-op is a callback of a minimal Dash app measured the same way.
  A time budget bounds each loop; the count measured is in the table.
- Page: headless Chromium (playwright, /usr/bin/chromium), fresh context per load,
  `Accept-Encoding: gzip`, every request outside 127.0.0.1 aborted. Bytes are response
  headers plus encoded bodies of every request until the network is idle; time to first
  chart is `performance.now()` when a graph with at least one trace is drawn. The minimal app
  is configured as the dashboard is (assets served locally, compression on).
- Profiles (only for missed goals): cProfile in a separate process; ETL at the middle size;
  callbacks through Dash's own dispatch (Flask test client) for the first filter changes of
  the sequence; page: the server side of a first load. Wrappers (functions that pass nearly
  all their time to one callee, and the entry points) are left out.
"""


def markdown(results: dict[str, Any]) -> str:
    """The whole report: context, the table, details, method."""
    v = results.get("versions", {})
    m = results.get("machine", {})
    duration = results.get("duration_s", 0)
    lines = [
        "# Benchmarks",
        "",
        f"Run {results.get('started_at', '?')}, commit {results.get('git', '?')}, "
        f"{m.get('cpus')} CPUs, Python {m.get('python')}; pandas {v.get('pandas')}, pandera "
        f"{v.get('pandera')}, SQLAlchemy {v.get('SQLAlchemy')}, Dash {v.get('dash')}, plotly "
        f"{v.get('plotly')}, {v.get('chromium', '')}. Whole run: {duration / 60:.1f} min.",
        "",
        table(results),
        *(
            [f"Skipped to stay within the time limit: {', '.join(results['skipped'])}.", ""]
            if results.get("skipped")
            else []
        ),
        *_details(results),
        METHOD,
    ]
    return "\n".join(lines)
