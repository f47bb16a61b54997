"""IOM DTM API v3 in its real envelope, over small Chad fixtures of our own (illustrative
numbers, DTM's shapes): a split by reason, BA beside SA, null splits, "Not available"."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import SourceFormatError
from etl.pipeline import import_file
from etl.sources import dtm
from etl.sources.base import Fetched, MapContext, MappedFigures
from etl.store import reads
from schemas.pcodes import normalise_pcode
from tests.factories import make_store, one_row

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dtm"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NO_PLACES = pd.DataFrame({"pcode": pd.Series(dtype="str")})


def _mapped(name: str) -> MappedFigures:
    fetched = Fetched.from_file(FIXTURES / name)
    raw = dtm.read(fetched)
    ctx = MapContext("dtm", raw.dataset, "run-1", NOW)
    return dtm.to_figures(raw, ctx, NO_PLACES)


def _totals(name: str = "chad_admin1.json") -> pd.DataFrame:
    figs = _mapped(name).figures
    return figs[figs["sex"].isna()]


def test_the_real_envelope_is_read_and_its_count_checked() -> None:
    body = (FIXTURES / "chad_admin1.json").read_bytes()
    doc = json.loads(body)
    assert set(doc) == {"result", "statusCode", "isSuccess", "errorMessages", "totalRecordsCount"}
    assert len(dtm.read(Fetched("x.json", body, None, NOW)).frame) == 10
    doc["totalRecordsCount"] = 11  # the upstream says it sent more than the body holds
    with pytest.raises(SourceFormatError, match="totalRecordsCount is 11 but 'result' holds 10"):
        dtm.read(Fetched("x.json", json.dumps(doc).encode(), None, NOW))


def test_the_level_is_told_by_the_fields_not_the_file_name() -> None:
    saved = Fetched.from_file(FIXTURES / "chad_saved_response.json")
    assert dtm.read(saved).dataset == "admin2"
    assert dtm.read(saved).admin_level == 2
    assert dtm.read(Fetched.from_file(FIXTURES / "chad_admin1.json")).dataset == "admin1"
    asked = Fetched("x.json", saved.body, "https://dtmapi.iom.int/v3/displacement/admin2", NOW)
    assert dtm.read(asked).dataset == "admin2"


def test_a_split_by_reason_is_one_figure_per_cause() -> None:
    figs = _mapped("chad_admin1.json").figures
    day = figs[figs["period_end"] == pd.Timestamp("2025-01-31")]
    totals = day[day["sex"].isna()]
    assert dict(zip(totals["cause"], totals["value"], strict=True)) == {
        "conflict": 2000,
        "disaster": 40,
    }
    assert one_row(totals, cause="disaster")["publisher"] == (
        "IOM DTM, Lake Chad Basin Crisis, baseline assessment, Natural disaster"
    )
    assert totals["figure_id"].nunique() == 2
    males = day[day["sex"] == "m"]
    assert sorted(males["value"]) == [18, 900]
    assert (day["sex"] != "f").all()  # numberFemales is null: missing, never 0


def test_an_unsplit_round_keeps_its_publisher_without_a_reason() -> None:
    only = one_row(_totals(), period_end=pd.Timestamp("2018-02-28"))
    assert only["publisher"] == "IOM DTM, Lake Chad Basin Crisis, site assessment"
    assert (only["value"], only["role"]) == (800, "recommended")


def test_the_baseline_counts_and_the_site_assessment_is_triangulation() -> None:
    totals = _totals()
    for day in ("2017-09-30", "2018-07-30", "2019-09-30"):
        rows = totals[totals["period_end"] == pd.Timestamp(day)]
        site = rows[rows["publisher"].str.contains("site assessment")]
        assert list(site["role"]) == ["triangulation"], day
    # 2018-07-30: SA names an origin and BA does not; the baseline still counts.
    base = one_row(totals, period_end=pd.Timestamp("2018-07-30"), role="recommended")
    assert base["value"] == 995 and pd.isna(base["origin_pcode"])


def test_each_reason_dtm_gives_is_a_cause_of_its_own() -> None:
    totals = _totals()
    day = totals[totals["period_end"] == pd.Timestamp("2019-09-30")]
    baseline = day[day["publisher"].str.contains("baseline")]
    assert dict(zip(baseline["cause"], baseline["value"], strict=True)) == {
        "conflict": 1200,
        "insecurity": 100,  # never folded into conflict
    }
    assert set(baseline["role"]) == {"recommended"}
    recommended = totals[totals["role"] == "recommended"]
    key = ["pcode", "origin_pcode", "period_end", "cause"]
    assert not recommended.duplicated(subset=key).any()


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("Insecurity", "insecurity"),
        ("No reason for displacement reported", "not_reported"),
        ("Other reason", "other"),
        ("Natural disaster", "disaster"),
        ("Conflict", "conflict"),
    ],
)
def test_dtms_reasons_and_their_causes(reason: str, cause: str) -> None:
    assert dtm._cause(reason) == cause


def test_parts_whose_reasons_no_cause_names_keep_one_recommended() -> None:
    doc = json.loads((FIXTURES / "chad_admin1.json").read_bytes())
    for number, reason in ((5, "Family reasons"), (6, "Economic reasons")):
        doc["result"][number]["displacementReason"] = reason  # no word of any cause
    fetched = Fetched("admin1.json", json.dumps(doc).encode(), None, NOW)
    figs = dtm.to_figures(dtm.read(fetched), MapContext("dtm", "admin1", "r", NOW), NO_PLACES)
    day = figs.figures[
        (figs.figures["period_end"] == pd.Timestamp("2019-09-30")) & figs.figures["sex"].isna()
    ]
    baseline = day[day["publisher"].str.contains("baseline")]
    assert baseline["cause"].isna().all()  # never guessed into a cause
    roles = dict(zip(baseline["value"], baseline["role"], strict=True))
    assert roles == {1200: "recommended", 100: "triangulation"}  # kept, counted once


def test_not_available_is_no_origin_and_no_place() -> None:
    mapped = _mapped("chad_admin1.json")
    assert mapped.rejections == []
    first = _totals()[lambda f: f["period_end"] == pd.Timestamp("2017-09-30")]
    assert first["origin_pcode"].isna().all()
    assert "NOT AVAILABLE" not in set(mapped.new_places["pcode"])
    assert set(mapped.new_places["pcode"]) == {"TD", "TD07"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [("TCD0704", "TD0704"), ("tcd07 ", "TD07"), ("TCD", "TD"), ("TD07", "TD07"), ("SY07", "SY07")],
)
def test_codes_are_stored_in_the_gazetteers_spelling(code: str, expected: str) -> None:
    assert normalise_pcode(code) == expected


@pytest.mark.parametrize("nothing", [None, "", "  ", "nan", "Not available", 7])
def test_no_code_is_none(nothing: object) -> None:
    assert normalise_pcode(nothing) is None


def test_an_iso3_admin_code_is_stored_as_the_cods(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "chad_saved_response.json").read_bytes())
    for record in doc["result"]:
        record["admin2Pcode"] = "TCD" + record["admin2Pcode"][2:]
    raw = dtm.read(Fetched("x.json", json.dumps(doc).encode(), None, NOW))
    figs = dtm.to_figures(raw, MapContext("dtm", "admin2", "r", NOW), NO_PLACES).figures
    assert set(figs["pcode"]) == {"TD0704", "TD0701"}


def test_the_fixtures_load_end_to_end(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    for name in ("chad_admin1.json", "chad_saved_response.json"):
        report = import_file(store, "dtm", FIXTURES / name)
        assert report.ok and report.rejections == [], report.message
    figs = reads.figures(store.engine, sources=["dtm"])
    store.dispose()
    assert set(figs["dataset"]) == {"admin1", "admin2"}
    fouli = figs[(figs["pcode"] == "TD0704") & figs["sex"].isna()]
    assert sorted(fouli["value"]) == [25, 1500]
