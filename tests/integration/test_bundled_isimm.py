"""The default sources load offline (the HXL file and the shipped ISIMM months) and the page
lands on numbers: every card of the landing view, the monthly people in sites of Idleb's and
Aleppo's districts, and the one sum allowed computed alike in the store and in memory."""

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from dashboard import data, parts
from dashboard.state import ViewState
from etl.config import load_sources
from etl.pipeline import import_hxl, run_source
from etl.sources import cccm_isimm
from etl.store import DATA_DIR, Store, aggregates, reads
from etl.transport import HttpClient, HttpSettings
from tests import oracles
from tests.factories import BACKENDS, world_store

CARD_METRICS = ["population", "idps", "new_displacements"]
IDLEB_DISTRICTS = {"SY0700", "SY0702", "SY0703", "SY0704", "SY0705"}
ALEPPO_DISTRICTS = {"SY0200", "SY0202", "SY0203", "SY0204", "SY0208"}


@pytest.fixture(scope="module", params=BACKENDS)
def bundled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A store loaded as `python -m etl refresh` loads it with the default sources.toml."""
    store = world_store(tmp_path_factory.mktemp("bundled"), backend=request.param)
    configs = load_sources(None, DATA_DIR)
    assert configs["hxl"].enabled and configs["cccm-isimm"].enabled
    assert import_hxl(store, DATA_DIR / "bundled" / "nw_syria_2019_2020.csv").ok
    # No upstream exists for this test: a request would fail it (the months are read offline).
    fetched = cccm_isimm.fetch(HttpClient(HttpSettings(retries=0)), configs["cccm-isimm"], {})
    report = run_source(store, cccm_isimm.CONNECTOR, fetched)
    assert report.ok, report.message
    yield store
    store.dispose()


def _isimm(store: Store) -> pd.DataFrame:
    figs = reads.figures(store.engine, sources=["cccm-isimm"])
    return figs[figs["sex"].isna() & figs["age_group"].isna()]


def test_every_shipped_month_loads_per_governorate_district_and_sub_district(
    bundled: Store,
) -> None:
    figs = _isimm(bundled)
    months = sorted({d.date().isoformat() for d in figs["period_end"]})
    assert months == [
        "2017-04-30",
        "2018-01-31",
        "2019-02-28",
        "2019-11-30",
        "2020-01-31",
        "2020-02-29",
        "2020-04-30",
    ]
    assert set(figs["admin_level"].dropna().astype(int)) == {1, 2, 3}
    feb = figs[figs["period_end"] == pd.Timestamp("2020-02-29")]
    # The README's figure for February 2020: 706 sites, 1,148,228 people.
    assert int(feb.loc[feb["admin_level"] == 1, "value"].sum()) == 1_148_228
    assert all(u.startswith("https://raw.githubusercontent.com/") for u in feb["source_url"])


def _month(figs: pd.DataFrame, day: str, level: int) -> pd.DataFrame:
    return figs[(figs["period_end"] == pd.Timestamp(day)) & (figs["admin_level"] == level)]


def test_a_district_whose_sites_are_all_placed_adds_up_from_its_sub_districts(
    bundled: Store,
) -> None:
    figs = _isimm(bundled)
    # A'zaz, February 2020: CCCM's site list places all of its 23 sites.
    azaz = _month(figs, "2020-02-29", 2).set_index("pcode").loc["SY0204"]
    subs = _month(figs, "2020-02-29", 3)
    subs = subs[subs["pcode"].str.startswith("SY0204")]
    assert len(subs) >= 2 and set(subs["qualifier"]) == {"exact"}
    assert int(subs["value"].sum()) == int(azaz["value"])
    assert all("sub-district from CCCM's site list" in e for e in subs["excerpt"])
    assert all("lacks" not in e for e in subs["excerpt"])


def test_sub_districts_of_a_district_with_unplaced_sites_say_more_than(bundled: Store) -> None:
    figs = _isimm(bundled)
    # Harim, February 2020: 459 sites, 12 of which CCCM's April 2020 list does not place.
    harim = _month(figs, "2020-02-29", 2).set_index("pcode").loc["SY0703"]
    subs = _month(figs, "2020-02-29", 3)
    subs = subs[subs["pcode"].str.startswith("SY0703")]
    assert len(subs) >= 2 and set(subs["qualifier"]) == {"more_than"}
    assert 0 < int(subs["value"].sum()) < int(harim["value"])
    lacks = "lacks 12 of the district's 459 sites (sites with people)"
    assert all(lacks in e for e in subs["excerpt"])
    # Every sub-district is one the gazetteer knows, inside the district it sums for.
    places = reads.places(bundled.engine).set_index("pcode")
    assert set(places.loc[subs["pcode"], "parent_pcode"]) == {"SY0703"}


def test_sites_without_codes_are_placed_in_no_sub_district(bundled: Store) -> None:
    figs = _isimm(bundled)
    # April 2017: the sites have no CCCM code yet, so the site list cannot place any.
    assert _month(figs, "2017-04-30", 3).empty
    assert not _month(figs, "2017-04-30", 2).empty


def test_idleb_and_aleppo_districts_have_monthly_people_in_sites(bundled: Store) -> None:
    figs = _isimm(bundled)
    districts = figs[figs["pcode"].isin(IDLEB_DISTRICTS | ALEPPO_DISTRICTS)]
    months = districts.groupby("pcode")["period_end"].nunique().to_dict()
    # Months with sites, of the seven shipped: Al Ma'ra's sites emptied after February 2019,
    # Ariha has sites only in April 2020, Afrin none in February 2019 or January 2020.
    assert months == {
        "SY0200": 7,
        "SY0202": 6,
        "SY0203": 5,
        "SY0204": 7,
        "SY0208": 7,
        "SY0700": 7,
        "SY0702": 3,
        "SY0703": 7,
        "SY0704": 7,
        "SY0705": 1,
    }


@pytest.mark.parametrize(("pcode", "level"), [("SY", 0), ("SY07", 1), ("SY02", 1), ("SY0703", 2)])
def test_the_store_and_memory_sum_one_publications_units_alike(
    bundled: Store, pcode: str, level: int
) -> None:
    in_store = aggregates.unit_sums(bundled.engine, pcode, level, CARD_METRICS, None)
    everything = reads.figures(bundled.engine)
    in_memory = oracles.unit_sums(everything, pcode, level, CARD_METRICS, None)
    key = parts.SUM_KEY
    left = in_store.sort_values(key).reset_index(drop=True)
    right = in_memory.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    if pcode != "SY0703":
        assert not in_store.empty


def test_a_sum_never_spans_publishers_or_dates(bundled: Store) -> None:
    sums = aggregates.unit_sums(bundled.engine, "SY", 0, CARD_METRICS, None)
    figs = reads.figures(bundled.engine)
    for row in sums.itertuples(index=False):
        same = figs[
            (figs["publisher"] == row.publisher)
            & (figs["dataset"] == row.dataset)
            & (figs["metric"] == row.metric)
            & (figs["period_end"] == row.period_end)
            & (figs["period_start"] == row.period_start)
            & (figs["admin_level"] == row.admin_level)
            & (figs["role"] == "recommended")
            & figs["sex"].isna()
            & figs["age_group"].isna()
            & figs["origin_pcode"].isna()
        ]
        assert int(same["value"].sum()) == row.value
        assert same["pcode"].nunique() == row.units
    # Idleb's ISIMM figure is its own sites' sum: its districts' sum for the month agrees.
    idleb = aggregates.unit_sums(bundled.engine, "SY07", 1, ["idps"], None)
    feb = idleb[(idleb["period_end"] == pd.Timestamp("2020-02-29")) & (idleb["admin_level"] == 2)]
    own = _isimm(bundled)
    own_feb = own[(own["pcode"] == "SY07") & (own["period_end"] == pd.Timestamp("2020-02-29"))]
    assert feb["value"].tolist() == own_feb["value"].tolist() == [928_298]


def _cards(store: Store, state: ViewState) -> dict[str, tuple[str, str]]:
    ref = data.reference(store)
    v = data.view(store, ref, state, 0.1)
    return {c.key: (c.text, c.detail) for c in data.cards(v, state)}


def test_the_landing_view_has_a_number_on_every_card(bundled: Store) -> None:
    ref = data.reference(bundled)
    landing = ref.default_view
    assert landing.place == "SY-NW"
    assert (landing.date_from, landing.date_to) == (ref.date_to.replace(2019, 12, 1), ref.date_to)
    cards = _cards(bundled, landing)
    assert set(cards) == {"population", "idps", "new", "share"}
    assert all(any(ch.isdigit() for ch in text) for text, _ in cards.values()), cards


def test_syria_shows_the_sum_of_one_publications_governorates_labelled(bundled: Store) -> None:
    ref = data.reference(bundled)
    cards = _cards(bundled, ViewState("SY", None, ref.date_from, ref.date_to))
    assert cards["idps"] == (
        "1,409,323",
        "no country-wide figure; sum of 2 governorates, CCCM Cluster (Syria cross-border), "
        "2020-04-30",
    )
    text, detail = cards["population"]
    assert text == "–"
    assert detail.startswith("no country-wide figure; its governorates report: Idleb ~3,000,000")


@pytest.mark.parametrize("place", ["SY", "SY07", "SY02", "SY-NW"])
def test_a_view_cuts_its_unit_sums_from_the_place_s_as_the_store_sums_that_range(
    bundled: Store, place: str
) -> None:
    ref = data.reference(bundled)
    compared = 0
    for end in [None, *pd.date_range("2019-11-30", "2020-05-31", freq="ME").date]:
        state = ViewState(place, None, None, end)
        view = data.view(bundled, ref, state, 0.1)
        row = data.selected(ref, state)[0]
        missing = parts.missing_metrics(view.own, None, end)
        expected = (
            aggregates.unit_sums(bundled.engine, place, int(row["admin_level"]), missing, end)
            if missing and not pd.isna(row["admin_level"])
            else view.sums.iloc[0:0]
        )
        pd.testing.assert_frame_equal(
            view.sums.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
        )
        compared += len(expected)
    # Syria has no figure of its own for most months: its governorates' sums were compared.
    assert compared > 0 or place != "SY"


# Ranges whose map and time series are each read on their own and taken from the view; each
# test adds a whole-range view of a place that has what it draws.
_RANGES = [
    ("SY07", None, "2019-12-01", "2020-03-05"),
    ("SY07", "SY0703", "2020-01-01", "2020-04-30"),
    ("SY-NW", None, "2020-01-01", "2020-01-31"),
]


def _state(place: str, district: str | None, start: str | None, end: str | None) -> ViewState:
    day = dt.date.fromisoformat
    return ViewState(place, district, start and day(start), end and day(end))


@pytest.mark.parametrize(
    ("place", "district", "start", "end"), [("SY", None, None, None), *_RANGES]
)
def test_the_map_reads_on_its_own_what_the_view_gives_it(
    bundled: Store, place: str, district: str | None, start: str | None, end: str | None
) -> None:
    state = _state(place, district, start, end)
    ref = data.reference(bundled)
    alone = data.within_view(bundled, ref, state)
    taken = data.within_of(data.view(bundled, ref, state, 0.10), state)
    assert not alone.parts.empty
    for part in ("kids", "stocks", "flows", "parts", "moves"):
        pd.testing.assert_frame_equal(getattr(alone, part), getattr(taken, part))
    pd.testing.assert_series_equal(alone.place, taken.place)


@pytest.mark.parametrize(
    ("place", "district", "start", "end"), [("SY07", None, None, None), *_RANGES]
)
def test_the_time_series_reads_on_its_own_what_the_view_gives_it(
    bundled: Store, place: str, district: str | None, start: str | None, end: str | None
) -> None:
    state = _state(place, district, start, end)
    ref = data.reference(bundled)
    alone = data.timeline(bundled, ref, state)
    taken = data.timeline_of(bundled, data.view(bundled, ref, state, 0.10), state)
    assert not alone.own.empty
    pd.testing.assert_frame_equal(alone.own, taken.own)
    pd.testing.assert_frame_equal(alone.events, taken.events)
    pd.testing.assert_series_equal(alone.place, taken.place)
