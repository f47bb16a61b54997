"""UNHCR Refugee Statistics API: refugees by asylum country, IDPs and returns (Syria 2019-20)."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import SourceFormatError
from etl.pipeline import run_source
from etl.sources import unhcr
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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "unhcr"
FAST = HttpSettings(read_timeout=1, retries=2, backoff=0.01)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
URL = "https://api.unhcr.org/population/v1/population/?coo=SYR&page=1"
KNOWN = pd.DataFrame({"pcode": ["SY"]})
POPULATION = "/population/v1/population/"
IDMC = "/population/v1/idmc/"
END_2019 = pd.Timestamp("2019-12-31")


def _mapped(file: str, when: dt.datetime = NOW) -> MappedFigures:
    fetched = Fetched(file, (FIXTURES / file).read_bytes(), None, when)
    raw = unhcr.read(fetched)
    ctx = MapContext("unhcr", unhcr.dataset_of(fetched), "run-1", when, URL)
    return unhcr.to_figures(raw, ctx, KNOWN)


def _edited(file: str, change) -> bytes:
    doc = json.loads((FIXTURES / file).read_bytes())
    doc["items"] = [change(dict(i)) for i in doc["items"]]
    return json.dumps(doc).encode()


# --- mapping -------------------------------------------------------------------------------


def test_idps_returns_and_refugees_by_country_of_asylum() -> None:
    mapped = _mapped("population_p1.json")
    figs = mapped.figures
    idps = one_row(figs, metric="idps")
    assert (idps["pcode"], idps["admin_level"], idps["value"]) == ("SY", 0, 6_183_920)
    assert idps["period_start"] == idps["period_end"] == END_2019
    assert (idps["role"], idps["cause"], idps["qualifier"]) == ("recommended", "conflict", "exact")
    assert idps["source_record_id"] == "population/2019/SYR-SYR/idps"
    assert idps["publisher"] == "UNHCR, Refugee Data Finder"
    assert idps["source_url"] == URL and pd.isna(idps["origin_pcode"])
    returns = one_row(figs, metric="returns")  # "443966": a string count, a flow over the year
    assert (returns["value"], returns["pcode"]) == (443_966, "SY")
    assert returns["period_start"] == pd.Timestamp("2019-01-01")
    assert returns["period_end"] == END_2019
    turkey = one_row(figs, metric="refugees", pcode="TUR")
    assert (turkey["value"], turkey["origin_pcode"], turkey["period_end"]) == (
        3_576_370,
        "SY",
        END_2019,
    )
    words = "Refugees under UNHCR's mandate, end-2019: Syrian Arab Rep. -> Türkiye"
    assert turkey["excerpt"] == words
    assert one_row(figs, metric="refugees", pcode="LB")["value"] == 910_256
    assert len(figs) == 4 and mapped.rejections == []  # refugees "0" at home is not a figure
    new = mapped.new_places.set_index("pcode")
    # SY is in the gazetteer already; Türkiye's COD codes begin with TUR.
    assert sorted(new.index) == ["LB", "TUR"]
    assert new.loc["TUR", ["name", "admin_level", "kind"]].tolist() == ["Türkiye", 0, "admin"]


def test_a_dash_is_not_applicable_and_other_text_is_a_rejection() -> None:
    mapped = _mapped("population_p3.json")
    [refused] = mapped.rejections
    assert (refused.row, refused.column, refused.check, refused.value) == (
        2,
        "refugees",
        "number_format",
        "n/a",
    )
    assert list(mapped.figures["pcode"]) == ["LB"]


def test_idmc_stocks_sit_on_the_country_as_triangulation() -> None:
    figs = _mapped("idmc.json").figures
    assert list(figs["value"]) == [6_495_000, 6_568_000]  # a number, then a string
    assert set(figs["pcode"]) == {"SY"} and set(figs["metric"]) == {"idps"}
    assert set(figs["role"]) == {"triangulation"} and set(figs["cause"]) == {"conflict"}
    assert set(figs["publisher"]) == {"IDMC via UNHCR, Refugee Data Finder"}
    assert list(figs["period_end"]) == [END_2019, pd.Timestamp("2020-12-31")]


def test_a_year_not_over_when_fetched_is_a_mid_year_figure() -> None:
    figs = _mapped("population_p2.json", dt.datetime(2020, 12, 10, tzinfo=dt.UTC)).figures
    idps = one_row(figs, metric="idps")
    assert idps["period_end"] == pd.Timestamp("2020-06-30") and idps["value"] == 6_658_863
    mid_2020 = one_row(figs, pcode="TUR", period_end=pd.Timestamp("2020-06-30"))
    assert "mid-2020" in mid_2020["excerpt"]
    assert one_row(figs, pcode="JO")["period_end"] == END_2019  # 2019 had ended


def test_counts_that_cannot_be_placed_are_refused() -> None:
    def change(item: dict) -> dict:
        if item["coa_iso"] == "TUR":
            return {**item, "idps": 1200}  # IDPs counted abroad
        if item["coa_iso"] == "LBN":
            return {**item, "coo_iso": "XXA", "coo_name": "Stateless"}
        return item

    fetched = Fetched("population.json", _edited("population_p1.json", change), None, NOW)
    ctx = MapContext("unhcr", "population", "r", NOW)
    mapped = unhcr.to_figures(unhcr.read(fetched), ctx, KNOWN)
    refused = {(r.row, r.column, r.check) for r in mapped.rejections}
    assert refused == {(2, "idps", "place_mismatch"), (3, "coo_iso", "country_code")}
    assert one_row(mapped.figures, pcode="TUR")["value"] == 3_576_370  # the row's other count stays


# --- what the upstream promises --------------------------------------------------------------


def test_a_renamed_field_fails_naming_it() -> None:
    body = (FIXTURES / "population_p1.json").read_bytes().replace(b'"coa_iso"', b'"coa_code"')
    with pytest.raises(SourceFormatError, match=r"unhcr: population.json: field 'coa_iso' missing"):
        unhcr.read(Fetched("population.json", body, None, NOW))


def test_a_count_that_is_not_a_number_or_text_fails_naming_it() -> None:
    body = _edited("idmc.json", lambda i: {**i, "total": {"value": 1}})
    with pytest.raises(SourceFormatError, match="field 'total' wrong type"):
        unhcr.read(Fetched("idmc.json", body, None, NOW))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<!DOCTYPE html><html>Service unavailable</html>", "HTML where JSON was expected"),
        ((FIXTURES / "idmc.json").read_bytes()[:200], "not valid JSON"),
        (b'{"page": 1, "maxPages": 1, "data": []}', "field 'items' missing"),
    ],
)
def test_bodies_that_are_not_pages_fail_clearly(body: bytes, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        unhcr.read(Fetched("idmc.json", body, None, NOW))


# --- fetching from the loopback upstream ---------------------------------------------------


def _cfg(upstream) -> SourceConfig:
    options = {"base_url": upstream.base + "/population/v1", "year_to": 2020, "limit": 3}
    return SourceConfig("unhcr", countries=("SYR",), since=dt.date(2019, 1, 1), options=options)


def _serve(upstream) -> None:
    for page in (1, 2, 3):
        reply = Reply.file(FIXTURES / f"population_p{page}.json")
        upstream.match(POPULATION, {"page": str(page)}, reply)
    upstream.script(IDMC, Reply.file(FIXTURES / "idmc.json"))


def _run(store, upstream):
    client = HttpClient(FAST)
    return run_source(store, unhcr.CONNECTOR, unhcr.fetch(client, _cfg(upstream), {}))


def test_pages_until_max_pages_and_loads_every_record_once(tmp_path, upstream) -> None:
    _serve(upstream)
    store = make_store(tmp_path)
    report = _run(store, upstream)
    assert report.ok, report.message
    asked = [(s.path, s.query.get("page")) for s in upstream.seen]
    assert asked == [(POPULATION, ["1"]), (POPULATION, ["2"]), (POPULATION, ["3"]), (IDMC, ["1"])]
    first = upstream.seen[0].query
    assert {k: v[0] for k, v in first.items()} == {
        "yearFrom": "2019",
        "yearTo": "2020",
        "coo": "SYR",
        "cf_type": "ISO",
        "limit": "3",
        "coa_all": "true",
        "page": "1",
    }
    figures = reads.figures(store.engine, sources=["unhcr"])
    assert len(figures) == 4 + 3 + 1 + 2  # pages 1-3 ("n/a" refused), idmc
    assert figures["figure_id"].is_unique
    refugees = figures[figures["metric"] == "refugees"]
    assert sorted(refugees["pcode"]) == ["JO", "LB", "LB", "TUR", "TUR"]
    assert all(u.startswith(upstream.base + "/population/v1/") for u in figures["source_url"])
    places = reads.places(store.engine).set_index("pcode")
    assert places.loc["JO", "name"] == "Jordan"
    assert [r["column"] for r in rejection_rows(store, report.run_id)] == ["refugees"]


def test_loading_the_same_responses_again_changes_nothing(tmp_path, upstream) -> None:
    _serve(upstream)
    store = make_store(tmp_path)
    assert _run(store, upstream).ok
    before = figure_summary(store)
    again = _run(store, upstream)
    assert again.ok, again.message
    assert (again.changes.added, again.changes.changed, again.changes.removed) == (0, 0, 0)
    assert figure_summary(store) == before


def test_a_renamed_field_fails_the_run_and_leaves_the_store_as_it_was(tmp_path, upstream) -> None:
    _serve(upstream)
    store = make_store(tmp_path)
    assert _run(store, upstream).ok
    before = figure_summary(store)
    drifted = (FIXTURES / "population_p2.json").read_bytes().replace(b'"idps"', b'"idp"')
    upstream.matchers[1] = (POPULATION, {"page": "2"}, Reply(200, drifted))
    report = _run(store, upstream)
    assert not report.ok
    assert report.message.startswith("unhcr: population.SYR.2.json: field 'idps' missing")
    assert runs(store)[-1]["status"] == "failed"
    assert figure_summary(store) == before


def test_a_short_page_or_a_missing_page_count_is_drift(upstream) -> None:
    body = b'{"page": 2, "maxPages": 3, "items": []}'
    upstream.match(POPULATION, {"page": "1"}, Reply.file(FIXTURES / "population_p1.json"))
    upstream.match(POPULATION, {"page": "2"}, Reply(200, body))
    with pytest.raises(SourceFormatError, match="no items on page 2 of 3"):
        list(unhcr.fetch(HttpClient(FAST), _cfg(upstream), {}))
    upstream.matchers[0] = (POPULATION, {"page": "1"}, Reply(200, b'{"page": 1, "items": []}'))
    with pytest.raises(SourceFormatError, match="field 'maxPages' missing"):
        list(unhcr.fetch(HttpClient(FAST), _cfg(upstream), {}))


def test_a_server_error_then_success_loads(tmp_path, upstream) -> None:
    _serve(upstream)
    upstream.script(IDMC, Reply(500), Reply.file(FIXTURES / "idmc.json"))
    store = make_store(tmp_path)
    report = _run(store, upstream)
    assert report.ok, report.message
    assert [s.path for s in upstream.seen].count(IDMC) == 2
    assert len(stored_figures(store)) == 10


def test_a_refusal_fails_at_once(tmp_path, upstream) -> None:
    upstream.script(POPULATION, Reply(401, b'{"detail": "Unauthorized"}'))
    store = make_store(tmp_path)
    report = _run(store, upstream)
    assert not report.ok
    assert "HTTP 401: the upstream refused the credential" in report.message
    assert len(upstream.seen) == 1  # no retry
    assert stored_figures(store) == []


def test_html_instead_of_json_fails_the_run_clearly(tmp_path, upstream) -> None:
    upstream.script(POPULATION, Reply(200, b"<html><body>Maintenance</body></html>"))
    store = make_store(tmp_path)
    report = _run(store, upstream)
    assert not report.ok
    assert report.message == "unhcr: population.SYR.1.json: HTML where JSON was expected"
    assert runs(store)[-1]["status"] == "failed" and stored_figures(store) == []
