"""The real ISIMM files beside the repository, end to end into a real store on both backends.

Each month's people are accounted for: the district totals loaded plus the people of the
rows refused (with their reason) give the total its README states. CI has
`../shared/data/isimm/`; there these tests must run, so a missing file fails them.
"""

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from etl import sources
from etl.pipeline import RunReport, import_file, run_source
from etl.sources.base import Fetched
from etl.store import reads
from tests.factories import SHARED_DATA, shared_file, world_store

REAL = SHARED_DATA / "isimm"
# Our own reading of the names, independent of the connector's table: every spelling the
# real files use, to the COD's district.
DISTRICTS = {
    ("Aleppo", "Afrin"): "SY0203",
    ("Aleppo", "Al Bab"): "SY0202",
    ("Aleppo", "Azaz"): "SY0204",
    ("Aleppo", "A'zaz"): "SY0204",
    ("Aleppo", "Jarablus"): "SY0208",
    ("Aleppo", "Jebel Saman"): "SY0200",
    ("Idleb", "Harim"): "SY0703",
    ("Idleb", "Idleb"): "SY0700",
    ("Idleb", "Jisr-Ash-Shugur"): "SY0704",
    ("Idleb", "Al Ma'ra"): "SY0702",
    ("Idleb", "Ariha"): "SY0705",
    ("Hama", "Hama"): "SY0501",
    ("Ar Raqqa", "Ath-Thawrah"): "SY1103",
}
# The README's figures: sites (rows), people (sum of `individual`), rows refused and why.
MONTHS = {
    "ISIMM_2017April.csv": (259, 347_263, {}),
    "ISIMM_2018January.csv": (249, 370_115, {}),
    "ISIMM_2019February.csv": (325, 471_855, {}),
    "ISIMM_2019November1.csv": (483, 868_486, {}),
    "ISIMM_2020Jan.csv": (625, 973_861, {"no district": 22}),
    "ISIMM_2020Feb.csv": (706, 1_148_228, {}),
    "ISIMM_2020April.csv": (983, 1_409_323, {}),
    "ISIMM_2020April.xlsx": (983, 1_409_323, {}),
}
_SITES = re.compile(r"^sum of (\d+) sites' individual, ISIMM ")


def _real(name: str) -> Path:
    return shared_file(REAL / name)


# Each file is imported once per backend (loading the world's gazetteer into a fresh store is
# most of the cost); the tests then read what that import reported and stored.
_IMPORTED: dict[tuple[str, str], tuple[RunReport, pd.DataFrame]] = {}


def _import(tmp_path: Path, path: Path, backend: str) -> tuple[RunReport, pd.DataFrame]:
    """Import one real file into a fresh store of `backend` with the bundled gazetteer: the
    run's report and the figures stored."""
    if (backend, path.name) not in _IMPORTED:
        store = world_store(tmp_path, name=f"{path.name}.db", backend=backend)
        try:
            report = import_file(store, "cccm-isimm", path)
            assert report.ok, report.message
            figures = reads.figures(store.engine, sources=["cccm-isimm"])
        finally:
            store.dispose()
        _IMPORTED[backend, path.name] = (report, figures)
    return _IMPORTED[backend, path.name]


def _totals(figs: pd.DataFrame, level: int) -> pd.DataFrame:
    everyone = figs["sex"].isna() & figs["age_group"].isna()
    return figs[everyone & (figs["admin_level"] == level)]


def _sums(path: Path) -> Counter:
    """District totals read from the CSV with the csv module and our own names table."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1256", errors="replace")
    totals: Counter = Counter()
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["governorate"].strip(), row["district"].strip())
        if key in DISTRICTS and row["individual"].strip():
            totals[DISTRICTS[key]] += int(row["individual"])
    return totals


@pytest.mark.parametrize("name", list(MONTHS))
def test_every_person_of_the_month_is_loaded_or_refused_with_its_reason(
    tmp_path: Path, backend: str, name: str
) -> None:
    sites, people, refused = MONTHS[name]
    report, figs = _import(tmp_path, _real(name), backend)
    districts = _totals(figs, 2)
    reasons = Counter(r.reason for r in report.rejections)
    assert dict(reasons) == refused, [r.describe() for r in report.rejections]
    refused_people = sum(int(r.record.get("individual") or 0) for r in report.rejections)
    assert int(districts["value"].sum()) + refused_people == people
    # Each total says how many sites it sums; with the rows refused, that is every row.
    counted = [int(_SITES.match(e).group(1)) for e in districts["excerpt"]]  # type: ignore[union-attr]
    assert sum(counted) + sum(refused.values()) == sites
    # A governorate is the sum of its districts: one publication's units, nothing else.
    governorates = _totals(figs, 1)
    assert int(governorates["value"].sum()) == int(districts["value"].sum())
    assert set(figs["period_start"]) == set(figs["period_end"])
    assert len(set(figs["period_start"])) == 1


@pytest.mark.parametrize("name", [n for n in MONTHS if n.endswith(".csv")])
def test_district_totals_match_our_own_sums(tmp_path: Path, backend: str, name: str) -> None:
    path = _real(name)
    _report, figs = _import(tmp_path, path, backend)
    districts = _totals(figs, 2)
    loaded = dict(zip(districts["pcode"], districts["value"].astype(int), strict=True))
    assert loaded == dict(_sums(path))


def test_the_workbook_gives_exactly_what_the_csv_of_the_month_gives(
    tmp_path: Path, backend: str
) -> None:
    columns = ["pcode", "admin_level", "sex", "age_group", "value", "excerpt", "source_record_id"]

    def figures(name: str) -> list[tuple]:
        _report, figs = _import(tmp_path, _real(name), backend)
        rows = figs[columns].itertuples(index=False, name=None)
        return sorted(tuple("" if pd.isna(v) else str(v) for v in row) for row in rows)

    from_csv = figures("ISIMM_2020April.csv")
    assert figures("ISIMM_2020April.xlsx") == from_csv
    # 2 governorates, 9 districts and 22 sub-districts, each a total and 4 groups
    assert len(from_csv) == 165


def test_january_2020_refuses_its_rows_without_district(tmp_path: Path, backend: str) -> None:
    report, figs = _import(tmp_path, _real("ISIMM_2020Jan.csv"), backend)
    no_place = [r for r in report.rejections if r.reason == "no district"]
    assert len(no_place) == 22
    assert all(r.column == "district" and r.row is not None for r in no_place)
    assert int(_totals(figs, 1)["value"].sum()) == 973_861  # the 22 rows carry no people


def test_a_placeholder_split_leaves_the_total_and_says_so(tmp_path: Path, backend: str) -> None:
    """January 2018 writes 0,0,0,0 beside a site's people: Harim keeps its total, no split."""
    _report, figs = _import(tmp_path, _real("ISIMM_2018January.csv"), backend)
    harim = figs[figs["pcode"] == "SY0703"]
    assert list(harim["sex"].isna()) == [True]
    excerpt = harim["excerpt"].iloc[0]
    assert excerpt.startswith("sum of 205 sites' individual, ISIMM January 2018; ")
    assert "44 of 205 sites have none usable" in excerpt
    assert "girls, boys, women and men all 0 beside 533 people; 43 more" in excerpt
    assert int(harim["value"].iloc[0]) == _sums(_real("ISIMM_2018January.csv"))["SY0703"]


def test_2017_sites_have_no_codes_and_load_by_name(tmp_path: Path, backend: str) -> None:
    _report, figs = _import(tmp_path, _real("ISIMM_2017April.csv"), backend)
    assert figs["source_record_id"].isna().all()  # no site codes yet: names are not codes
    azaz = _totals(figs, 2).set_index("pcode").loc["SY0204"]
    assert azaz["excerpt"].startswith("sum of 14 sites' individual, ISIMM April 2017")


def test_the_month_as_csv_and_as_workbook_is_stored_once(tmp_path: Path, backend: str) -> None:
    """The dataset is the month ISIMM publishes, not the file: its two editions are one."""
    store = world_store(tmp_path, name="both.db", backend=backend)
    try:
        first = import_file(store, "cccm-isimm", _real("ISIMM_2020April.csv"))
        again = import_file(store, "cccm-isimm", _real("ISIMM_2020April.xlsx"))
        assert first.ok and again.ok, again.message
        assert first.dataset == again.dataset == "ISIMM 2020-04"
        # The same figures (same ids, same numbers); only their provenance names the workbook.
        assert (again.changes.added, again.changes.removed) == (0, 0)
        figs = reads.figures(store.engine, sources=["cccm-isimm"])
        assert len(figs) == 165 and set(figs["dataset"]) == {"ISIMM 2020-04"}
        assert int(_totals(figs, 2)["value"].sum()) == 1_409_323  # once, not twice
        both = run_source(
            store,
            sources.connector("cccm-isimm"),
            [Fetched.from_file(_real(n)) for n in ("ISIMM_2020April.csv", "ISIMM_2020April.xlsx")],
        )
        assert both.ok and both.published_twice == 165 and both.rows_loaded == 165
        assert len(reads.figures(store.engine, sources=["cccm-isimm"])) == 165
    finally:
        store.dispose()


def test_a_month_stored_under_its_file_name_is_replaced_not_doubled(
    tmp_path: Path, backend: str
) -> None:
    store = world_store(tmp_path, name="old.db", backend=backend)
    try:
        path = _real("ISIMM_2020April.csv")
        assert import_file(store, "cccm-isimm", path, dataset=path.name).ok  # the old naming
        report = import_file(store, "cccm-isimm", path)
        assert report.ok and report.changes.removed == 165 and report.changes.added == 165
        figs = reads.figures(store.engine, sources=["cccm-isimm"])
        assert len(figs) == 165 and set(figs["dataset"]) == {"ISIMM 2020-04"}
    finally:
        store.dispose()
