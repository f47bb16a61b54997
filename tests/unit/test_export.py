"""CSV export: the columns, the optional HXL row, inert text cells, plain numbers, ISO dates."""

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from etl.export import EXPORT_COLUMNS, HXL_TAGS, neutralise, to_csv
from etl.pipeline import import_hxl
from etl.store import Store, reads
from tests.factories import (
    FORMULA_NAME,
    FORMULA_PLACE,
    RETRIEVED_AT,
    figure_frame,
    figure_record,
    good_file,
    good_rows,
)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _by_column(text: str, *, hxl: bool = False) -> list[dict[str, str]]:
    rows = _rows(text)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[2 if hxl else 1 :]]


def _frame(**overrides: object) -> pd.DataFrame:
    frame = figure_frame(figure_record(**overrides))
    return frame.assign(place_name="Idleb", place_name_ar="إدلب", origin_name=None)


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_quotes_formula_starts(first: str) -> None:
    cell = f"{first}SUM(A1:A9)"
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Idleb", "", "a=b", "1,000+", "'=already quoted", " =x"])
def test_neutralise_leaves_other_text_alone(cell: str) -> None:
    assert neutralise(cell) == cell


def test_header_is_the_export_columns() -> None:
    rows = _rows(to_csv(_frame()))
    assert rows[0] == EXPORT_COLUMNS
    assert len(rows) == 2


def test_empty_frame_gives_just_the_header() -> None:
    assert _rows(to_csv(_frame().iloc[0:0])) == [EXPORT_COLUMNS]


def test_hxl_option_adds_a_row_of_tags_with_the_value_under_its_metrics_hashtag() -> None:
    plain, tagged = _by_column(to_csv(_frame()))[0], _rows(to_csv(_frame(), hxl=True))
    kept = [c for c in EXPORT_COLUMNS if c not in ("metric", "value", "sex", "age_group", "unit")]
    assert [c for c in tagged[0] if c in EXPORT_COLUMNS] == kept
    assert all(tag.startswith("#") for tag in tagged[1])
    row = dict(zip(tagged[1], tagged[2], strict=True))
    assert row["#affected+idps+ind"] == plain["value"]
    assert {HXL_TAGS[c]: row[HXL_TAGS[c]] for c in kept} == {HXL_TAGS[c]: plain[c] for c in kept}


def test_rows_end_with_crlf_for_spreadsheets() -> None:
    text = to_csv(_frame())
    assert text.count("\r\n") == 2
    assert text.endswith("\r\n")


def test_text_cells_starting_a_formula_are_quoted() -> None:
    frame = _frame(publisher="@OCHA", excerpt="+1,000 displaced", source_record_id="-7")
    row = _by_column(to_csv(frame))[0]
    assert (row["publisher"], row["excerpt"], row["source_record_id"]) == (
        "'@OCHA",
        "'+1,000 displaced",
        "'-7",
    )


def test_value_and_admin_level_are_plain_numbers() -> None:
    row = _by_column(to_csv(_frame(value=1_500_000, admin_level=1)))[0]
    assert (row["value"], row["admin_level"]) == ("1500000", "1")


def test_area_has_an_empty_admin_level() -> None:
    row = _by_column(to_csv(_frame(pcode="SY-NW-OPP", admin_level=None)))[0]
    assert row["admin_level"] == ""
    assert row["pcode"] == "SY-NW-OPP"


def test_dates_are_iso() -> None:
    frame = _frame(metric="new_displacements", period_start="2019-12-01", period_end="2020-01-28")
    row = _by_column(to_csv(frame))[0]
    assert (row["period_start"], row["period_end"]) == ("2019-12-01", "2020-01-28")
    assert row["retrieved_at"] == "2020-02-01T12:00:00+00:00"
    assert dt.datetime.fromisoformat(row["retrieved_at"]) == RETRIEVED_AT


def test_missing_values_are_empty_cells() -> None:
    row = _by_column(to_csv(_frame()))[0]
    assert (row["sex"], row["age_group"], row["origin_pcode"], row["origin_name"]) == ("",) * 4


def test_export_from_the_store_quotes_a_formula_place_name(store: Store, tmp_path: Path) -> None:
    rows = good_rows()
    rows[4][2] = FORMULA_PLACE  # the Saraqab row now reports for the formula-named place
    rows[2][4] = FORMULA_PLACE  # and the new displacements came from it
    report = import_hxl(store, good_file(tmp_path, rows))
    assert report.ok, report.message
    text = to_csv(reads.figures(store.engine))
    exported = {(r["pcode"], r["metric"]): r for r in _by_column(text)}
    assert len(exported) == 5
    place = exported[(FORMULA_PLACE, "idps")]
    assert place["place_name"] == "'" + FORMULA_NAME
    assert (place["value"], place["admin_level"]) == ("12000", "3")
    flow = exported[("SY07", "new_displacements")]
    assert flow["origin_name"] == "'" + FORMULA_NAME
    assert (flow["place_name"], flow["place_name_ar"]) == ("Idleb", "إدلب")
    assert (flow["period_start"], flow["period_end"], flow["value"]) == (
        "2019-12-01",
        "2020-01-28",
        "1000",
    )
    assert exported[("SY-NW-OPP", "idps")]["value"] == "1500000"
