"""IDMC as it really publishes: GIDD's conflicts and disasters endpoints, IDU without roles.

Small fixtures of our own in the shapes of the real responses (tests/fixtures/idmc/README.md).
"""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import SourceError, SourceFormatError
from etl.pipeline import run_source
from etl.sources import idmc
from etl.sources.base import Fetched, MapContext, MappedFigures, SourceConfig
from etl.store import reads
from etl.transport import HttpClient, HttpSettings
from tests.factories import make_store
from tests.upstream import Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "idmc"
FAST = HttpSettings(read_timeout=1, retries=2, backoff=0.01)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KNOWN = pd.DataFrame({"pcode": ["SY"]})
KEY = "IDMC-TEST-CLIENT-7f3a9c"
CONFLICTS = "/external-api/gidd/conflicts/"
CONFLICT = "IDMC, Global Internal Displacement Database (GIDD), conflict and violence"


def _fetched(file: str, name: str | None = None, url: str | None = None) -> Fetched:
    return Fetched(name or file, (FIXTURES / file).read_bytes(), url, NOW)


def _mapped(fetched: Fetched) -> MappedFigures:
    raw = idmc.read(fetched)
    ctx = MapContext("idmc", idmc.dataset_of(fetched), "r1", NOW, fetched.url)
    return idmc.to_figures(raw, ctx, KNOWN)


def _by_id(mapped: MappedFigures) -> dict[str, pd.Series]:
    return {row["source_record_id"]: row for _, row in mapped.figures.iterrows()}


# --- which endpoint -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "name", "dataset"),
    [
        ("gidd_conflicts.json", "gidd-displacements.1.json", "gidd-conflicts"),
        ("gidd_disasters.json", "gidd_conflicts_offset0.json", "gidd-disasters"),
        ("gidd_all.json", "gidd-disasters.json", "gidd-displacements"),
        ("gidd_conflicts.json", "saved.json", "gidd-conflicts"),
        ("idus_helix.json", "idu_SYR.json", "idus"),
    ],
)
def test_the_endpoint_is_told_by_the_fields_not_the_file_name(
    file: str, name: str, dataset: str
) -> None:
    fetched = _fetched(file, name)
    assert idmc.dataset_of(fetched) == dataset
    assert idmc.read(fetched).dataset == dataset


def test_a_page_without_rows_is_named_by_its_url() -> None:
    body = b'{"count": 0, "next": null, "previous": null, "results": []}'
    url = "https://helix-tools-api.idmcdb.org/external-api/gidd/disasters/?limit=5&offset=0"
    assert idmc.dataset_of(Fetched("gidd-x.1.json", body, url, NOW)) == "gidd-disasters"
    assert idmc.dataset_of(Fetched("page.json", body, None, NOW)) == "gidd-displacements"


# --- GIDD conflicts ----------------------------------------------------------------------------


def test_the_exact_count_is_the_figure_and_the_rounded_one_triangulates() -> None:
    mapped = _mapped(_fetched("gidd_conflicts.json"))
    figs = _by_id(mapped)
    stock = figs["SYR/2021/total_displacement"]
    assert (stock["metric"], stock["value"], stock["role"], stock["qualifier"]) == (
        "idps",
        6_662_123,
        "recommended",
        "exact",
    )
    assert stock["period_start"] == stock["period_end"] == pd.Timestamp("2021-12-31")
    assert (stock["pcode"], stock["admin_level"], stock["cause"]) == ("SY", 0, "conflict")
    assert stock["publisher"] == CONFLICT and stock["published_pcode"] == "SYR"
    rounded = figs["SYR/2021/total_displacement_rounded"]
    assert (rounded["value"], rounded["role"], rounded["qualifier"]) == (
        6_662_000,
        "triangulation",
        "approximately",
    )
    assert rounded["publisher"] == CONFLICT + " (rounded)"  # a natural key of its own
    assert rounded["figure_id"] != stock["figure_id"]
    assert "rounded figures at national level" in rounded["excerpt"]
    flow = figs["SYR/2021/new_displacement"]
    assert (flow["metric"], flow["value"], flow["role"]) == (
        "new_displacements",
        1_227_456,
        "recommended",
    )
    assert (flow["period_start"], flow["period_end"]) == (
        pd.Timestamp("2021-01-01"),
        pd.Timestamp("2021-12-31"),
    )
    assert figs["SYR/2021/new_displacement_rounded"]["value"] == 1_227_000


def test_a_null_is_no_figure_and_a_zero_is_a_zero() -> None:
    figs = _by_id(_mapped(_fetched("gidd_conflicts.json")))
    israel = {k for k in figs if k.startswith("ISR/")}
    assert israel == {"ISR/2021/new_displacement", "ISR/2021/new_displacement_rounded"}
    madagascar = {k: int(v["value"]) for k, v in figs.items() if k.startswith("MDG/")}
    assert madagascar == {"MDG/2021/total_displacement": 0}  # published 0, rounding null


def test_a_nan_count_is_no_figure_like_a_null() -> None:
    """Python's JSON reads a `NaN` literal as a float NaN: no figure, as a null is none."""
    body = (FIXTURES / "gidd_conflicts.json").read_bytes()
    page = json.loads(body)
    row = next(r for r in page["results"] if r["iso3"] == "ISR")
    row["total_displacement"] = float("nan")  # written back as the literal NaN
    with_nan = Fetched("gidd_conflicts.json", json.dumps(page).encode(), None, NOW)
    assert b"NaN" in with_nan.body
    figs = _by_id(_mapped(with_nan))
    assert figs.keys() == _by_id(_mapped(_fetched("gidd_conflicts.json"))).keys()
    assert {k for k in figs if k.startswith("ISR/")} == {
        "ISR/2021/new_displacement",
        "ISR/2021/new_displacement_rounded",
    }


def test_a_rounded_count_alone_is_the_figure() -> None:
    figs = _by_id(_mapped(_fetched("gidd_conflicts.json")))
    alone = figs["COL/2021/new_displacement_rounded"]  # no exact figure published
    assert (alone["value"], alone["role"], alone["qualifier"]) == (
        134_000,
        "recommended",
        "approximately",
    )
    assert "COL/2021/new_displacement" not in figs


def test_one_recommended_figure_per_country_metric_and_year() -> None:
    figs = _mapped(_fetched("gidd_conflicts.json")).figures
    counted = figs[figs["role"] == "recommended"]
    assert not counted.duplicated(["pcode", "metric", "period_start", "period_end"]).any()
    assert len(figs) == 4 + 2 + 1 + 3  # SYR, ISR, MDG, COL; AB9 refused


def test_a_place_without_an_iso_3166_code_is_refused_naming_it() -> None:
    mapped = _mapped(_fetched("gidd_conflicts.json"))
    assert [(r.row, r.column, r.check, r.value) for r in mapped.rejections] == [
        (4, "iso3", "country_code", "AB9")
    ]
    assert mapped.rows_read == 5


# --- GIDD disasters ----------------------------------------------------------------------------


def test_disaster_events_are_flows_over_their_days_and_stocks_at_the_year_end() -> None:
    mapped = _mapped(_fetched("gidd_disasters.json"))
    figs = mapped.figures
    exact = figs[figs["qualifier"] == "exact"].set_index("value")
    quake = exact.loc[265_432]
    assert (quake["metric"], quake["cause"], quake["pcode"]) == (
        "new_displacements",
        "disaster",
        "SY",
    )
    assert (quake["period_start"], quake["period_end"]) == (
        pd.Timestamp("2023-02-06"),
        pd.Timestamp("2023-02-06"),
    )
    assert quake["publisher"] == (
        "IDMC, Global Internal Displacement Database (GIDD), disasters, event "
        "Türkiye - Syria: Earthquakes - 06/02/2023 (2023-02-06 to 2023-02-06) "
        "[EQ-2023-000015-SYR]"
    )
    assert "Geophysical / Earthquake / Ground movement" in quake["excerpt"]
    stock = exact.loc[41_210]
    assert (stock["metric"], stock["period_start"], stock["period_end"]) == (
        "idps",
        pd.Timestamp("2023-12-31"),
        pd.Timestamp("2023-12-31"),
    )
    over_new_year = exact.loc[12_345]  # 28 December 2019 to 5 January 2020, year 2020
    assert (over_new_year["period_start"], over_new_year["period_end"]) == (
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-01-05"),
    )
    undated = exact.loc[999]  # no dates: the reporting year
    assert (undated["period_start"], undated["period_end"]) == (
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-12-31"),
    )


def test_two_events_of_one_name_keep_their_own_figures() -> None:
    figs = _mapped(_fetched("gidd_disasters.json")).figures
    idlib = figs[figs["publisher"].str.contains("Flood - Idlib", regex=False)]
    assert sorted(idlib["value"].astype(int)) == [780, 780, 3456, 3500]
    assert idlib["figure_id"].is_unique
    assert set(idlib[idlib["qualifier"] == "exact"]["role"]) == {"recommended"}


def test_an_event_that_ends_before_it_starts_is_refused() -> None:
    mapped = _mapped(_fetched("gidd_disasters.json"))
    assert [(r.row, r.column, r.check) for r in mapped.rejections] == [(6, "end_date", "period")]
    assert len(mapped.figures) == 4 + 2 + 2 + 4 + 2


# --- IDU in the real dump's shape ----------------------------------------------------------


def test_idu_dates_are_the_auckland_calendar_dates() -> None:
    mapped = _mapped(_fetched("idus_helix.json"))
    figs = _by_id(mapped)
    winter = figs["310001"]  # 2023-08-02T12:00Z is midnight of 3 August in NZST (+12)
    assert winter["period_start"] == winter["period_end"] == pd.Timestamp("2023-08-03")
    summer = figs["310002"]  # 11:00Z is midnight in NZDT (+13): 7 to 9 November
    assert (summer["period_start"], summer["period_end"]) == (
        pd.Timestamp("2023-11-07"),
        pd.Timestamp("2023-11-09"),
    )
    assert figs["310003"]["period_end"] == pd.Timestamp("2023-10-01")  # start date only


def test_a_timestamp_that_is_not_auckland_midnight_is_refused() -> None:
    mapped = _mapped(_fetched("idus_helix.json"))
    assert [(r.row, r.column, r.check) for r in mapped.rejections] == [
        (4, "displacement_start_date", "date_time_of_day")
    ]


def test_idu_without_role_is_a_recommended_update_with_idmc_qualifiers() -> None:
    figs = _by_id(_mapped(_fetched("idus_helix.json")))
    assert {k: (v["qualifier"], v["role"], v["cause"]) for k, v in figs.items()} == {
        "310001": ("more_than", "recommended", "conflict"),
        "310002": ("exact", "recommended", "disaster"),
        "310003": ("approximately", "recommended", "conflict"),
    }
    assert figs["310001"]["publisher"] == "IDMC, Internal Displacement Updates, figure 310001"
    assert figs["310001"]["excerpt"].startswith("Syria: 1,200 displacements, 03 August")


# --- drift -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "gidd_conflicts.json",
            b'"total_displacement_rounded":',
            b'"total_rounded":',
            "field 'total_displacement_rounded' missing",
        ),
        (
            "gidd_conflicts.json",
            b'"new_displacement": 1227456',
            b'"new_displacement": "1227456"',
            "field 'new_displacement' wrong type",
        ),
        (
            "gidd_disasters.json",
            b'"start_date": "2023-02-06"',
            b'"start_date": "06/02/2023"',
            "field 'start_date' wrong type",
        ),
        ("gidd_disasters.json", b'"event_name":', b'"event":', "field 'event_name' missing"),
    ],
)
def test_drift_fails_naming_the_field(file: str, old: bytes, new: bytes, problem: str) -> None:
    body = (FIXTURES / file).read_bytes().replace(old, new)
    assert body != (FIXTURES / file).read_bytes()
    with pytest.raises(SourceFormatError, match=f"idmc: page.json: {problem}"):
        idmc.read(Fetched("page.json", body, None, NOW))


# --- fetching the conflicts endpoint -------------------------------------------------------


def _page(offset: int, total: int, base: str) -> bytes:
    """A conflicts page of one row whose `next` repeats the client id, as IDMC's do."""
    doc = json.loads((FIXTURES / "gidd_conflicts.json").read_bytes())
    last = offset + 1 >= total
    link = f"{base}{CONFLICTS}?client_id={KEY}&client_id={KEY}&format=json&limit=1"
    doc.update(count=total, results=doc["results"][offset : offset + 1])
    doc["next"] = None if last else f"{link}&offset={offset + 1}"
    return json.dumps(doc).encode()


def test_conflict_pages_load_and_no_client_id_is_sent_twice_or_stored(tmp_path, upstream) -> None:
    for offset in (0, 1):
        upstream.match(
            CONFLICTS, {"offset": str(offset)}, Reply(200, _page(offset, 2, upstream.base))
        )
    cfg = SourceConfig(
        "idmc",
        options={
            "base_url": upstream.base + "/external-api",
            "datasets": ["gidd"],
            "gidd_endpoints": ["conflicts"],
            "limit": 1,
        },
    )
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    report = run_source(store, idmc.CONNECTOR, idmc.fetch(client, cfg, {"idmc_client_id": KEY}))
    assert report.ok, report.message
    assert [s.query["client_id"] for s in upstream.seen] == [[KEY], [KEY]]
    assert [s.query["offset"] for s in upstream.seen] == [["0"], ["1"]]
    figures = reads.figures(store.engine, sources=["idmc"])
    assert set(figures["dataset"]) == {"gidd-conflicts"}
    assert len(figures) == 4 + 2
    assert not any(KEY in str(u) or "client_id" in str(u) for u in figures["source_url"])


def test_an_unknown_gidd_endpoint_is_a_configuration_error(upstream) -> None:
    cfg = SourceConfig("idmc", options={"base_url": upstream.base, "datasets": ["gidd"],
                                        "gidd_endpoints": ["idps"]})  # fmt: skip
    with pytest.raises(SourceError, match="gidd_endpoints 'idps' is not one of"):
        list(idmc.fetch(HttpClient(FAST), cfg, {"idmc_client_id": KEY}))
    assert upstream.seen == []
