"""ISIMM's formats over the years, on small files of our own in the real layouts.

A 2017-shaped CSV (no PCODE, `Waste Removal`, both "A'zaz" and "Azaz"), a split in decimals
and a blank split, and a tiny workbook built here with openpyxl: a site table on one sheet
and a working sheet beside it, as the upstream's ISIMM_2020April.xlsx has.
"""

import csv
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from etl.errors import SourceFormatError
from etl.pipeline import import_file
from etl.sources import cccm_isimm
from etl.sources.base import Fetched, MapContext, MappedFigures
from etl.store import reads
from tests.factories import world_store

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HEADER_2017 = (
    "governorate,district,cluster,camp_name,geo,TypeSite,girls,boys,women,men,individual,"
    "Shelter,Water,Sanitation,Waste Removal,NFI,Food,shelter_cat,water_cat,sanitation_cat,"
    "waste_cat,NFI_cat,Food_cat"
)
_SCORES = "1,1,1,1,1,1,1. Fully covered,1. Fully covered,1. Fully covered,1. Fully covered,"
_SCORES += "1. Fully covered,1. Fully covered"
# Rows as the 2017 files write them; the line numbers (header on line 1) are in the comments.
SITES_2017 = [
    'Aleppo,A\'zaz,Azaz,Test Rayan,"36.70,37.00",IS,100,110,90,80,380',  # 2
    'Aleppo,Azaz,Azaz,Test Resalah,"36.64,37.18",IS,10,20,30,40,100',  # 3: the other spelling
    'Idleb,Harim,Atmeh,Test Atmeh,"36.38,36.68",IS,501.76,498.24,300,200,1500',  # 4: estimates
    'Idleb,Harim,Dana,Test Dana,"36.22,36.70",IS,5,5,5,5,20',  # 5
    'Idleb,Jisr-Ash-Shugur,Darkosh,Test Darkosh,"35.95,36.21",IS,    ,    ,    ,    ,405',  # 6
    'Idleb,Atlantis,Atlantis,Test Nowhere,"36.0,36.6",IS,1,1,1,1,4',  # 7: no such district
    'Idleb,Idleb,Idleb,Test Half,"35.93,36.63",CC,1,1,1,1,4.5',  # 8: a total in decimals
    'Idleb,Idleb,Idleb,Test Idleb,"35.93,36.63",CC,7,8,9,10,34',  # 9
]
# The 2020 layout: PCODE first, an extra column with an empty header before the categories.
HEADER_2020 = [
    "PCODE", "governorate", "district", "cluster", "camp_name", "geo", "TypeSite", "girls",
    "boys", "women", "men", "individual", "Shelter", "NFI", "Water", "Sanitation",
    "Waste_Removal", "Food", None, "shelter_cat", "NFI_cat", "water_cat", "sanitation_cat",
    "waste_cat", "Food_cat",
]  # fmt: skip
_PLACE = ["Aleppo", "Azaz", "Azaz"], ["Idleb", "Harim", "Dana"]
SITES_2020 = [
    ["CP900001", *_PLACE[0], "Test Transit", "36.58,37.05", "T/RC", 100, 110, 90, 80, 380],
    ["CP900002", *_PLACE[0], "Test Camp", "36.62,37.08", "IS", 10, 20, 30, 40, 100.0],
    ["CP900003", *_PLACE[1], "Test Dana", "36.21,36.77", "IS", 501.76, 498.24, 300, 200, 1500],
    ["CP900004", *_PLACE[1], "Test Dana 2", "36.22,36.78", "IS", 5, 5, 5, 5, 20],
]


def _csv_2017(tmp_path: Path, rows: list[str] = SITES_2017, header: str = HEADER_2017) -> Path:
    path = tmp_path / "ISIMM_2017April.csv"
    body = "\n".join([header, *(f"{r},{_SCORES}" for r in rows)]) + "\n"
    path.write_text(body, encoding="utf-8")
    return path


def _workbook(tmp_path: Path, *, table_first: bool = True, name: str = "ISIMM_2020April") -> Path:
    """A workbook like the upstream's: `Sheet2` holds the table, `Sheet1` is a working sheet
    with the previous month's counts, formulas and bilingual names."""
    book = openpyxl.Workbook()
    table = book.active
    table.title = "Sheet2"
    work = book.create_sheet("Sheet1", 1 if table_first else 0)
    table.append(HEADER_2020)
    for row in SITES_2020:
        table.append([*row, 1, 1, 1, 1, 1, 1, None, "1.Fully covered"])
    work.append(["Admin1", "Admin2", "PCODE_\nSites", "Governorate", "District",
                 "Site Name\nاسم الموقع", "Girls_Mar", "Total_Individuals_Mar"])  # fmt: skip
    work.append(["SY02", "SY0204", "CP900001", "Aleppo/حلب", "Azaz/اعزاز", "Test/تجربة", 99, 370])
    work.append(["SY02", "SY0204", "CP900002", "Aleppo/حلب", "Azaz/اعزاز", "T2", 9, "=H2*2"])
    path = tmp_path / f"{name}.xlsx"
    book.save(path)
    return path


def _mapped(path: Path) -> MappedFigures:
    fetched = Fetched.from_file(path)
    raw = cccm_isimm.read(fetched)
    return cccm_isimm.to_figures(raw, MapContext(cccm_isimm.NAME, path.name, "r", NOW), None)  # type: ignore[arg-type]


def _one(figs: pd.DataFrame, pcode: str, sex: str | None = None, age: str | None = None):
    """The one figure of `pcode` for this sex and age group (None: everyone)."""
    rows = figs[figs["pcode"] == pcode]
    rows = rows[rows["sex"].isna()] if sex is None else rows[rows["sex"] == sex]
    rows = rows[rows["age_group"].isna()] if age is None else rows[rows["age_group"] == age]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- 2017: names only, both spellings, unusable splits ------------------------------------------


def test_a_2017_month_without_pcode_loads_by_names(tmp_path: Path) -> None:
    figs = _mapped(_csv_2017(tmp_path)).figures
    azaz = _one(figs, "SY0204")
    assert azaz["value"] == 480  # "A'zaz" 380 and "Azaz" 100: one district, two spellings
    assert azaz["excerpt"] == "sum of 2 sites' individual, ISIMM April 2017"
    assert pd.isna(azaz["source_record_id"])  # 2017 sites have no code, and a name is not one
    assert _one(figs, "SY0204", "f", "children")["value"] == 110  # girls: 100 + 10
    assert _one(figs, "SY0204", "m", "adults")["value"] == 120  # men: 80 + 40
    assert set(figs["period_end"]) == {pd.Timestamp("2017-04-30")}


def test_a_split_in_decimals_keeps_the_total_and_leaves_out_the_split(tmp_path: Path) -> None:
    mapped = _mapped(_csv_2017(tmp_path))
    figs = mapped.figures
    harim = figs[figs["pcode"] == "SY0703"]
    assert list(harim["sex"].isna()) == [True]  # only the total: 1500 + 20
    assert int(harim["value"].iloc[0]) == 1520
    assert harim["excerpt"].iloc[0] == (
        "sum of 2 sites' individual, ISIMM April 2017; sex/age split left out: 1 of 2 sites "
        "have none usable (row 4: girls 501.76 (decimals, an estimate))"
    )
    # Neither the site nor its people are a rejection: the total is a published count.
    assert 4 not in {r.row for r in mapped.rejections}


def test_a_blank_split_keeps_the_total(tmp_path: Path) -> None:
    figs = _mapped(_csv_2017(tmp_path)).figures
    jisr = figs[figs["pcode"] == "SY0704"]
    assert list(jisr["value"]) == [405]
    assert "row 6: girls blank" in jisr["excerpt"].iloc[0]


def test_the_governorate_sums_its_sites_and_its_split_only_when_all_have_one(
    tmp_path: Path,
) -> None:
    figs = _mapped(_csv_2017(tmp_path)).figures
    assert _one(figs, "SY07")["value"] == 1520 + 405 + 34
    assert "2 of 4 sites have none usable" in _one(figs, "SY07")["excerpt"]
    assert figs[(figs["pcode"] == "SY07") & figs["sex"].notna()].empty
    aleppo = figs[figs["pcode"] == "SY02"]
    assert len(aleppo) == 5 and int(aleppo[aleppo["sex"].isna()]["value"].iloc[0]) == 480


def test_an_unknown_spelling_and_a_decimal_total_are_rejections_naming_row_and_value(
    tmp_path: Path,
) -> None:
    rejections = _mapped(_csv_2017(tmp_path)).rejections
    got = {(r.row, r.column, r.reason, r.value) for r in rejections}
    assert got == {
        (7, "district", "district 'Atlantis' matches no known spelling", "Atlantis"),
        (8, "individual", "not a whole number of people", "4.5"),
    }
    assert rejections[0].record["camp_name"] == "Test Nowhere"


def test_a_district_without_its_governorate_is_never_guessed(tmp_path: Path) -> None:
    rows = ['  ,Harim,Dana,Test,"36.2,36.7",IS,1,1,1,1,4', *SITES_2017[:2]]
    rejections = _mapped(_csv_2017(tmp_path, rows)).rejections
    assert [(r.row, r.column, r.reason, r.value) for r in rejections] == [
        (2, "governorate", "no governorate", "Harim")
    ]


def test_an_unknown_governorate_names_its_value(tmp_path: Path) -> None:
    rows = ['Aleppoo,Azaz,Azaz,Test,"36.6,37.0",IS,1,1,1,1,4', *SITES_2017[:2]]
    rejection = _mapped(_csv_2017(tmp_path, rows)).rejections[0]
    assert (rejection.row, rejection.column, rejection.value) == (2, "governorate", "Aleppoo")
    assert rejection.reason == "governorate 'Aleppoo' matches no known spelling"


def test_headers_are_matched_by_normalised_name(tmp_path: Path) -> None:
    header = HEADER_2017.replace("governorate", "Governorate").replace("camp_name", "Camp Name")
    header = header.replace("individual", " Individual ")
    figs = _mapped(_csv_2017(tmp_path, header=header)).figures
    assert _one(figs, "SY0204")["value"] == 480


def test_two_columns_that_read_as_one_are_refused(tmp_path: Path) -> None:
    header = HEADER_2017.replace("Shelter", "Individual")
    with pytest.raises(SourceFormatError, match="columns 11 and 12 are both 'individual'"):
        cccm_isimm.read(Fetched.from_file(_csv_2017(tmp_path, header=header)))


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    header = HEADER_2017.replace("girls", "girlz")
    with pytest.raises(SourceFormatError, match=r"field\(s\) girls missing"):
        cccm_isimm.read(Fetched.from_file(_csv_2017(tmp_path, header=header)))


def test_a_month_whose_every_split_is_an_estimate_still_loads(tmp_path: Path, backend: str) -> None:
    """A refused split is a note on the total, not a rejection: the share stays at 0."""
    rows = [
        f'Idleb,Harim,Atmeh,Test {i},"36.38,36.68",IS,{i}.5,{i}.5,1,1,{2 * i + 3}' for i in range(9)
    ]
    store = world_store(tmp_path)
    report = import_file(store, "cccm-isimm", _csv_2017(tmp_path, rows))
    assert report.ok, report.message
    assert report.rejections == []
    figs = reads.figures(store.engine, sources=["cccm-isimm"])
    assert sorted(figs["value"].astype(int)) == [sum(2 * i + 3 for i in range(9))] * 2
    assert figs["sex"].isna().all()
    store.dispose()


# --- the workbook edition ------------------------------------------------------------------------


def _as_csv(tmp_path: Path) -> Path:
    """The same month as the workbook, written as the upstream's CSV of it."""
    path = tmp_path / "ISIMM_2020April.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["" if h is None else h for h in HEADER_2020])
        for row in SITES_2020:
            cells = [int(c) if isinstance(c, float) and c.is_integer() else c for c in row]
            writer.writerow([*cells, 1, 1, 1, 1, 1, 1, "", "1.Fully covered"])
    return path


def _comparable(figs: pd.DataFrame) -> list[tuple]:
    columns = ["pcode", "sex", "age_group", "value", "excerpt", "source_record_id"]
    rows = figs[columns].itertuples(index=False, name=None)
    return sorted(tuple("" if pd.isna(v) else str(v) for v in row) for row in rows)


@pytest.mark.parametrize("table_first", [True, False])
def test_the_workbook_reads_the_sheet_with_the_table(tmp_path: Path, table_first: bool) -> None:
    figs = _mapped(_workbook(tmp_path, table_first=table_first)).figures
    assert _one(figs, "SY0204")["value"] == 480  # Sheet2's 380 + 100.0, not Sheet1's 370
    harim = figs[figs["pcode"] == "SY0703"]
    assert list(harim["value"]) == [1520]  # decimals in the split: total only
    assert "CP900003: girls 501.76 (decimals, an estimate)" in harim["excerpt"].iloc[0]


def test_the_workbook_gives_what_its_csv_gives(tmp_path: Path) -> None:
    from_xlsx = _mapped(_workbook(tmp_path)).figures
    from_csv = _mapped(_as_csv(tmp_path)).figures
    assert _comparable(from_xlsx) == _comparable(from_csv)
    assert len(from_xlsx) == 5 + 5 + 1 + 1  # Azaz and Aleppo with a split; Harim and Idleb not


def test_a_workbook_without_the_table_names_its_sheets(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Governorate", "Girls_Mar"])
    path = tmp_path / "ISIMM_2020May.xlsx"
    book.save(path)
    with pytest.raises(SourceFormatError, match=r"no worksheet \(Notes\) has the site table"):
        cccm_isimm.read(Fetched.from_file(path))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"PK\x03\x04 not really a zip", "not a readable .xlsx workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, r"Excel 97-2003 \(.xls\)"),
    ],
)
def test_a_broken_workbook_is_one_line_and_the_store_is_unchanged(
    tmp_path: Path, backend: str, body: bytes, message: str
) -> None:
    store = world_store(tmp_path)
    path = tmp_path / "ISIMM_2020April.xlsx"
    path.write_bytes(body)
    report = import_file(store, "cccm-isimm", path)
    assert not report.ok
    assert "\n" not in report.message
    assert re.search(message, report.message), report.message
    assert reads.figures(store.engine, sources=["cccm-isimm"]).empty
    store.dispose()


def test_the_workbook_imports_end_to_end(tmp_path: Path, backend: str) -> None:
    store = world_store(tmp_path)
    report = import_file(store, "cccm-isimm", _workbook(tmp_path))
    assert report.ok, report.message
    figs = reads.figures(store.engine, sources=["cccm-isimm"])
    districts = figs[(figs["admin_level"] == 2) & figs["sex"].isna()]
    assert int(districts["value"].sum()) == 380 + 100 + 1500 + 20
    assert set(figs["dataset"]) == {"ISIMM 2020-04"}  # the month, whichever its edition
    store.dispose()


def test_a_csv_with_a_broken_quote_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "ISIMM_2020Jan.csv"
    path.write_bytes(HEADER_2017.encode() + b'\nAleppo,"Azaz"x,Azaz\n')
    with pytest.raises(SourceFormatError, match="not readable as CSV"):
        cccm_isimm.read(Fetched.from_file(path))


def test_cells_are_kept_as_published_text(tmp_path: Path) -> None:
    raw = cccm_isimm.read(Fetched.from_file(_workbook(tmp_path)))
    assert list(raw.frame.index) == [2, 3, 4, 5]  # the sheet's row numbers
    assert raw.frame.loc[3, "individual"] == "100"  # 100.0 in the workbook: a whole number
    assert raw.frame.loc[4, "girls"] == "501.76"
    assert "" not in raw.frame.columns  # the empty header is no column of ours


def test_a_stray_cell_far_off_the_table_changes_nothing(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Sheet2"].cell(row=60, column=5000, value="x")  # beyond the header: not ours
    book.save(path)
    raw = cccm_isimm.read(Fetched.from_file(path))
    assert list(raw.frame.index) == [2, 3, 4, 5]  # the stray cell's row has nothing in the table
    assert _comparable(_mapped(path).figures) == _comparable(_mapped(_as_csv(tmp_path)).figures)
