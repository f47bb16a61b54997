"""Every place's figures are packed at a server's start and opened from there by any reader
sharing them (a worker forked from the master), for the store's data version only."""

import pandas as pd
import pytest
from flask import Flask

from dashboard import data, place_tree
from dashboard.app import create_app
from dashboard.cache import make_cache
from dashboard.packed import PackedPlaces
from dashboard.reader import Reader
from dashboard.settings import DashboardSettings
from etl.pipeline import import_hxl
from etl.store import reads
from tests.factories import good_file, good_rows


def _kids(store, pcode: str) -> list[str]:
    ref = data.reference(store)
    return list(place_tree.children(ref.places, ref.members, pcode)["pcode"])


def _equal(one: data.PlaceFigures, other: data.PlaceFigures) -> None:
    for part in ("own", "flows", "moves"):
        pd.testing.assert_frame_equal(getattr(one, part), getattr(other, part))
    assert (one.order is None) == (other.order is None)
    if one.order is not None and other.order is not None:
        assert one.order.series.tolist() == other.order.series.tolist()
        assert one.order.rank.tolist() == other.order.rank.tolist()


@pytest.fixture
def counted_reads(monkeypatch) -> list[str]:
    """Each place read from the store, in order (the real reads, counted)."""
    read = data.place_figures
    seen: list[str] = []

    def counting(store, pcode, below):
        seen.append(pcode)
        return read(store, pcode, below)

    monkeypatch.setattr(data, "place_figures", counting)
    return seen


def test_packed_figures_open_as_they_were_read_for_their_version_only(store, tmp_path):
    assert import_hxl(store, good_file(tmp_path)).ok
    read = data.place_figures(store, "SY07", _kids(store, "SY07"))
    packed = PackedPlaces()
    packed.put("v1", "SY07", read)
    _equal(packed.get("v1", "SY07"), read)
    assert packed.get("v1", "SY07") is not packed.get("v1", "SY07")  # each opened anew
    assert packed.get("v2", "SY07") is None and packed.get("v1", "SY02") is None
    packed.put("v2", "SY02", read)
    assert not packed.has("v1", "SY07") and packed.has("v2", "SY02")
    assert 0 < packed.size() < 1_000_000


def test_a_reader_sharing_packed_places_opens_them_instead_of_reading(
    store, tmp_path, counted_reads
):
    assert import_hxl(store, good_file(tmp_path)).ok
    settings, packed = DashboardSettings(database_url=store.url), PackedPlaces()
    first = Reader(store, settings, make_cache(Flask("one"), None), packed)
    read = first.place_figures("SY07", _kids(store, "SY07"))
    other = Reader(store, settings, make_cache(Flask("two"), None), packed)
    _equal(other.place_figures("SY07", _kids(store, "SY07")), read)
    assert counted_reads == ["SY07"]
    # A load that commits: its figures are read anew, and packed for the new version.
    rows = good_rows()
    rows[0][9] = "~3,100,000"
    assert import_hxl(store, good_file(tmp_path, rows)).ok
    again = Reader(store, settings, make_cache(Flask("three"), None), packed)
    fresh = again.place_figures("SY07", _kids(store, "SY07"))
    assert counted_reads == ["SY07", "SY07"]
    assert packed.has(reads.data_version(store.engine), "SY07")
    assert not fresh.own.equals(read.own)


def test_a_server_packs_every_place_at_its_start(store, tmp_path, counted_reads):
    assert import_hxl(store, good_file(tmp_path)).ok
    app = create_app(DashboardSettings(database_url=store.url), store, warm=True)
    packed = app.server.extensions["dashboard.packed"]
    version = reads.data_version(store.engine)
    pcodes = data.reference(store).places["pcode"].tolist()
    assert all(packed.has(version, pcode) for pcode in pcodes)
    assert sorted(counted_reads) == sorted(pcodes)  # each read once, menu places included


def test_a_server_packs_as_many_places_as_told_largest_first(store, tmp_path, counted_reads):
    assert import_hxl(store, good_file(tmp_path)).ok
    places = data.reference(store).places
    menu = set(place_tree.menu_places(places)["pcode"])
    districts = places.loc[places["admin_level"] == 2, "pcode"].tolist()
    told = len(menu) + 1
    settings = DashboardSettings(database_url=store.url, pack_places=told)
    app = create_app(settings, store, warm=True)
    packed = app.server.extensions["dashboard.packed"]
    version = reads.data_version(store.engine)
    kept = [p for p in places["pcode"] if packed.has(version, p)]
    assert set(kept) == menu | {districts[0]}  # the menu, then the largest units
    assert sorted(counted_reads) == sorted(kept)


def test_a_server_told_to_pack_none_reads_places_at_first_view(store, tmp_path, counted_reads):
    assert import_hxl(store, good_file(tmp_path)).ok
    settings = DashboardSettings(database_url=store.url, pack_places=0)
    app = create_app(settings, store, warm=True)
    assert app.server.extensions["dashboard.packed"] is None
    assert "SY0702" not in counted_reads  # a district: not on the menu


def test_a_places_figures_hold_each_text_once_across_frames_and_records(store, tmp_path):
    assert import_hxl(store, good_file(tmp_path)).ok
    read = data.place_figures(store, "SY07", _kids(store, "SY07"))
    texts = [
        *read.own["publisher"].tolist(),
        *read.flows["publisher"].tolist(),
        *(record["publisher"] for record in read.flow_records.records),
        *read.own["metric"].tolist(),
        *read.flows["metric"].tolist(),
    ]
    objects: dict[str, set[int]] = {}
    for text in texts:
        objects.setdefault(text, set()).add(id(text))
    assert len(texts) > len(objects) > 1  # texts repeat, and there is more than one
    assert all(len(ids) == 1 for ids in objects.values())
