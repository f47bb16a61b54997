"""HDX HAPI v2: IDPs, refugees and population pages mapped, paged and loaded (Mali fixtures)."""

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import SourceAuthError, SourceError, SourceFormatError
from etl.pipeline import run_source
from etl.sources import hdx_hapi
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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hdx-hapi"
FAST = HttpSettings(read_timeout=1, retries=2, backoff=0.01)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = "bXktYXBwOm1lQGV4YW1wbGUub3Jn"  # base64("my-app:me@example.org"), a test identifier
CREDS = {"hdx_hapi_app_identifier": KEY}
URL = "https://hapi.humdata.org/api/v2/affected-people/idps?location_code=MLI"
NO_PLACES = pd.DataFrame({"pcode": pd.Series(dtype="str")})
PATHS = {name: path for name, (path, _model) in hdx_hapi.ENDPOINTS.items()}


def _mapped(
    name: str, places: pd.DataFrame = NO_PLACES, url: str | None = URL, asked: str | None = None
) -> MappedFigures:
    """The figures of a saved page; `asked` is the URL the page answers, when it matters."""
    fetched = dataclasses.replace(Fetched.from_file(FIXTURES / f"{name}.json"), url=asked)
    raw = hdx_hapi.read(fetched)
    ctx = MapContext("hdx-hapi", hdx_hapi.dataset_of(fetched), "run-1", NOW, url)
    return hdx_hapi.to_figures(raw, ctx, places)


def _body(name: str, transform=None) -> bytes:
    doc = json.loads((FIXTURES / f"{name}.json").read_bytes())
    if transform:
        doc["data"] = [transform(dict(r)) for r in doc["data"]]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _cfg(upstream, **options: object) -> SourceConfig:
    return SourceConfig(
        "hdx-hapi", countries=("MLI",), options={"base_url": upstream.base, **options}
    )


def _serve_all(upstream) -> None:
    for name, path in PATHS.items():
        upstream.script(path, Reply.file(FIXTURES / f"{name}.json"))


# --- mapping, record by record -------------------------------------------------------------


def test_idps_are_stocks_on_the_most_specific_pcode() -> None:
    figs = _mapped("idps").figures
    mali = one_row(figs, pcode="ML")
    assert (mali["value"], mali["admin_level"], mali["metric"]) == (378_363, 0, "idps")
    assert mali["period_start"] == mali["period_end"] == pd.Timestamp("2024-06-30")
    bandiagara = one_row(figs, pcode="ML0501")
    assert (bandiagara["value"], bandiagara["admin_level"]) == (45_010, 2)
    assert bandiagara["qualifier"] == "exact"
    assert bandiagara["source_record_id"] == (
        "5e3a2c1d-9b7f-4e21-8c0a-1f2d3e4c5b6a/Mali Crisis/R153/BA"
    )
    # HAPI sums DTM's split by reason: its figure is HDX HAPI's, kept apart from IOM DTM's own.
    assert bandiagara["publisher"] == "HDX HAPI, IOM DTM Mali Crisis, baseline assessment"
    assert bandiagara["source_url"] == URL
    assert one_row(figs, pcode="ML07")["value"] == 80_112


def test_an_open_reference_period_is_a_stock_as_of_its_start() -> None:
    menaka = one_row(_mapped("idps").figures, pcode="ML10")
    assert menaka["period_start"] == menaka["period_end"] == pd.Timestamp("2024-03-31")
    assert menaka["source_record_id"].endswith("/R150/BA")


def test_a_site_assessment_beside_a_baseline_is_kept_for_triangulation() -> None:
    figs = _mapped("idps").figures
    assert one_row(figs, pcode="ML0702", role="recommended")["value"] == 9870
    site = one_row(figs, pcode="ML0702", role="triangulation")
    assert site["value"] == 7550
    assert "site assessment" in site["publisher"]


def test_an_admin_unit_the_upstream_leaves_unspecified_is_a_rejection() -> None:
    mapped = _mapped("idps")
    assert [(r.row, r.column, r.check) for r in mapped.rejections] == [
        (10, "admin2_code", "place_unspecified")
    ]
    assert mapped.rejections[0].record["population"] == 1234
    assert 1234 not in set(mapped.figures["value"])
    assert len(mapped.figures) == 10 and mapped.rows_read == 11


def test_new_places_come_from_the_upstreams_codes_names_and_parents() -> None:
    new = _mapped("idps").new_places.set_index("pcode")
    assert new.loc["ML", ["name", "admin_level"]].tolist() == ["Mali", 0]
    assert pd.isna(new.loc["ML", "parent_pcode"])
    assert new.loc["ML0501", ["name", "admin_level", "parent_pcode"]].tolist() == [
        "Bandiagara",
        2,
        "ML05",
    ]
    assert new.loc["ML10", "name"] == "Ménaka"
    assert set(new["kind"]) == {"admin"}


def test_places_the_gazetteer_has_are_not_added_again() -> None:
    places = pd.DataFrame({"pcode": ["ML", "ML05", "ML0501"]})
    new = set(_mapped("idps", places).new_places["pcode"])
    assert not new & {"ML", "ML05", "ML0501"}
    assert "ML0504" in new


def test_rows_without_admin_level_fail_rather_than_guess_a_level() -> None:
    # Without it, "admin 2 unspecified in Gao" would read as a figure for Gao itself.
    body = _body("idps", lambda r: {k: v for k, v in r.items() if k != "admin_level"})
    with pytest.raises(SourceFormatError, match="field 'admin_level' missing"):
        hdx_hapi.read(_page(body))


def test_a_code_off_the_cod_pattern_is_refused_not_guessed(tmp_path: Path) -> None:
    def odd(record: dict) -> dict:
        if record["admin2_code"] == "ML0504":
            record["admin2_code"] = "ML05004"  # three digits, as some CODs have
        return record

    path = tmp_path / "idps.json"
    path.write_bytes(_body("idps", odd))
    raw = hdx_hapi.read(Fetched.from_file(path))
    mapped = hdx_hapi.to_figures(raw, MapContext("hdx-hapi", "idps", "r", NOW), NO_PLACES)
    refused = {r.value: r.reason for r in mapped.rejections}
    assert refused["ML05004"] == "not an admin-2 COD P-code under ML05"
    assert "ML05004" not in set(mapped.new_places["pcode"])


def test_refugees_sit_in_the_asylum_country_with_their_origin() -> None:
    mapped = _mapped("refugees-persons-of-concern")
    figs = mapped.figures
    total = one_row(figs, pcode="ML", origin_pcode="BF", sex=None)
    assert (total["value"], total["metric"], total["admin_level"]) == (27_010, "refugees", 0)
    assert total["period_start"] == total["period_end"] == pd.Timestamp("2023-12-31")
    assert total["source_record_id"] == "0e1c3f5a-7b9d-4c2e-a6f8-2d4b6c8e0f12/BFA-MLI/REF"
    assert one_row(figs, pcode="ML", origin_pcode="BF", sex="f")["value"] == 14_480
    assert one_row(figs, pcode="ML", origin_pcode="BF", sex="m")["value"] == 12_530
    niger = figs[figs["origin_pcode"] == "NE"].set_index("period_end")["value"]
    assert niger.to_dict() == {
        pd.Timestamp("2022-12-31"): 49_215,
        pd.Timestamp("2023-12-31"): 51_840,
    }
    assert set(mapped.new_places["pcode"]) == {"ML", "BF", "NE", "DZ"}


def test_refugees_from_any_iso_country_load_and_other_groups_are_noted() -> None:
    mapped = _mapped("refugees-persons-of-concern")
    assert mapped.rejections == []
    algeria = mapped.figures[mapped.figures["origin_pcode"] == "DZ"]
    assert list(algeria["pcode"]) == ["ML"]
    assert "population_group ASY: not refugees (REF) (1 records)" in mapped.ignored_columns
    assert any("age_range 0-4" in note for note in mapped.ignored_columns)
    assert len(mapped.figures) == 6


def test_population_keeps_totals_and_whole_population_sex_splits() -> None:
    mapped = _mapped("baseline-population")
    figs = mapped.figures
    assert set(figs["metric"]) == {"population"}
    assert one_row(figs, pcode="ML", sex=None)["value"] == 22_395_489
    assert one_row(figs, pcode="ML", sex="f")["value"] == 11_167_300
    assert one_row(figs, pcode="ML", sex="m")["value"] == 11_228_189
    gao = one_row(figs, pcode="ML07")
    assert gao["value"] == 869_214 and gao["period_end"] == pd.Timestamp("2024-12-31")
    assert one_row(figs, pcode="ML0703")["value"] == 298_734
    assert len(figs) == 6 and not mapped.rejections
    assert len(mapped.ignored_columns) == 2  # the 80+ band and the 0-4 female band


def test_admin_metadata_gives_places_and_no_figures() -> None:
    mapped = _mapped("admin2")
    assert mapped.figures.empty and not mapped.rejections
    new = mapped.new_places.set_index("pcode")
    assert new.loc["ML1001", ["name", "parent_pcode", "admin_level"]].tolist() == [
        "Ménaka",
        "ML10",
        2,
    ]
    assert new.loc["ML07", "parent_pcode"] == "ML"


def test_records_before_the_requested_start_date_are_left_out_and_noted() -> None:
    url = (
        "https://hapi.humdata.org/api/v2/affected-people/refugees-persons-of-concern"
        "?asylum_location_code=MLI&start_date=2023-06-01"
    )
    mapped = _mapped("refugees-persons-of-concern", url=url, asked=url)
    assert pd.Timestamp("2022-12-31") not in set(mapped.figures["period_end"])
    assert "records ending before start_date 2023-06-01 (1 records)" in mapped.ignored_columns


# --- what the upstream promises --------------------------------------------------------------


def _page(body: bytes, name: str = "idps.json") -> Fetched:
    return Fetched(name, body, None, NOW)


def test_a_renamed_field_fails_naming_it() -> None:
    body = _body("idps").replace(b'"population":', b'"idp_count":')
    with pytest.raises(SourceFormatError, match=r"hdx-hapi: idps.json: field 'population' missing"):
        hdx_hapi.read(_page(body))


def test_a_number_sent_as_text_fails_naming_the_field() -> None:
    body = _body("baseline-population", lambda r: {**r, "population": f"{r['population']:,}"})
    with pytest.raises(SourceFormatError, match=r"field 'population' wrong type"):
        hdx_hapi.read(_page(body, "baseline-population.json"))


def test_an_unknown_gender_fails_as_drift() -> None:
    body = _body("refugees-persons-of-concern", lambda r: {**r, "gender": "female"})
    with pytest.raises(SourceFormatError, match=r"field 'gender' wrong type or value \(isin"):
        hdx_hapi.read(_page(body, "refugees-persons-of-concern.json"))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<!DOCTYPE html><html><body>Maintenance</body></html>", "HTML where JSON was expected"),
        (_body("idps")[:700], "not valid JSON"),
        (b'{"items": []}', "field 'data' missing"),
        (b'{"data": [1, 2]}', "field 'data' holds something other than records"),
    ],
)
def test_bodies_that_are_not_pages_fail_clearly(body: bytes, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        hdx_hapi.read(_page(body))


def test_an_empty_page_is_no_records_not_an_error() -> None:
    raw = hdx_hapi.read(_page(b'{"data":[]}'))
    assert raw.frame.empty and "population" in raw.frame.columns
    assert hdx_hapi.to_figures(
        raw, MapContext("hdx-hapi", "idps", "r", NOW), NO_PLACES
    ).figures.empty


# --- fetching from the loopback upstream ---------------------------------------------------------


def _serve_idps_in_pages(upstream, size: int) -> None:
    records = json.loads((FIXTURES / "idps.json").read_bytes())["data"]
    for offset in range(0, len(records), size):
        page = json.dumps({"data": records[offset : offset + size]}).encode()
        upstream.match(PATHS["idps"], {"offset": str(offset)}, Reply(200, page))


def test_pages_are_fetched_until_a_short_page_and_each_record_loads_once(
    tmp_path, upstream
) -> None:
    _serve_idps_in_pages(upstream, 5)  # 5 + 5 + 1 records
    cfg = _cfg(upstream, limit=5, endpoints=["idps"])
    store = make_store(tmp_path)
    report = run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(HttpClient(FAST), cfg, CREDS))
    assert report.ok, report.message
    seen = [(s.path, s.query["offset"][0], s.query["limit"][0]) for s in upstream.seen]
    assert seen == [
        (PATHS["idps"], "0", "5"),
        (PATHS["idps"], "5", "5"),
        (PATHS["idps"], "10", "5"),
    ]
    assert all(s.query["location_code"] == ["MLI"] for s in upstream.seen)
    assert all(s.query["app_identifier"] == [KEY] for s in upstream.seen)
    assert all(s.query["output_format"] == ["json"] for s in upstream.seen)
    one_file = make_store(tmp_path, name="one.db")
    single = Fetched.from_file(FIXTURES / "idps.json")
    assert run_source(one_file, hdx_hapi.CONNECTOR, [single]).ok
    assert figure_summary(store) == figure_summary(one_file)
    assert len(stored_figures(store)) == 10  # 11 records, one refused, none twice
    assert report.rows_fetched == 11
    assert len({f["source_url"] for f in stored_figures(store)}) == 3  # each figure, its page


def test_a_baseline_and_site_count_on_different_pages_settle_over_the_run(
    tmp_path, upstream
) -> None:
    # to_figures sees one page at a time; the connector's settle pass runs over the whole
    # run, so the baseline on one page wins over the site count on the next.
    _serve_idps_in_pages(upstream, 4)  # Bourem's BA is record 8, its SA record 9
    cfg = _cfg(upstream, limit=4, endpoints=["idps"])
    store = make_store(tmp_path)
    fetched = hdx_hapi.fetch(HttpClient(FAST), cfg, CREDS)
    report = run_source(store, hdx_hapi.CONNECTOR, fetched, max_rejected_share=0.5)
    assert report.ok, report.message
    assert not [r for r in report.rejections if r.check == "one_recommended_per_key"]
    bourem = sorted(
        (f["value"], f["role"]) for f in stored_figures(store) if f["pcode"] == "ML0702"
    )
    assert bourem == [(7550, "triangulation"), (9870, "recommended")]


def test_the_baseline_preference_over_a_runs_pages_keeps_the_baseline(upstream) -> None:
    _serve_idps_in_pages(upstream, 4)  # Bourem's BA is record 8 (page 2), its SA record 9 (page 3)
    cfg = _cfg(upstream, limit=4, endpoints=["idps"])
    pages = []
    for fetched in hdx_hapi.fetch(HttpClient(FAST), cfg, CREDS):
        ctx = MapContext("hdx-hapi", "idps", "run-1", NOW, fetched.url)
        pages.append(hdx_hapi.to_figures(hdx_hapi.read(fetched), ctx, NO_PLACES).figures)
    assert len(pages) == 3
    # Each page alone has one of the pair, so each page keeps its own as recommended ...
    alone = [one_row(page, pcode="ML0702") for page in pages[1:]]
    assert [(f["value"], f["role"]) for f in alone] == [
        (9870, "recommended"),
        (7550, "recommended"),
    ]
    # ... and the pass over the whole run settles it: the baseline counts, the site count is
    # kept for triangulation, every other figure is left as it was.
    run = pd.concat(pages, ignore_index=True)
    settled = hdx_hapi.prefer_baseline(run)
    assert one_row(settled, pcode="ML0702", role="recommended")["source_record_id"].endswith("/BA")
    assert one_row(settled, pcode="ML0702", role="triangulation")["source_record_id"].endswith(
        "/SA"
    )
    changed = settled["role"] != run["role"]
    assert run.loc[changed, "pcode"].tolist() == ["ML0702"]
    assert settled.drop(columns="role").equals(run.drop(columns="role"))


def test_the_baseline_preference_leaves_other_datasets_alone() -> None:
    population = _mapped("baseline-population").figures
    refugees = _mapped("refugees-persons-of-concern").figures
    for figures in (population, refugees, population.iloc[0:0]):
        assert hdx_hapi.prefer_baseline(figures).equals(figures)


def test_a_full_page_then_an_empty_page_ends_the_paging(upstream) -> None:
    records = json.loads((FIXTURES / "idps.json").read_bytes())["data"][:2]
    upstream.match(
        PATHS["idps"], {"offset": "0"}, Reply(200, json.dumps({"data": records}).encode())
    )
    upstream.match(PATHS["idps"], {"offset": "2"}, Reply(200, b'{"data":[]}'))
    pages = list(
        hdx_hapi.fetch(HttpClient(FAST), _cfg(upstream, limit=2, endpoints=["idps"]), CREDS)
    )
    assert [p.name for p in pages] == ["idps.MLI.0.json", "idps.MLI.2.json"]


def test_a_page_longer_than_the_limit_fails_rather_than_paging_for_ever(upstream) -> None:
    upstream.script(PATHS["idps"], Reply.file(FIXTURES / "idps.json"))
    with pytest.raises(SourceFormatError, match="11 records for limit 5"):
        list(hdx_hapi.fetch(HttpClient(FAST), _cfg(upstream, limit=5, endpoints=["idps"]), CREDS))


def test_refugees_are_asked_for_by_asylum_country_and_since_by_start_date(upstream) -> None:
    _serve_all(upstream)
    cfg = SourceConfig(
        "hdx-hapi",
        countries=("MLI",),
        since=dt.date(2020, 1, 1),
        options={"base_url": upstream.base, "endpoints": ["refugees-persons-of-concern", "admin1"]},
    )
    list(hdx_hapi.fetch(HttpClient(FAST), cfg, CREDS))
    refugees, admin1 = upstream.seen
    assert refugees.query["asylum_location_code"] == ["MLI"]
    assert "location_code" not in refugees.query
    assert refugees.query["start_date"] == ["2020-01-01"]
    assert admin1.query["location_code"] == ["MLI"] and "start_date" not in admin1.query


def test_full_fetch_and_load_then_the_same_again_changes_nothing(tmp_path, upstream) -> None:
    _serve_all(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    first = run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(client, _cfg(upstream), CREDS))
    assert first.ok, first.message
    figures = reads.figures(store.engine, sources=["hdx-hapi"])
    assert set(figures["dataset"]) == {"idps", "refugees-persons-of-concern", "baseline-population"}
    assert len(figures) == 10 + 6 + 6
    assert upstream.base + PATHS[
        "idps"
    ] + "?location_code=MLI&output_format=json&limit=10000&offset=0" in set(figures["source_url"])
    places = reads.places(store.engine).set_index("pcode")
    assert places.loc["ML1001", "name"] == "Ménaka"  # from metadata/admin2 alone
    assert places.loc["ML0501", "parent_pcode"] == "ML05"
    before = figure_summary(store)
    again = run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(client, _cfg(upstream), CREDS))
    assert again.ok, again.message
    assert (again.changes.added, again.changes.changed, again.changes.removed) == (0, 0, 0)
    assert figure_summary(store) == before
    assert {r["check"] for r in rejection_rows(store, again.run_id)} == {"place_unspecified"}


def test_a_renamed_field_fails_the_run_and_leaves_the_store_as_it_was(tmp_path, upstream) -> None:
    _serve_all(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    assert run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(client, _cfg(upstream), CREDS)).ok
    before = figure_summary(store)
    drifted = _body("idps").replace(b'"reference_period_start":', b'"period_start":')
    upstream.script(PATHS["idps"], Reply(200, drifted))
    report = run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(client, _cfg(upstream), CREDS))
    assert not report.ok
    assert "field 'reference_period_start' missing" in report.message
    assert runs(store)[-1]["status"] == "failed"
    assert figure_summary(store) == before


def test_a_refused_credential_fails_at_once_and_is_never_shown(tmp_path, upstream) -> None:
    _serve_all(upstream)
    store = make_store(tmp_path)
    client = HttpClient(FAST)
    assert run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(client, _cfg(upstream), CREDS)).ok
    upstream.seen.clear()
    upstream.script(PATHS["idps"], Reply(401, b'{"error": "Invalid app identifier"}'))
    report = run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(client, _cfg(upstream), CREDS))
    assert not report.ok
    assert "refused the credential" in report.message
    assert len(upstream.seen) == 1
    row = runs(store)[-1]
    assert row["status"] == "failed"
    assert KEY not in report.message and KEY not in str(row)
    assert not any(KEY in str(f["source_url"]) for f in stored_figures(store))


def test_a_missing_credential_fails_before_any_request(upstream) -> None:
    with pytest.raises(SourceAuthError, match="HDX_HAPI_APP_IDENTIFIER"):
        list(hdx_hapi.fetch(HttpClient(FAST), _cfg(upstream), {}))
    assert upstream.seen == []


def test_a_server_error_then_success_loads(tmp_path, upstream) -> None:
    _serve_all(upstream)
    upstream.script(PATHS["idps"], Reply(500), Reply.file(FIXTURES / "idps.json"))
    store = make_store(tmp_path)
    cfg = _cfg(upstream, endpoints=["idps"])
    report = run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(HttpClient(FAST), cfg, CREDS))
    assert report.ok, report.message
    assert len(upstream.seen) == 2
    assert len(stored_figures(store)) == 10


def test_html_instead_of_json_fails_the_run_clearly(tmp_path, upstream) -> None:
    upstream.script(
        PATHS["idps"],
        Reply(200, b"<html><body>Please log in</body></html>", {"Content-Type": "text/html"}),
    )
    store = make_store(tmp_path)
    cfg = _cfg(upstream, endpoints=["idps"])
    report = run_source(store, hdx_hapi.CONNECTOR, hdx_hapi.fetch(HttpClient(FAST), cfg, CREDS))
    assert not report.ok
    assert report.message == "hdx-hapi: idps.MLI.0.json: HTML where JSON was expected"
    assert stored_figures(store) == []


def test_an_upstream_error_body_is_reported_as_the_upstreams_error() -> None:
    with pytest.raises(SourceError, match="the upstream answered with an error: rate limited"):
        hdx_hapi.read(_page(b'{"error": "rate limited"}'))


@pytest.mark.parametrize("seed", range(20))
def test_a_pages_roles_are_the_baseline_preference_over_its_figures(seed: int) -> None:
    """to_figures prefers the baseline on a page's columns; the rule over figure frames (as
    a run's pages are settled) gives every figure of the page the same role."""
    picks = random.Random(seed)
    doc = json.loads((FIXTURES / "idps.json").read_bytes())
    records = [
        {
            **picks.choice(doc["data"]),
            "assessment_type": picks.choice(["BA", "SA", "SA", "ETT"]),
            "reference_period_end": picks.choice(["2024-03-31", "2024-06-30"]),
        }
        for _ in range(picks.randint(1, 12))
    ]
    body = json.dumps({**doc, "data": records}).encode()
    fetched = Fetched("idps.json", body, URL, NOW)
    ctx = MapContext("hdx-hapi", "idps", "run-1", NOW, URL)
    figures = hdx_hapi.to_figures(hdx_hapi.read(fetched), ctx, NO_PLACES).figures
    unsettled = figures.assign(role=pd.Series("recommended", index=figures.index, dtype="str"))
    unsettled["role"] = unsettled["role"].astype(figures["role"].dtype)
    assert hdx_hapi.prefer_baseline(unsettled)["role"].tolist() == figures["role"].tolist()
    demoted = figures["role"] == "triangulation"
    assert not figures.loc[demoted, "publisher"].str.contains("baseline assessment").any()
