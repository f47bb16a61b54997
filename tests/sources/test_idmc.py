"""IDMC: IDU events and GIDD yearly figures for Syria 2019-2021, mapped and loaded."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import SourceAuthError, SourceFormatError
from etl.pipeline import run_source
from etl.sources import idmc
from etl.sources.base import Fetched, MapContext, MappedFigures, SourceConfig
from etl.store import reads
from etl.transport import HttpClient, HttpSettings
from tests.factories import figure_summary, make_store, runs, stored_figures
from tests.upstream import Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "idmc"
FAST = HttpSettings(read_timeout=1, retries=2, backoff=0.01)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = "IDMC-TEST-CLIENT-7f3a9c"  # a test client id
CREDS = {"idmc_client_id": KEY}
KNOWN = pd.DataFrame({"pcode": ["SY"]})
IDU_URL = "https://helix-tools-api.idmcdb.org/external-api/idus/all/"
IDU = "/external-api/idus/all/"
DUMP = "/media/api-dump/idus-all/idus_all.json"
GIDD = "/external-api/gidd/displacements/"
SYRIA_SINCE_2019 = "idus-all?iso3=SYR&since=2019-01-01"


def _mapped(file: str, name: str, url: str | None = IDU_URL) -> MappedFigures:
    fetched = Fetched(name, (FIXTURES / file).read_bytes(), url, NOW)
    raw = idmc.read(fetched)
    return idmc.to_figures(raw, MapContext("idmc", idmc.dataset_of(fetched), "r1", NOW, url), KNOWN)


def _by_id(figs: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["source_record_id"]: row for _, row in figs.iterrows()}


def _idu(change) -> bytes:
    return json.dumps(
        [change(dict(r)) for r in json.loads((FIXTURES / "idus_all.json").read_bytes())]
    ).encode()


# --- mapping: IDU -------------------------------------------------------------------------------


def test_idu_entries_are_flows_on_the_country_with_idmc_words() -> None:
    mapped = _mapped("idus_all.json", SYRIA_SINCE_2019)
    figs = _by_id(mapped.figures)
    assert sorted(figs) == ["210101;210105", "210102", "210103", "210104"]  # IRQ, 2018 out
    assert mapped.rows_read == 5 and mapped.rejections == []
    idlib = figs["210102"]
    assert (idlib["pcode"], idlib["admin_level"], idlib["metric"]) == ("SY", 0, "new_displacements")
    assert (idlib["period_start"], idlib["period_end"]) == (
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-01-31"),
    )
    assert (idlib["value"], idlib["qualifier"], idlib["cause"], idlib["role"]) == (
        390_000,
        "approximately",
        "conflict",
        "recommended",
    )
    assert idlib["publisher"] == "IDMC, Internal Displacement Updates, figure 210102"
    assert idlib["excerpt"].startswith("Syria: 390,000 displacements, 01 January - 31 January")
    assert "<" not in idlib["excerpt"] and idlib["source_url"] == IDU_URL
    assert figs["210103"]["role"] == "triangulation"  # IDMC's own "Triangulation"
    flood = figs["210104"]  # only an end date: the flow starts and ends on it
    assert flood["period_start"] == flood["period_end"] == pd.Timestamp("2020-01-17")
    assert (flood["cause"], flood["qualifier"], flood["role"]) == (
        "disaster",
        "exact",
        "recommended",
    )


def test_distinct_events_of_one_country_and_period_add_up_naming_each_entry() -> None:
    figs = _by_id(_mapped("idus_all.json", SYRIA_SINCE_2019).figures)
    both = figs["210101;210105"]  # Idlib and Aleppo, 12-25 December 2019: two events
    assert (both["value"], both["qualifier"], both["role"]) == (
        235_000 + 30_000,
        "more_than",
        "recommended",
    )
    assert (
        both["publisher"] == "IDMC, Internal Displacement Updates, sum of the entries of the period"
    )
    assert both["excerpt"].startswith("sum of 2 IDU entries (210101, 210105)")
    assert "Idlib" in both["excerpt"] and "Aleppo" in both["excerpt"]


def test_entries_whose_qualifiers_pull_both_ways_are_refused_not_summed() -> None:
    def change(row: dict) -> dict:
        return {**row, "qualifier": "less than"} if row["id"] == 210105 else row

    fetched = Fetched(SYRIA_SINCE_2019, _idu(change), IDU_URL, NOW)
    mapped = idmc.to_figures(idmc.read(fetched), MapContext("idmc", "idus-all", "r", NOW), KNOWN)
    assert {(r.row, r.check) for r in mapped.rejections} == {
        (1, "sum_qualifier"),
        (5, "sum_qualifier"),
    }
    assert sorted(mapped.figures["source_record_id"]) == ["210102", "210103", "210104"]


def test_a_saved_dump_without_a_filter_maps_every_country() -> None:
    mapped = _mapped("idus_all.json", "idus_all.json", url=None)
    assert len(mapped.figures) == 6 and mapped.rows_read == 7  # two events add up
    assert mapped.new_places.set_index("pcode").loc["IQ", "name"] == "Iraq"


def test_entries_without_a_date_or_a_country_code_are_refused() -> None:
    def change(row: dict) -> dict:
        if row["id"] == 210102:
            return {
                **row,
                "displacement_start_date": None,
                "displacement_end_date": None,
                "displacement_date": None,
            }
        return {**row, "iso3": "AB9", "country": "Abyei Area"} if row["id"] == 210104 else row

    fetched = Fetched(SYRIA_SINCE_2019.replace("SYR", "SYR,AB9"), _idu(change), IDU_URL, NOW)
    mapped = idmc.to_figures(idmc.read(fetched), MapContext("idmc", "idus-all", "r", NOW), KNOWN)
    refused = {(r.row, r.column, r.check) for r in mapped.rejections}
    assert refused == {(2, "displacement_start_date", "date_missing"), (4, "iso3", "country_code")}
    assert len(mapped.figures) == 2  # 210101 and 210105 add up; 210103 beside them


# --- mapping: GIDD ------------------------------------------------------------------------------


def test_a_country_to_add_is_added_by_its_first_named_record_and_refused_before() -> None:
    """A country the gazetteer lacks is added from the first record naming it; a record of
    that country before it, without a name, is refused."""
    doc = json.loads((FIXTURES / "gidd_conflicts.json").read_bytes())
    syria = doc["results"][0]
    iraq = [
        {**syria, "iso3": "IRQ", "country_name": name, "year": year}
        for name, year in (("", 2019), (" ", 2020), ("Iraq", 2021), ("", 2022))
    ]
    doc["results"] = [syria, *iraq]
    fetched = Fetched("gidd-displacements.1.json", json.dumps(doc).encode(), None, NOW)
    ctx = MapContext("idmc", idmc.dataset_of(fetched), "r1", NOW, None)
    mapped = idmc.to_figures(idmc.read(fetched), ctx, KNOWN)
    refused = [(r.row, r.column, r.check, r.reason) for r in mapped.rejections]
    reason = "IQ is not in the gazetteer, no name"
    assert refused == [(2, "iso3", "place_name", reason), (3, "iso3", "place_name", reason)]
    assert mapped.new_places.set_index("pcode").loc["IQ", "name"] == "Iraq"
    assert set(mapped.figures.loc[mapped.figures["pcode"] == "IQ", "period_end"].dt.year) == {
        2021,
        2022,
    }


def test_gidd_years_are_flows_over_the_year_and_stocks_at_its_end() -> None:
    mapped = _mapped("gidd_all.json", "gidd-displacements.1.json", url=None)
    figs = _by_id(mapped.figures)
    # disaster stocks are null for Syria; each count has IDMC's rounding of it beside it
    assert len(figs) == 2 * (3 + 3 + 2)
    rounded = {k: v for k, v in figs.items() if k.endswith("_rounded")}
    assert len(rounded) == 8 and {v["role"] for v in rounded.values()} == {"triangulation"}
    new = figs["SYR/2019/conflict_new_displacement"]
    assert (new["metric"], new["value"], new["role"], new["cause"]) == (
        "new_displacements",
        1_847_000,
        "recommended",
        "conflict",
    )
    assert (new["period_start"], new["period_end"]) == (
        pd.Timestamp("2019-01-01"),
        pd.Timestamp("2019-12-31"),
    )
    stock = figs["SYR/2020/conflict_total_displacement"]
    assert (stock["metric"], stock["value"], stock["pcode"]) == ("idps", 6_568_000, "SY")
    assert stock["period_start"] == stock["period_end"] == pd.Timestamp("2020-12-31")
    assert (
        stock["publisher"]
        == "IDMC, Global Internal Displacement Database (GIDD), conflict and violence"
    )
    # Same place and year as conflict's, another cause: a figure of its own, also counted.
    flood = figs["SYR/2020/disaster_new_displacement"]
    assert (flood["value"], flood["cause"], flood["role"]) == (21_000, "disaster", "recommended")


# --- what the upstream promises --------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        ("idus_all.json", b'"figure":', b'"figures":', "field 'figure' missing"),
        (
            "idus_all.json",
            b'"Recommended figure"',
            b'"Preferred"',
            "field 'role' wrong type or value",
        ),
        (
            "idus_all.json",
            b'"qualifier": "total"',
            b'"qualifier": "some"',
            "field 'qualifier' wrong",
        ),
        (
            "gidd_all.json",
            b'"conflict_total_displacement":',
            b'"conflict_stock":',
            "field 'conflict_total_displacement' missing",
        ),
        ("gidd_all.json", b'"year": 2020', b'"year": "2020"', "field 'year' wrong type"),
    ],
)
def test_drift_fails_naming_the_field(file: str, old: bytes, new: bytes, problem: str) -> None:
    body = (FIXTURES / file).read_bytes().replace(old, new)
    name = "gidd-displacements.1.json" if file.startswith("gidd") else "idus-all"
    with pytest.raises(SourceFormatError, match=f"idmc: {name}: {problem}"):
        idmc.read(Fetched(name, body, None, NOW))


@pytest.mark.parametrize(
    ("name", "body", "problem"),
    [
        ("idus-all", b"<html><body>Bad gateway</body></html>", "HTML where JSON was expected"),
        ("idus-all", (FIXTURES / "idus_all.json").read_bytes()[:3000], "not valid JSON"),
        ("idus-all", b'{"detail": "Not found."}', "not a JSON array of IDU entries"),
        ("gidd-displacements.1.json", b'{"count": 3, "next": null}', "field 'results' missing"),
        ("gidd-displacements.1.json", b'{"count": 3, "next": null, "results": []}', "no results"),
    ],
)
def test_bodies_that_are_not_what_idmc_serves_fail_clearly(
    name: str, body: bytes, problem: str
) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        idmc.read(Fetched(name, body, None, NOW))


def test_an_empty_dump_is_no_entries_not_an_error() -> None:
    raw = idmc.read(Fetched("idus-last-180-days", b"[]", None, NOW))
    assert raw.frame.empty and "figure" in raw.frame.columns


# --- fetching from the loopback upstream ---------------------------------------------------


def _cfg(upstream, **options: object) -> SourceConfig:
    options = {
        "base_url": upstream.base + "/external-api",
        "idu_dump": "all",
        "limit": 1,
        "year_to": 2021,
        **options,
    }
    return SourceConfig("idmc", countries=("SYR",), since=dt.date(2019, 1, 1), options=options)


def _serve(upstream) -> None:
    signed = f"{upstream.base}{DUMP}?X-Amz-Expires=3600&X-Amz-Signature=0f1e2d"
    upstream.script(IDU, Reply(302, headers={"Location": signed}))
    upstream.script(DUMP, Reply.file(FIXTURES / "idus_all.json"))
    for offset in (0, 1, 2):
        upstream.match(
            GIDD, {"offset": str(offset)}, Reply.file(FIXTURES / f"gidd_p{offset + 1}.json")
        )


def _run(store, upstream, creds=CREDS, **options: object):
    client = HttpClient(FAST)
    return run_source(store, idmc.CONNECTOR, idmc.fetch(client, _cfg(upstream, **options), creds))


def test_the_dump_and_every_gidd_page_load_once_with_the_id_kept_secret(tmp_path, upstream) -> None:
    _serve(upstream)
    store = make_store(tmp_path)
    report = _run(store, upstream)
    assert report.ok, report.message
    assert [s.path for s in upstream.seen] == [IDU, DUMP, GIDD, GIDD, GIDD]
    assert upstream.seen[0].query == {"client_id": [KEY]}
    assert "client_id" not in upstream.seen[1].query  # the signed dump link goes as given
    offsets = [s.query["offset"] for s in upstream.seen[2:]]
    assert offsets == [["0"], ["1"], ["2"]]
    for seen in upstream.seen[2:]:  # the link's placeholder id is never sent on
        assert seen.query["client_id"] == [KEY] and seen.query["iso3__in"] == ["SYR"]
        assert (seen.query["start_year"], seen.query["end_year"]) == (["2019"], ["2021"])
    figures = reads.figures(store.engine, sources=["idmc"])
    assert len(figures) == 4 + 2 * 8 and figures["figure_id"].is_unique  # exact and rounded
    assert set(figures["dataset"]) == {"idus-all", "gidd-displacements"}
    gidd = upstream.base + GIDD
    assert set(figures["source_url"]) == {
        upstream.base + IDU,
        gidd + "?limit=1&offset=0&iso3__in=SYR&start_year=2019&end_year=2021",
        gidd + "?end_year=2021&iso3__in=SYR&limit=1&offset=1&start_year=2019",
        gidd + "?end_year=2021&iso3__in=SYR&limit=1&offset=2&start_year=2019",
    }
    assert not any(KEY in str(u) or "CLIENT_ID" in str(u) for u in figures["source_url"])


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
    drifted = (
        (FIXTURES / "gidd_p2.json")
        .read_bytes()
        .replace(b'"conflict_new_displacement":', b'"conflict_nd":')
    )
    upstream.matchers[1] = (GIDD, {"offset": "1"}, Reply(200, drifted))
    report = _run(store, upstream)
    assert not report.ok
    assert report.message.startswith(
        "idmc: gidd-displacements.2.json: field 'conflict_new_displacement' missing"
    )
    assert runs(store)[-1]["status"] == "failed"
    assert figure_summary(store) == before


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_client_id_fails_at_once_and_is_never_shown(tmp_path, upstream, status) -> None:
    _serve(upstream)
    store = make_store(tmp_path)
    assert _run(store, upstream).ok
    upstream.seen.clear()
    upstream.script(IDU, Reply(status, b'{"detail": "Client is not registered."}'))
    report = _run(store, upstream)
    assert not report.ok
    assert f"HTTP {status}: the upstream refused the credential" in report.message
    assert len(upstream.seen) == 1
    row = runs(store)[-1]
    assert row["status"] == "failed"
    assert KEY not in report.message and KEY not in str(row)
    assert not any(KEY in str(f["source_url"]) for f in stored_figures(store))


def test_a_missing_client_id_fails_before_any_request(upstream) -> None:
    with pytest.raises(SourceAuthError, match="IDMC_CLIENT_ID"):
        list(idmc.fetch(HttpClient(FAST), _cfg(upstream), {"idmc_client_id": None}))
    assert upstream.seen == []


def test_a_server_error_then_success_loads(tmp_path, upstream) -> None:
    _serve(upstream)
    upstream.script(DUMP, Reply(503), Reply.file(FIXTURES / "idus_all.json"))
    store = make_store(tmp_path)
    report = _run(store, upstream, datasets=["idu"])
    assert report.ok, report.message
    assert [s.path for s in upstream.seen] == [IDU, DUMP, DUMP]
    assert len(stored_figures(store)) == 4


def test_a_dump_still_being_built_fails_and_says_so(tmp_path, upstream) -> None:
    upstream.script(IDU, Reply(202, b"[]", {"Content-Type": "application/json"}))
    report = _run(make_store(tmp_path), upstream, datasets=["idu"])
    assert not report.ok and "HTTP 202: the dump is being built" in report.message
    assert KEY not in report.message


def test_html_instead_of_json_fails_the_run_clearly(tmp_path, upstream) -> None:
    upstream.script(
        GIDD, Reply(200, b"<!DOCTYPE html><html><body>Server Error (500)</body></html>")
    )
    store = make_store(tmp_path)
    report = _run(store, upstream, datasets=["gidd"])
    assert not report.ok
    assert report.message == "idmc: gidd-displacements.1.json: HTML where JSON was expected"
    assert stored_figures(store) == []


def test_a_count_the_pages_do_not_reach_is_drift(upstream) -> None:
    short = json.loads((FIXTURES / "gidd_p1.json").read_bytes())
    short["next"] = None
    upstream.script(GIDD, Reply(200, json.dumps(short).encode()))
    with pytest.raises(SourceFormatError, match="field 'count' is 3, 1 served"):
        list(idmc.fetch(HttpClient(FAST), _cfg(upstream, datasets=["gidd"]), CREDS))
