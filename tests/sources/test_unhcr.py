"""UNHCR Refugee Statistics API: refugees by origin and asylum, IDPs, returned IDPs."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import SourceFormatError
from etl.pipeline import run_source
from etl.sources import unhcr
from etl.sources.base import Fetched, MapContext, SourceConfig
from etl.store import reads
from etl.transport import HttpClient, HttpSettings
from tests.factories import figure_summary, make_store
from tests.upstream import Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "unhcr"
FAST = HttpSettings(read_timeout=1, retries=2, backoff=0.01)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _mapped(file: str, name: str):
    fetched = Fetched(name, (FIXTURES / file).read_bytes(), "https://api.unhcr.org/x", NOW)
    raw = unhcr.read(fetched)
    ctx = MapContext("unhcr", unhcr.dataset_of(fetched), "r1", NOW, fetched.url)
    return unhcr.to_figures(raw, ctx, pd.DataFrame({"pcode": ["SY"]}))


def _one(figs, **where):
    rows = figs
    for col, value in where.items():
        rows = rows[rows[col].isna()] if value is None else rows[rows[col] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_idps_returnees_and_refugees_by_asylum_country():
    mapped = _mapped("population_p1.json", "population?coo=SYR&page=1")
    figs = mapped.figures
    idps = _one(figs, metric="idps", pcode="SY")
    assert (idps["value"], idps["period_end"]) == (6_183_920, pd.Timestamp("2019-12-31"))
    assert idps["role"] == "recommended" and idps["admin_level"] == 0
    assert _one(figs, metric="returnees", pcode="SY")["value"] == 443_966
    turkey = _one(figs, metric="refugees", pcode="TR")
    assert (turkey["value"], turkey["origin_pcode"]) == (3_576_370, "SY")
    assert _one(figs, metric="refugees", pcode="LB")["value"] == 910_256
    assert turkey["source_record_id"] == "population/2019/SYR-TUR/refugees"
    assert set(mapped.new_places["pcode"]) == {"TR", "LB"}  # SY is already known
    assert mapped.rejections == []


def test_a_dash_is_not_applicable_and_other_text_is_a_rejection():
    mapped = _mapped("population_p2.json", "population?coo=SYR&page=2")
    [refused] = mapped.rejections
    assert (refused.row, refused.column, refused.value) == (2, "refugees", "n/a")
    assert list(mapped.figures["metric"]) == ["idps"]


def test_idmc_stocks_are_triangulation_with_a_cause():
    figs = _mapped("idmc.json", "idmc?coo=SYR&page=1").figures
    assert list(figs["value"]) == [6_495_000, 6_568_000]
    assert set(figs["role"]) == {"triangulation"} and set(figs["cause"]) == {"conflict"}
    assert set(figs["publisher"]) == {"IDMC via UNHCR Refugee Data Finder"}


def test_a_missing_field_fails_naming_it():
    body = (FIXTURES / "idmc.json").read_text().replace('"total"', '"idp_total"')
    with pytest.raises(SourceFormatError, match="total missing"):
        unhcr.read(Fetched("idmc?coo=SYR&page=1", body.encode(), None, NOW))


def test_html_instead_of_json_fails_clearly():
    with pytest.raises(SourceFormatError, match="HTML where JSON was expected"):
        unhcr.read(Fetched("idmc?page=1", b"<html>busy</html>", None, NOW))


def _serve(upstream):
    upstream.match("/v1/population/", {"page": "1"}, Reply.file(FIXTURES / "population_p1.json"))
    upstream.match("/v1/population/", {"page": "2"}, Reply.file(FIXTURES / "population_p2.json"))
    upstream.script("/v1/idmc/", Reply(500), Reply.file(FIXTURES / "idmc.json"))


def _cfg(upstream):
    return SourceConfig(
        "unhcr", countries=("SYR",), since=dt.date(2019, 1, 1),
        options={"base_url": upstream.base + "/v1", "year_to": 2020},
    )  # fmt: skip


def test_pages_until_max_pages_and_reloading_changes_nothing(tmp_path, upstream):
    _serve(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    report = run_source(store, unhcr.CONNECTOR, unhcr.fetch(client, _cfg(upstream), {}))
    assert report.ok, report.message
    pages = [s.query["page"][0] for s in upstream.seen if s.path == "/v1/population/"]
    assert pages == ["1", "2"]
    assert upstream.seen[0].query["yearFrom"] == ["2019"]
    assert upstream.seen[0].query["cf_type"] == ["ISO"]
    stored = reads.figures(store.engine, sources=["unhcr"])
    assert len(stored) == 4 + 1 + 2  # page 1, page 2, idmc (after a 500 and a retry)
    assert all(u.startswith(upstream.base + "/v1/") for u in stored["source_url"])
    before = figure_summary(store)
    again = run_source(store, unhcr.CONNECTOR, unhcr.fetch(client, _cfg(upstream), {}))
    assert (again.changes.added, again.changes.changed, again.changes.removed) == (0, 0, 0)
    assert figure_summary(store) == before


def test_drift_fails_the_run_and_leaves_the_store_as_it_was(tmp_path, upstream):
    _serve(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    assert run_source(store, unhcr.CONNECTOR, unhcr.fetch(client, _cfg(upstream), {})).ok
    before = figure_summary(store)
    drifted = (FIXTURES / "population_p1.json").read_bytes().replace(b'"coa_iso"', b'"coa_code"')
    upstream.matchers.clear()
    upstream.script("/v1/population/", Reply(200, drifted, {"Content-Type": "application/json"}))
    report = run_source(store, unhcr.CONNECTOR, unhcr.fetch(client, _cfg(upstream), {}))
    assert not report.ok
    assert "unhcr" in report.message and "coa_iso" in report.message
    assert figure_summary(store) == before
