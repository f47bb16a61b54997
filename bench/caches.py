"""Which of the dashboard's caches still pay: each one turned off in turn, same changes, same run.

    python -m bench.caches [--figures 200000] [--changes 150] [--seed 11]

On the bundled store (what `make run` loads) and on a synthetic store of `--figures`, the
same sequence of filter changes as the load test makes (`dashclient.filter_changes`) is drawn
through the callbacks' own functions (`render`, `render_series`, `render_map`, `table`, each
change firing all four as the page does; after some, a filter typed into the table a letter
at a time), first with every cache, then with each cache off
alone, then with none. A cache pays when turning it off makes a change slower. Prints the
mean milliseconds per change of each run and its ratio to the run with every cache, and
writes bench/results/caches.json.
"""

import argparse
import dataclasses
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask

from bench.dashclient import filter_changes
from bench.loadtest import _bundled_store
from dashboard import boundaries, cache, callbacks, data
from dashboard.packed import PackedPlaces
from dashboard.reader import Reader
from dashboard.settings import DashboardSettings
from etl.pipeline import import_hxl
from etl.reference import load_reference
from etl.store import Store, open_store
from etl.synth import generate, write_synth

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "caches.json"
T = TypeVar("T")

# The query cache's layers, by the prefix of their keys (`dashboard.reader.Reader`).
QUERY_LAYERS = ["reference", "place", "sums", "view", "figures"]
# The in-process caches below it: the shipped boundaries, read once per process, and the
# places' figures packed (`dashboard.packed`; packed as each place is first read, where a
# server packs them all at its start). (Two more were measured here and removed, as they
# saved nothing: the data version kept for a whole request, and an lru_cache on
# `formatting.publisher_name`.)
PROCESS_LAYERS = ["boundaries", "packed"]


@dataclasses.dataclass(frozen=True)
class _Without(Reader):
    """A Reader whose query cache skips the layers named."""

    skip: frozenset[str] = frozenset()

    def _cached(self, key: str, compute: Callable[[], T]) -> T:
        if key.split("|", 1)[0] in self.skip:
            return compute()
        return super()._cached(key, compute)


@contextmanager
def _process_caches_off(names: set[str]) -> Iterator[None]:
    """The named in-process caches bypassed for the duration."""
    saved = boundaries.load
    if "boundaries" in names:
        boundaries.load = boundaries.load.__wrapped__  # type: ignore[attr-defined]
    try:
        yield
    finally:
        boundaries.load = saved


def _changes(store: Store, count: int, seed: int) -> list[dict[str, Any]]:
    """The load test's filter changes over the places the page's menu offers."""
    ref = data.reference(store)
    places = ref.places.astype(object).where(ref.places.notna(), None).to_dict("records")
    changes = filter_changes(places, str(ref.date_from), str(ref.date_to), count, seed)
    # After some changes the coordinator types a filter into the table, a letter at a time:
    # each keystroke asks for the table again, of the same view.
    rng = random.Random(seed)
    word = "ocha"
    for change in changes:
        typed = rng.random() < TYPED_SHARE
        change["typed"] = (
            [f"{{publisher}} icontains {word[:n]}" for n in (1, 2, 3)] if typed else []
        )
    return changes


# The share of changes after which a filter is typed into the figures table.
TYPED_SHARE = 0.15
# Each change fires these four, with the rest of their inputs as the page's defaults.
_CALLBACKS: list[tuple[Any, ...]] = [
    (callbacks.render, "idps"),
    (callbacks.render_series, 0),
    (callbacks.render_map, "idps"),
    (callbacks.table, 0, [], ""),
]


def _run(store: Store, changes: list[dict[str, Any]], skip: set[str]) -> dict[str, float | int]:
    """Every change drawn once through the four callbacks, with the caches in `skip` off."""
    server = Flask(__name__)
    query_cache = cache.make_cache(server, None)
    settings = DashboardSettings(database_url=store.url)
    packed = None if "packed" in skip else PackedPlaces()
    reader = _Without(
        store, settings, query_cache, packed, skip=frozenset(skip & set(QUERY_LAYERS))
    )
    boundaries.load.cache_clear()
    times = []
    with _process_caches_off(skip & set(PROCESS_LAYERS)):
        for change in changes:
            view = (change["place"], change["district"], change["start"], change["end"])
            # One request per callback, as the page sends them: `g` lives for one request.
            began = time.perf_counter()
            for draw, *rest in _CALLBACKS:
                with server.test_request_context():
                    draw(reader, *view, *rest) if draw is not callbacks.table else draw(
                        reader, False, *view, *rest
                    )
            for query in change["typed"]:
                with server.test_request_context():
                    callbacks.table(reader, False, *view, 0, [], query)
            times.append((time.perf_counter() - began) * 1000)
    return {
        "mean_ms": statistics.fmean(times),
        "p50_ms": statistics.median(times),
        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))],
        "changes": len(times),
    }


def bench_store(store: Store, changes: int, seed: int) -> dict[str, Any]:
    """Every cache, each off alone, and none: mean ms per change and the ratio to all on."""
    sequence = _changes(store, changes, seed)
    _run(store, sequence[:20], set())  # imports and first reads out of the way
    every = _run(store, sequence, set())
    runs: dict[str, Any] = {"all caches": every}
    for layer in [*QUERY_LAYERS, *PROCESS_LAYERS]:
        runs[f"without {layer}"] = _run(store, sequence, {layer})
    runs["no cache"] = _run(store, sequence, set(QUERY_LAYERS) | set(PROCESS_LAYERS))
    for run in runs.values():
        run["ratio"] = run["mean_ms"] / every["mean_ms"]
    return {"runs": runs}


def _synthetic_store(folder: Path, figures: int) -> Store:
    path = folder / "synthetic.csv"
    write_synth(generate(figures, 60, 6, seed=5, years=3), path)
    store = open_store(f"sqlite:///{folder / 'synthetic.db'}")
    load_reference(store, folder)
    import_hxl(store, path)
    return store


def main() -> None:
    """Measure, print and write bench/results/caches.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=200_000)
    parser.add_argument("--changes", type=int, default=150)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stores = {"bundled": open_store(_bundled_store(folder))}
        if args.figures:
            stores[f"synthetic {args.figures:,}"] = _synthetic_store(folder, args.figures)
        for name, store in stores.items():
            measured = bench_store(store, args.changes, args.seed)
            results[name] = measured
            print(f"\n{name}: ms per change ({args.changes} changes, 4 callbacks each)")
            for label, run in measured["runs"].items():
                print(
                    f"  {label:<24} mean {run['mean_ms']:8.1f}  p50 {run['p50_ms']:8.1f}"
                    f"  p95 {run['p95_ms']:8.1f}  x{run['ratio']:.2f}"
                )
            store.dispose()
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
