"""Query results are cached per filter state, in-process or in a real Redis, and a load
that commits makes the old entries unreachable."""

import os
import threading
import time

import pytest
from flask import Flask

from dashboard.cache import MEMORY_ENTRIES, cached, make_cache
from etl.pipeline import import_hxl
from tests.factories import good_file, good_rows


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TEST_REDIS_URL is not set: .ci/run starts redis-server and sets it")
        pytest.skip("set TEST_REDIS_URL=redis://127.0.0.1:6390/0 with a redis-server running")
    return url


@pytest.fixture(params=["memory", "redis"])
def cache(request):
    url = _redis_url() if request.param == "redis" else None
    made = make_cache(Flask(__name__), url)
    made.clear()
    yield made
    made.clear()


def test_a_second_ask_for_the_same_state_is_served_from_the_cache(cache, store, tmp_path):
    assert import_hxl(store, good_file(tmp_path)).ok
    calls = []

    def compute():
        calls.append(1)
        return {"rows": 5}

    assert cached(cache, store, "view|SY07", compute) == {"rows": 5}
    assert cached(cache, store, "view|SY07", compute) == {"rows": 5}
    assert len(calls) == 1
    cached(cache, store, "view|SY02", compute)
    assert len(calls) == 2


def test_a_load_that_commits_invalidates_the_cache(cache, store, tmp_path):
    assert import_hxl(store, good_file(tmp_path)).ok
    calls = []
    cached(cache, store, "k", lambda: calls.append(1) or "old")
    rows = good_rows()
    rows[0][9] = "~3,100,000"
    assert import_hxl(store, good_file(tmp_path, rows)).ok
    assert cached(cache, store, "k", lambda: calls.append(1) or "new") == "new"
    assert len(calls) == 2


def test_the_redis_cache_really_is_redis():
    made = make_cache(Flask(__name__), _redis_url())
    assert type(made.cache).__name__ == "RedisCache"
    made.set("probe", {"a": 1})
    assert made.get("probe") == {"a": 1}
    assert made.cache._write_client.exists("flask_cache_probe") == 1


def test_callbacks_asking_for_one_state_at_once_compute_it_once(cache, store, tmp_path):
    assert import_hxl(store, good_file(tmp_path)).ok
    calls = []
    started = threading.Event()

    def compute():
        calls.append(1)
        started.set()
        time.sleep(0.3)  # long enough for the other callbacks to arrive meanwhile
        return {"rows": 5}

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cached(cache, store, "place|SY", compute)))
        for _ in range(4)
    ]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [{"rows": 5}] * 4
    assert len(calls) == 1


def test_the_in_process_cache_keeps_the_object_itself():
    made = make_cache(Flask(__name__), None)
    value = {"frame": [1, 2, 3]}
    made.set("k", value)
    assert made.get("k") is value


def _memory():
    return make_cache(Flask(__name__), None)


def test_the_in_process_cache_keeps_what_is_read_and_evicts_the_least_recently_used():
    made = _memory()
    bound = MEMORY_ENTRIES["place"]
    made.set("v1|place|SY07", "read often")
    for i in range(bound * 2):
        made.set(f"v1|place|P{i}", i)
        assert made.get("v1|place|SY07") == "read often"
    # SimpleCache evicted the entry set first however often it was read; this one is kept,
    # and the places set and never read again went first.
    assert made.get("v1|place|P0") is None
    assert made.get(f"v1|place|P{bound * 2 - 1}") == bound * 2 - 1
    kept = [i for i in range(bound * 2) if made.get(f"v1|place|P{i}") is not None]
    assert len(kept) == bound - 1


def test_views_never_push_a_place_or_the_gazetteer_out_of_the_in_process_cache():
    made = _memory()
    made.set("v1|reference", "gazetteer")
    made.set("v1|place|SY07", "figures")
    for i in range(MEMORY_ENTRIES["view"] * 10):
        made.set(f"v1|view|state {i}", i)
    assert made.get("v1|reference") == "gazetteer"
    assert made.get("v1|place|SY07") == "figures"
    views = [i for i in range(MEMORY_ENTRIES["view"] * 10) if made.get(f"v1|view|state {i}")]
    assert len(views) == MEMORY_ENTRIES["view"]


def test_setting_a_key_again_replaces_it_and_evicts_nothing():
    made = _memory()
    for i in range(MEMORY_ENTRIES["view"]):
        made.set(f"v1|view|{i}", i)
    made.set("v1|view|0", "again")
    assert made.get("v1|view|0") == "again"
    assert all(made.get(f"v1|view|{i}") == i for i in range(1, MEMORY_ENTRIES["view"]))


def test_freshness_is_read_once_per_data_version(cache, store, tmp_path, monkeypatch):
    from dashboard import data
    from dashboard.reader import Reader
    from dashboard.settings import DashboardSettings

    assert import_hxl(store, good_file(tmp_path)).ok
    reads = []
    real = data.freshness
    monkeypatch.setattr(data, "freshness", lambda s: reads.append(1) or real(s))
    reader = Reader(store, DashboardSettings(), cache)
    first = reader.freshness()
    assert reader.freshness().equals(first)
    assert len(reads) == 1
    # A run that fails is a run too: the page says so at once.
    assert not import_hxl(store, tmp_path / "missing.csv").ok
    again = reader.freshness()
    assert len(reads) == 2
    assert again["last_failed"].notna().any() and first["last_failed"].isna().all()
