"""CCCM ISIMM: site rows summed per district and governorate, names matched, never guessed."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import InputError, SourceFormatError
from etl.pipeline import import_file, run_source
from etl.sources import cccm_isimm
from etl.sources.base import Fetched, MapContext, SourceConfig
from etl.store import reads
from etl.transport import HttpClient, HttpSettings
from tests.factories import figure_summary, runs, world_store
from tests.upstream import Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cccm-isimm"
JAN = FIXTURES / "ISIMM_2020Jan.csv"
FAST = HttpSettings(read_timeout=1, retries=2, backoff=0.01)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def syria_store(tmp_path: Path):
    """A store with the bundled Syrian gazetteer, where ISIMM's districts are."""
    store = world_store(tmp_path, name="isimm.db", backend="sqlite")
    yield store
    store.dispose()


def _mapped(path: Path = JAN):
    fetched = Fetched.from_file(path)
    raw = cccm_isimm.read(fetched)
    ctx = MapContext("cccm-isimm", fetched.name, "run-1", NOW)
    return cccm_isimm.to_figures(raw, ctx, pd.DataFrame())


def _value(figs: pd.DataFrame, pcode: str, sex: str | None = None, age: str | None = None) -> int:
    rows = figs[figs["pcode"] == pcode]
    rows = rows[rows["sex"].isna()] if sex is None else rows[rows["sex"] == sex]
    rows = rows[rows["age_group"].isna()] if age is None else rows[rows["age_group"] == age]
    assert len(rows) == 1, rows
    return int(rows["value"].iloc[0])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ISIMM_2020Jan.csv", dt.date(2020, 1, 31)),
        ("ISIMM_2020Feb.csv", dt.date(2020, 2, 29)),
        ("ISIMM_2019November1.csv", dt.date(2019, 11, 30)),
        ("ISIMM_2020_Jul.csv", dt.date(2020, 7, 31)),
    ],
)
def test_the_month_comes_from_the_file_name(name: str, expected: dt.date) -> None:
    assert cccm_isimm.month_end(name) == expected


def test_a_file_name_without_a_month_is_refused() -> None:
    with pytest.raises(SourceFormatError, match="no month in the file name"):
        cccm_isimm.month_end("sites.csv")


def test_sites_are_summed_per_district_as_of_the_month_end() -> None:
    figs = _mapped().figures
    assert _value(figs, "SY0204") == 480  # Azaz: 380 + 100
    assert _value(figs, "SY0203") == 20  # Afrin
    assert _value(figs, "SY0703") == 3650  # Harim: 3400 + 250
    assert _value(figs, "SY0700") == 34  # Idleb district
    assert set(figs["period_start"]) == {pd.Timestamp("2020-01-31")}
    assert (figs["period_start"] == figs["period_end"]).all()
    assert set(figs["metric"]) == {"idps"}
    assert set(figs["qualifier"]) == {"exact"}


def test_governorate_totals_count_only_the_sites_that_were_accepted() -> None:
    figs = _mapped().figures
    assert _value(figs, "SY02") == 500  # Azaz 480 + Afrin 20
    assert _value(figs, "SY07") == 3684  # Harim 3650 + Idleb 34; Atlantis refused


def test_sex_and_age_come_from_girls_boys_women_men() -> None:
    figs = _mapped().figures
    assert _value(figs, "SY0204", "f", "children") == 110  # girls
    assert _value(figs, "SY0204", "m", "children") == 130  # boys
    assert _value(figs, "SY0204", "f", "adults") == 120  # women
    assert _value(figs, "SY0204", "m", "adults") == 120  # men


def test_a_partial_split_is_left_out_rather_than_undercounted() -> None:
    figs = _mapped().figures
    harim = figs[figs["pcode"] == "SY0703"]
    assert list(harim["sex"].isna()) == [True]  # one site has no split: only the total


def test_rows_without_district_or_with_unknown_names_are_rejections() -> None:
    mapped = _mapped()
    reasons = {(r.row, r.column, r.reason) for r in mapped.rejections}
    assert (7, "district", "no district") in reasons
    assert (8, "district", "district 'Atlantis' matches no known spelling") in reasons
    assert len(mapped.rejections) == 2
    assert mapped.rejections[0].record["PCODE"] == "CP900006"


def test_provenance_names_the_sites_and_the_upstream_file() -> None:
    figs = _mapped().figures
    azaz = figs[(figs["pcode"] == "SY0204") & figs["sex"].isna()].iloc[0]
    assert azaz["source_record_id"] == "CP900001;CP900002"
    assert azaz["source_url"] == cccm_isimm.DEFAULT_BASE + "ISIMM_2020Jan.csv"
    assert azaz["publisher"].startswith("CCCM Cluster")
    assert azaz["excerpt"] == "sum of 2 sites' individual, ISIMM January 2020"


def test_windows_1256_arabic_names_are_read() -> None:
    fetched = Fetched.from_file(FIXTURES / "ISIMM_2019November1.csv")
    raw = cccm_isimm.read(fetched)
    assert "وادي هارون" in raw.frame["camp_name"].iloc[0]


def test_a_dropped_column_fails_naming_it(tmp_path: Path) -> None:
    text = JAN.read_text(encoding="utf-8").replace(",individual,", ",people,", 1)
    drifted = tmp_path / "ISIMM_2020Jan.csv"
    drifted.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError, match="individual missing"):
        cccm_isimm.read(Fetched.from_file(drifted))


def test_html_instead_of_csv_fails_clearly() -> None:
    fetched = Fetched("ISIMM_2020Jan.csv", b"<html><body>rate limited</body></html>", None, NOW)
    with pytest.raises(SourceFormatError, match="HTML where a CSV was expected"):
        cccm_isimm.read(fetched)


def test_import_loads_and_reloading_changes_nothing(syria_store) -> None:
    first = import_file(syria_store, "cccm-isimm", JAN)
    assert first.ok, first.message
    assert first.changes.added == len(reads.figures(syria_store.engine, sources=["cccm-isimm"]))
    before = figure_summary(syria_store)
    again = import_file(syria_store, "cccm-isimm", JAN)
    assert (again.changes.added, again.changes.changed, again.changes.removed) == (0, 0, 0)
    assert figure_summary(syria_store) == before
    assert runs(syria_store)[-1]["rows_rejected"] == 2


def test_fetch_pulls_each_configured_month_from_the_upstream(syria_store, upstream) -> None:
    upstream.script("/data/ISIMM_2020Jan.csv", Reply.file(JAN, "text/plain"))
    upstream.script(
        "/data/ISIMM_2019November1.csv",
        Reply(500),
        Reply.file(FIXTURES / "ISIMM_2019November1.csv", "text/plain"),
    )
    cfg = SourceConfig(
        "cccm-isimm",
        enabled=True,
        options={
            "base_url": upstream.base + "/data/",
            "files": ["ISIMM_2019November1.csv", "ISIMM_2020Jan.csv"],
        },
    )
    client = HttpClient(FAST)
    report = run_source(syria_store, cccm_isimm.CONNECTOR, cccm_isimm.fetch(client, cfg, {}))
    assert report.ok, report.message
    stored = reads.figures(syria_store.engine, sources=["cccm-isimm"])
    assert set(stored["dataset"]) == {"ISIMM 2019-11", "ISIMM 2020-01"}
    assert set(stored["source_url"]) == {
        upstream.base + "/data/ISIMM_2019November1.csv",
        upstream.base + "/data/ISIMM_2020Jan.csv",
    }
    assert [s.path for s in upstream.seen].count("/data/ISIMM_2019November1.csv") == 2


def test_since_skips_earlier_months(upstream) -> None:
    upstream.script("/d/ISIMM_2020Jan.csv", Reply.file(JAN, "text/plain"))
    cfg = SourceConfig(
        "cccm-isimm",
        since=dt.date(2020, 1, 1),
        options={
            "base_url": upstream.base + "/d",
            "files": ["ISIMM_2019November1.csv", "ISIMM_2020Jan.csv"],
        },
    )
    names = [f.name for f in cccm_isimm.fetch(HttpClient(FAST), cfg, {})]
    assert names == ["ISIMM_2020Jan.csv"]


def test_a_failing_month_leaves_the_store_as_it_was(syria_store, upstream) -> None:
    assert import_file(syria_store, "cccm-isimm", JAN).ok
    before = figure_summary(syria_store)
    upstream.script("/d/ISIMM_2020Jan.csv", Reply(503))
    cfg = SourceConfig(
        "cccm-isimm", options={"base_url": upstream.base + "/d", "files": ["ISIMM_2020Jan.csv"]}
    )
    report = run_source(
        syria_store, cccm_isimm.CONNECTOR, cccm_isimm.fetch(HttpClient(FAST), cfg, {})
    )
    assert not report.ok
    assert "cccm-isimm" in report.message and "HTTP 503" in report.message
    assert figure_summary(syria_store) == before


def test_a_local_folder_is_read_offline_in_month_order(tmp_path: Path) -> None:
    folder = tmp_path / "bundled" / "isimm"
    folder.mkdir(parents=True)
    for path in (JAN, FIXTURES / "ISIMM_2019November1.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "LICENSE").write_text("Apache-2.0")
    cfg = SourceConfig(
        "cccm-isimm",
        options={"base_dir": str(tmp_path), "dir": "bundled/isimm", "base_url": "http://up/d/"},
    )
    # No upstream is running: a request would fail the test.
    fetched = list(cccm_isimm.fetch(HttpClient(FAST), cfg, {}))
    assert [f.name for f in fetched] == ["ISIMM_2019November1.csv", "ISIMM_2020Jan.csv"]
    assert fetched[1].body == JAN.read_bytes()
    assert [f.url for f in fetched] == [
        "http://up/d/ISIMM_2019November1.csv",
        "http://up/d/ISIMM_2020Jan.csv",
    ]
    since = SourceConfig("cccm-isimm", since=dt.date(2020, 1, 1), options=cfg.options)
    assert [f.name for f in cccm_isimm.fetch(HttpClient(FAST), since, {})] == ["ISIMM_2020Jan.csv"]


def test_a_missing_local_folder_fails_naming_it(tmp_path: Path) -> None:
    cfg = SourceConfig("cccm-isimm", options={"base_dir": str(tmp_path), "dir": "nowhere"})
    with pytest.raises(InputError, match="nowhere: no such folder"):
        list(cccm_isimm.fetch(HttpClient(FAST), cfg, {}))


DATA = Path(cccm_isimm.__file__).parents[2] / "data"


def test_the_site_list_places_each_site_in_a_known_sub_district_of_its_district() -> None:
    placed = cccm_isimm.site_subdistricts()
    places = pd.read_csv(
        DATA / "places.csv", dtype={"pcode": str, "parent_pcode": str}
    ).set_index("pcode")
    assert len(placed) == 878
    assert all(code.startswith("CP") and len(code) == 8 for code in placed)
    for district, subdistrict in placed.values():
        assert places.loc[subdistrict, "admin_level"] == 3
        assert places.loc[subdistrict, "parent_pcode"] == district


def test_a_sub_district_sums_only_its_placed_sites_and_says_more_than_when_some_are_not() -> None:
    mapped = _mapped(DATA / "bundled" / "isimm" / "ISIMM_2020Feb.csv")
    figs = mapped.figures[mapped.figures["sex"].isna()]
    subs = figs[figs["admin_level"] == 3]
    districts = figs[figs["admin_level"] == 2].set_index("pcode")["value"]
    assert set(subs["qualifier"]) == {"exact", "more_than"}
    for district, group in subs.groupby(subs["pcode"].str[:6]):
        exact = set(group["qualifier"]) == {"exact"}
        total = int(group["value"].sum())
        # Exact only where every site of the district is placed: then the parts add up.
        assert total == int(districts[district]) if exact else total < int(districts[district])
        assert set(group["qualifier"]) in ({"exact"}, {"more_than"})
