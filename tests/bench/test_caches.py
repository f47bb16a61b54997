"""The cache audit draws the page's callbacks with each cache off in turn, on a real store."""

from pathlib import Path

import pytest

from bench.caches import PROCESS_LAYERS, QUERY_LAYERS, bench_store
from bench.loadtest import _bundled_store
from etl.store import open_store


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory):
    store = open_store(_bundled_store(Path(tmp_path_factory.mktemp("caches"))))
    yield store
    store.dispose()


def test_every_cache_is_turned_off_in_turn_and_every_change_drawn(bundled) -> None:
    runs = bench_store(bundled, changes=3, seed=11)["runs"]
    layers = [*QUERY_LAYERS, *PROCESS_LAYERS]
    assert list(runs) == ["all caches", *(f"without {layer}" for layer in layers), "no cache"]
    assert "packed" in layers
    for run in runs.values():
        assert run["changes"] == 3
        assert run["mean_ms"] > 0 and run["ratio"] > 0
