"""The real IDMC files beside the repository, imported end to end into a store.

`../shared/data/real/idmc/` holds a page of GIDD's conflicts endpoint and an IDU dump of India
(2023), as IDMC served them. CI has the folder; there a missing file fails, elsewhere it skips.
The figures asserted are those its README gives, read off the files.
"""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.headline import headline_cards
from etl.pipeline import RunReport, import_file
from etl.store import Store, reads
from schemas import tables
from tests.factories import SHARED_DATA, shared_file, world_store

REAL = SHARED_DATA / "real" / "idmc"
GIDD = "gidd_conflicts_offset600.json"
IDU = "idu_IND.json"
CONFLICT = "IDMC, Global Internal Displacement Database (GIDD), conflict and violence"
HXL_IDU = "idmc_idu_events_IND.csv"
CLIENT_ID = "HDX00AKEYJUl17"  # the id the saved page's `next` and `previous` links carry


def _real(name: str) -> Path:
    return shared_file(REAL / name)


@pytest.fixture
def bundled(tmp_path: Path, backend: str) -> Iterator[Store]:
    """A store of `backend` holding the bundled gazetteer, as `etl refresh` loads it."""
    store = world_store(tmp_path)
    yield store


def _loaded(store: Store, name: str) -> tuple[RunReport, pd.DataFrame]:
    report = import_file(store, "idmc", _real(name))
    assert report.ok, report.message
    return report, reads.figures(store.engine, sources=["idmc"])


def _one(figs: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=figs.index)
    for column, value in where.items():
        mask &= figs[column] == value
    assert mask.sum() == 1, f"{mask.sum()} figures match {where}"
    return figs[mask].iloc[0]


def _every_text(store: Store) -> str:
    """Every cell of every table, as text: what a credential must never be part of."""
    with store.engine.connect() as conn:
        return "\n".join(
            str(tuple(row)) for table in tables.metadata.sorted_tables
            for row in conn.execute(sa.select(table))
        )  # fmt: skip


def test_gidd_conflicts_page_loads_exact_figures_with_idmc_roundings_beside_them(
    bundled: Store,
) -> None:
    _, figs = _loaded(bundled, GIDD)
    assert set(figs["dataset"]) == {"gidd-conflicts"}
    syria = figs[figs["pcode"] == "SY"]
    for year, metric, exact, rounded in [
        (2019, "idps", 6_495_392, 6_495_000),
        (2019, "new_displacements", 1_847_140, 1_847_000),
        (2020, "idps", 6_567_759, 6_568_000),
        (2020, "new_displacements", 1_821_973, 1_822_000),
    ]:
        end = pd.Timestamp(year, 12, 31)
        start = end if metric == "idps" else pd.Timestamp(year, 1, 1)  # a stock as of 31 Dec
        one = syria[(syria["metric"] == metric) & (syria["period_end"] == end)]
        assert (one["period_start"] == start).all() and len(one) == 2
        figure = _one(one, publisher=CONFLICT)
        assert (int(figure["value"]), figure["role"], figure["qualifier"]) == (
            exact,
            "recommended",
            "exact",
        )
        assert (figure["cause"], figure["admin_level"]) == ("conflict", 0)
        twin = _one(one, publisher=CONFLICT + " (rounded)")
        assert (int(twin["value"]), twin["role"]) == (rounded, "triangulation")


def test_gidd_nulls_are_missing_never_zero(bundled: Store) -> None:
    _, figs = _loaded(bundled, GIDD)
    for pcode in ("IL", "ZA"):  # total_displacement null in 2019: no stock at all
        year = figs[(figs["pcode"] == pcode) & (figs["period_end"] == pd.Timestamp("2019-12-31"))]
        assert set(year["metric"]) == {"new_displacements"}
    israel = _one(figs, pcode="IL", publisher=CONFLICT, period_end=pd.Timestamp("2019-12-31"))
    assert int(israel["value"]) == 2_293


def test_gidd_counts_each_figure_once_and_refuses_places_without_iso_codes(bundled: Store) -> None:
    report, figs = _loaded(bundled, GIDD)
    doc = json.loads(_real(GIDD).read_bytes())
    refused = {"XKX", "AB9"}  # Kosovo and the Abyei Area have no ISO 3166 code
    exact = sum(
        r[c] is not None
        for r in doc["results"]
        if r["iso3"] not in refused
        for c in ("new_displacement", "total_displacement")
    )
    rounded = sum(
        r[c] is not None
        for r in doc["results"]
        if r["iso3"] not in refused
        for c in ("new_displacement_rounded", "total_displacement_rounded")
    )
    assert (exact, rounded) == (162, 159)
    assert (figs["role"] == "recommended").sum() == exact
    assert (figs["role"] == "triangulation").sum() == rounded
    counted = figs[figs["role"] == "recommended"]
    assert not counted.duplicated(["pcode", "metric", "period_start", "period_end"]).any()
    assert sorted((r.row, r.value) for r in report.rejections) == [
        (5, "XKX"),
        (36, "AB9"),
        (65, "XKX"),
        (97, "AB9"),
    ]
    assert {r.check for r in report.rejections} == {"country_code"}


def test_gidd_client_id_in_the_page_links_is_never_stored(bundled: Store) -> None:
    assert CLIENT_ID in _real(GIDD).read_text()
    _loaded(bundled, GIDD)
    text = _every_text(bundled)
    assert CLIENT_ID not in text and "client_id" not in text


def test_idu_india_loads_with_idmc_calendar_dates_and_qualifiers(bundled: Store) -> None:
    report, figs = _loaded(bundled, IDU)
    # 113 entries, one figure per country, period and cause: 76, each entry in one of them.
    assert len(figs) == 76 and report.rejections == []
    ids = [i for text in figs["source_record_id"] for i in text.split(";")]
    assert len(ids) == len(set(ids)) == 113
    assert set(figs["pcode"]) == {"IN"} and set(figs["admin_level"]) == {0}
    india = reads.places(bundled.engine).set_index("pcode").loc["IN"]
    assert (india["admin_level"], india["name"]) == (0, "India")
    nuh = _one(figs, source_record_id="119537")
    assert (int(nuh["value"]), nuh["qualifier"], nuh["cause"], nuh["metric"]) == (
        500,
        "more_than",
        "conflict",
        "new_displacements",
    )
    assert nuh["period_start"] == nuh["period_end"] == pd.Timestamp("2023-08-03")
    assert "Nuh" in nuh["excerpt"]
    kerala = _one(figs, source_record_id="126716")  # NZ summer time: 11:00 UTC
    assert kerala["period_start"] == kerala["period_end"] == pd.Timestamp("2023-11-07")
    entries = pd.DataFrame(json.loads(_real(IDU).read_bytes()))
    assert entries["qualifier"].value_counts().to_dict() == {
        "total": 100,
        "approximately": 10,
        "more than": 3,
    }
    single = figs[~figs["source_record_id"].str.contains(";")]
    by_id = entries.set_index(entries["id"].astype(str))
    for _, fig in single.iterrows():  # an entry alone keeps IDMC's qualifier, mapped
        published = by_id.loc[fig["source_record_id"], "qualifier"]
        assert fig["qualifier"] == {"total": "exact", "more than": "more_than"}.get(
            published, published
        )


def test_idu_every_date_is_the_auckland_date_not_the_utc_one(bundled: Store) -> None:
    entries = {str(e["id"]): e for e in json.loads(_real(IDU).read_bytes())}
    _, figs = _loaded(bundled, IDU)
    zone = ZoneInfo("Pacific/Auckland")

    def local(stamp: str) -> pd.Timestamp:
        when = dt.datetime.fromisoformat(stamp).astimezone(zone)
        assert when.time() == dt.time(0)  # IDMC's convention holds for every entry
        return pd.Timestamp(when.date())

    for _, fig in figs.iterrows():
        for number in fig["source_record_id"].split(";"):
            entry = entries[number]
            assert fig["period_start"] == local(entry["displacement_start_date"])
            assert fig["period_end"] == local(entry["displacement_end_date"])
            assert fig["period_start"] != pd.Timestamp(entry["displacement_start_date"][:10])


def test_idu_distinct_events_of_one_day_add_up_none_is_demoted(bundled: Store) -> None:
    """Each IDU entry is an event of its own: Cyclone Biparjoy's evacuations of 13 June 2023
    are seven entries, one per district (Kutch 6,500, Devbhumi Dwaraka 5,000, ...). The day's
    figure is their sum, naming each entry; no entry is left out of the count."""
    entries = json.loads(_real(IDU).read_bytes())
    _, figs = _loaded(bundled, IDU)
    assert set(figs["role"]) == {"recommended"}
    assert int(figs["value"].sum()) == sum(int(e["figure"]) for e in entries)
    cyclone = [e for e in entries if e["event_name"].startswith("India: Cyclone Biparjoy")]
    day = [e for e in cyclone if e["displacement_start_date"].startswith("2023-06-12")]
    assert len(day) == 7 and len({e["id"] for e in day}) == 7
    june13 = _one(
        figs, period_start=pd.Timestamp("2023-06-13"), period_end=pd.Timestamp("2023-06-13")
    )
    assert int(june13["value"]) == sum(int(e["figure"]) for e in day) == 20_050
    # six "approximately" and one "more than": the sum is approximate
    assert june13["qualifier"] == "approximately"
    assert sorted(june13["source_record_id"].split(";")) == sorted(str(e["id"]) for e in day)
    assert "sum of 7 IDU entries" in june13["excerpt"]


def test_idu_as_json_and_as_hxl_give_the_same_figures_and_headline(
    tmp_path: Path, backend: str
) -> None:
    """The same publication in its two editions: IDMC's JSON dump and the HXL sheet on HDX
    (which has the entries' ids in a column without a hashtag) give the same figures."""
    as_json = world_store(tmp_path, name="json.db", backend=backend)
    assert import_file(as_json, "idmc", _real(IDU)).ok
    as_hxl = world_store(tmp_path, name="hxl.db", backend=backend)
    report = import_file(as_hxl, "hxl", shared_file(SHARED_DATA / "real" / "hxl" / HXL_IDU))
    assert report.ok, report.message
    key = ["period_start", "period_end", "cause", "qualifier"]
    editions = []
    for store in (as_json, as_hxl):
        figs = reads.figures(store.engine, pcodes=["IN"])
        counted = figs[figs["role"] == "recommended"]
        editions.append(
            (
                counted.groupby(key)["value"].sum().astype(int).to_dict(),
                headline_cards(figs, dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
            )
        )
        store.dispose()
    (json_figures, json_cards), (hxl_figures, hxl_cards) = editions
    assert len(json_figures) == len(hxl_figures) == 76
    assert json_figures == hxl_figures
    [json_new] = [c for c in json_cards if c.key == "new"]
    [hxl_new] = [c for c in hxl_cards if c.key == "new"]
    assert json_new.text == hxl_new.text
    assert json_new.text.replace(",", "").lstrip("~>").split()[0].isdigit()
