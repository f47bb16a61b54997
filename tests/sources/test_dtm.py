"""IOM DTM API v3: envelopes unwrapped, IDP stocks mapped with origins, loaded (Ethiopia)."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import SourceAuthError, SourceError, SourceFormatError
from etl.pipeline import run_source
from etl.sources import dtm
from etl.sources.base import Fetched, MapContext, MappedFigures, SourceConfig
from etl.store import reads
from etl.transport import HttpClient, HttpSettings
from tests.factories import (
    figure_summary,
    make_store,
    one_row,
    rejection_rows,
    runs,
    stored_figures,
)
from tests.upstream import Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dtm"
FAST = HttpSettings(read_timeout=1, retries=2, backoff=0.01)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = "0123456789abcdef0123456789abcdef"  # a test subscription key
CREDS = {"dtm_subscription_key": KEY}
URL = "https://dtmapi.iom.int/v3/displacement/admin0?Admin0Pcode=ETH"
NO_PLACES = pd.DataFrame({"pcode": pd.Series(dtype="str")})
PATHS = {level: f"/v3/displacement/admin{level}" for level in (0, 1, 2)}
AS_OF = pd.Timestamp("2017-12-31")


def _mapped(name: str, places: pd.DataFrame = NO_PLACES) -> MappedFigures:
    fetched = Fetched.from_file(FIXTURES / f"{name}.json")
    raw = dtm.read(fetched)
    return dtm.to_figures(raw, MapContext("dtm", name, "run-1", NOW, URL), places)


def _body(name: str, transform=None) -> bytes:
    doc = json.loads((FIXTURES / f"{name}.json").read_bytes())
    if transform:
        doc["result"] = [transform(dict(r)) for r in doc["result"]]
    return json.dumps(doc, separators=(",", ":")).encode()


def _cfg(upstream, **options: object) -> SourceConfig:
    return SourceConfig("dtm", countries=("ETH",), options={"base_url": upstream.base, **options})


def _serve_all(upstream) -> None:
    for level, path in PATHS.items():
        upstream.script(path, Reply.file(FIXTURES / f"admin{level}.json"))


# --- mapping -------------------------------------------------------------------------------


def test_country_rows_are_stocks_per_admin1_of_origin_with_a_sex_split() -> None:
    figs = _mapped("admin0").figures
    oromia = one_row(figs, pcode="ET", origin_pcode="ET04", sex=None)
    assert (oromia["value"], oromia["admin_level"], oromia["metric"]) == (772_924, 0, "idps")
    assert oromia["period_start"] == oromia["period_end"] == AS_OF
    assert (oromia["qualifier"], oromia["cause"], oromia["role"]) == (
        "exact",
        "conflict",
        "recommended",
    )
    assert oromia["source_record_id"] == "Countrywide monitoring/R8"
    assert oromia["publisher"] == "IOM DTM, Countrywide monitoring, site assessment"
    assert oromia["source_url"] == URL
    assert one_row(figs, pcode="ET", origin_pcode="ET04", sex="m")["value"] == 375_655
    assert one_row(figs, pcode="ET", origin_pcode="ET04", sex="f")["value"] == 397_269
    totals = figs[figs["sex"].isna()].set_index("origin_pcode")["value"].to_dict()
    assert totals == {
        "ET02": 7823,
        "ET03": 21_668,
        "ET12": 15_420,
        "ET04": 772_924,
        "ET05": 308_300,
        "ET01": 6984,
    }


def test_origin_places_come_from_the_upstreams_codes_and_names() -> None:
    new = _mapped("admin0").new_places.set_index("pcode")
    assert new.loc["ET", ["name", "admin_level"]].tolist() == ["Ethiopia", 0]
    assert new.loc["ET12", ["name", "admin_level", "parent_pcode"]].tolist() == [
        "Gambela",
        1,
        "ET",
    ]


def test_admin1_rows_with_origin_not_available_and_without_a_count() -> None:
    mapped = _mapped("admin1")
    figs = mapped.figures
    assert one_row(figs, pcode="ET04", origin_pcode="ET05")["value"] == 70_614
    unknown = one_row(figs, pcode="ET05", origin_pcode=None)
    assert unknown["value"] == 52_898
    assert unknown["source_record_id"] == "Countrywide monitoring/R8/20104"
    assert one_row(figs, pcode="ET05", origin_pcode="ET04", sex="f")["value"] == 130_292
    assert one_row(figs, pcode="ET02")["cause"] == "disaster"  # "Flash flood"
    assert [(r.row, r.column, r.check) for r in mapped.rejections] == [
        (6, "numPresentIdpInd", "value_missing")
    ]


def test_admin2_rows_need_their_pcode_and_take_whole_floats() -> None:
    mapped = _mapped("admin2")
    figs = mapped.figures
    east = one_row(figs, pcode="ET0410")
    assert (east["value"], east["admin_level"], east["origin_pcode"]) == (150_320, 2, "ET05")
    liban = one_row(figs, pcode="ET0509")
    assert liban["value"] == 1200 and liban["cause"] == "conflict"  # 1200.0; "Social tension"
    assert "Social tension" in liban["excerpt"]
    [refused] = mapped.rejections
    assert (refused.row, refused.column, refused.check) == (5, "admin2Pcode", "place_unspecified")
    new = mapped.new_places.set_index("pcode")
    assert new.loc["ET0502", ["name", "parent_pcode"]].tolist() == ["Fafan", "ET05"]
    assert new.loc["ET05", "parent_pcode"] == "ET"


def test_a_code_of_another_country_or_pattern_is_refused() -> None:
    body = _body("admin1", lambda r: {**r, "admin1Pcode": "SD04"} if r["id"] == 20101 else r)
    raw = dtm.read(Fetched("admin1.json", body, None, NOW))
    mapped = dtm.to_figures(raw, MapContext("dtm", "admin1", "r", NOW), NO_PLACES)
    refused = {r.value: r.reason for r in mapped.rejections}
    assert refused["SD04"] == "not an admin-1 COD P-code under ET"


def test_a_fractional_count_is_refused() -> None:
    body = _body(
        "admin0", lambda r: {**r, "numberMales": 4088.5} if r["numberMales"] == 4088 else r
    )
    raw = dtm.read(Fetched("admin0.json", body, None, NOW))
    mapped = dtm.to_figures(raw, MapContext("dtm", "admin0", "r", NOW), NO_PLACES)
    assert [(r.column, r.check, r.value) for r in mapped.rejections] == [
        ("numberMales", "number_format", 4088.5)
    ]


def test_a_baseline_beside_a_site_assessment_is_the_recommended_one() -> None:
    def baseline_twin(rows: list[dict]) -> list[dict]:
        return [*rows, {**rows[0], "assessmentType": "BA", "numPresentIdpInd": 8000}]

    doc = json.loads((FIXTURES / "admin0.json").read_bytes())
    doc["result"] = baseline_twin(doc["result"])
    raw = dtm.read(Fetched("admin0.json", json.dumps(doc).encode(), None, NOW))
    figs = dtm.to_figures(raw, MapContext("dtm", "admin0", "r", NOW), NO_PLACES).figures
    afar = figs[(figs["origin_pcode"] == "ET02") & figs["sex"].isna()]
    roles = dict(zip(afar["value"], afar["role"], strict=True))
    assert roles == {8000: "recommended", 7823: "triangulation"}


# --- what the upstream promises --------------------------------------------------------------


def test_an_error_envelope_is_the_upstreams_own_message() -> None:
    with pytest.raises(SourceError, match="No data found for the specified criteria"):
        dtm.read(Fetched.from_file(FIXTURES / "error.json"))


def test_a_renamed_field_fails_naming_it() -> None:
    body = _body("admin2").replace(b'"numPresentIdpInd":', b'"numPresentIdps":')
    with pytest.raises(SourceFormatError, match=r"dtm: admin2.json: field 'numPresentIdpInd'"):
        dtm.read(Fetched("admin2.json", body, None, NOW))


def test_a_dropped_admin_code_fails_for_its_level_only() -> None:
    body = _body("admin2", lambda r: {k: v for k, v in r.items() if k != "admin2Pcode"})
    with pytest.raises(SourceFormatError, match="field 'admin2Pcode' missing"):
        dtm.read(Fetched("admin2.json", body, None, NOW))


def test_a_date_that_is_not_iso_fails_naming_the_field() -> None:
    body = _body("admin0", lambda r: {**r, "reportingDate": "31/12/2017"})
    with pytest.raises(SourceFormatError, match="field 'reportingDate' wrong type or value"):
        dtm.read(Fetched("admin0.json", body, None, NOW))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html><body>403 Forbidden</body></html>", "HTML where JSON was expected"),
        (_body("admin0")[:500], "not valid JSON"),
        (b'[{"admin0Pcode": "ETH"}]', "field 'isSuccess' missing"),
        (b'{"isSuccess": true, "result": null}', "field 'result' missing or not a list"),
    ],
)
def test_bodies_that_are_not_envelopes_fail_clearly(body: bytes, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        dtm.read(Fetched("admin0.json", body, None, NOW))


def test_an_empty_result_is_no_records_not_an_error() -> None:
    raw = dtm.read(Fetched("admin1.json", b'{"isSuccess":true,"result":[]}', None, NOW))
    assert raw.frame.empty and "admin1Pcode" in raw.frame.columns


# --- fetching from the loopback upstream ---------------------------------------------------------


def test_each_level_is_one_request_with_the_key_in_a_header_only(tmp_path, upstream) -> None:
    _serve_all(upstream)
    cfg = SourceConfig(
        "dtm",
        countries=("ETH",),
        since=dt.date(2017, 1, 1),
        options={"base_url": upstream.base},
    )
    store = make_store(tmp_path)
    report = run_source(store, dtm.CONNECTOR, dtm.fetch(HttpClient(FAST), cfg, CREDS))
    assert report.ok, report.message
    assert [s.path for s in upstream.seen] == [PATHS[0], PATHS[1], PATHS[2]]
    for seen in upstream.seen:
        assert seen.headers["Ocp-Apim-Subscription-Key"] == KEY
        assert seen.query == {"Admin0Pcode": ["ETH"], "FromReportingDate": ["2017-01-01"]}
    figures = reads.figures(store.engine, sources=["dtm"])
    assert set(figures["dataset"]) == {"admin0", "admin1", "admin2"}
    assert len(figures) == 18 + 7 + 6
    assert upstream.base + PATHS[2] + "?Admin0Pcode=ETH&FromReportingDate=2017-01-01" in set(
        figures["source_url"]
    )
    assert not any(KEY in str(u) for u in figures["source_url"])
    places = reads.places(store.engine).set_index("pcode")
    assert places.loc["ET0410", ["name", "parent_pcode"]].tolist() == ["East Hararge", "ET04"]


def test_loading_the_same_responses_again_changes_nothing(tmp_path, upstream) -> None:
    _serve_all(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    assert run_source(store, dtm.CONNECTOR, dtm.fetch(client, _cfg(upstream), CREDS)).ok
    before = figure_summary(store)
    again = run_source(store, dtm.CONNECTOR, dtm.fetch(client, _cfg(upstream), CREDS))
    assert again.ok, again.message
    assert (again.changes.added, again.changes.changed, again.changes.removed) == (0, 0, 0)
    assert figure_summary(store) == before
    assert {r["check"] for r in rejection_rows(store, again.run_id)} == {
        "value_missing",
        "place_unspecified",
    }


def test_a_renamed_field_fails_the_run_and_leaves_the_store_as_it_was(tmp_path, upstream) -> None:
    _serve_all(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    assert run_source(store, dtm.CONNECTOR, dtm.fetch(client, _cfg(upstream), CREDS)).ok
    before = figure_summary(store)
    drifted = _body("admin1").replace(b'"admin1Pcode":', b'"admin1PCode":')
    upstream.script(PATHS[1], Reply(200, drifted))
    report = run_source(store, dtm.CONNECTOR, dtm.fetch(client, _cfg(upstream), CREDS))
    assert not report.ok
    assert "field 'admin1Pcode' missing" in report.message
    assert runs(store)[-1]["status"] == "failed"
    assert figure_summary(store) == before


def test_an_error_envelope_fails_the_run_with_the_upstreams_message(tmp_path, upstream) -> None:
    upstream.script(PATHS[0], Reply.file(FIXTURES / "error.json"))
    store = make_store(tmp_path)
    report = run_source(store, dtm.CONNECTOR, dtm.fetch(HttpClient(FAST), _cfg(upstream), CREDS))
    assert not report.ok
    assert report.message == (
        "dtm: admin0.ETH.json: the upstream reported an error: "
        "No data found for the specified criteria."
    )


def test_a_refused_key_fails_at_once_and_is_never_shown(tmp_path, upstream) -> None:
    _serve_all(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    assert run_source(store, dtm.CONNECTOR, dtm.fetch(client, _cfg(upstream), CREDS)).ok
    upstream.seen.clear()
    body = b'{"statusCode": 401, "message": "Access denied due to invalid subscription key."}'
    upstream.script(PATHS[0], Reply(401, body))
    report = run_source(store, dtm.CONNECTOR, dtm.fetch(client, _cfg(upstream), CREDS))
    assert not report.ok
    assert "refused the credential" in report.message
    assert len(upstream.seen) == 1
    row = runs(store)[-1]
    assert row["status"] == "failed"
    assert KEY not in report.message and KEY not in str(row)
    assert not any(KEY in str(f["source_url"]) for f in stored_figures(store))


def test_a_missing_key_fails_before_any_request(upstream) -> None:
    with pytest.raises(SourceAuthError, match="DTM_SUBSCRIPTION_KEY"):
        list(dtm.fetch(HttpClient(FAST), _cfg(upstream), {"dtm_subscription_key": None}))
    assert upstream.seen == []


def test_a_server_error_then_success_loads(tmp_path, upstream) -> None:
    upstream.script(PATHS[0], Reply(503), Reply.file(FIXTURES / "admin0.json"))
    store = make_store(tmp_path)
    cfg = _cfg(upstream, levels=[0])
    report = run_source(store, dtm.CONNECTOR, dtm.fetch(HttpClient(FAST), cfg, CREDS))
    assert report.ok, report.message
    assert len(upstream.seen) == 2
    assert len(stored_figures(store)) == 18


def test_html_instead_of_json_fails_the_run_clearly(tmp_path, upstream) -> None:
    upstream.script(PATHS[0], Reply(200, b"<html><body>Request blocked</body></html>"))
    store = make_store(tmp_path)
    report = run_source(store, dtm.CONNECTOR, dtm.fetch(HttpClient(FAST), _cfg(upstream), CREDS))
    assert not report.ok
    assert report.message == "dtm: admin0.ETH.json: HTML where JSON was expected"
    assert stored_figures(store) == []
