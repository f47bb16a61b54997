"""Figures built column by column say what one figure built alone says: ids, counts, qualifiers."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from etl.figure_ids import figure_id, figure_ids
from etl.frames import figure_frame, to_figure_frame
from etl.sources.hxl import MapContext, map_hxl, parse_hxl_text
from etl.values import CellError, parse_number
from schemas.figures import NATURAL_KEY

RETRIEVED = dt.datetime(2020, 2, 1, 12, 0, tzinfo=dt.UTC)


def test_ids_over_whole_columns_are_the_ids_of_each_record() -> None:
    records = [
        {
            "source": "hxl",
            "dataset": "a.csv",
            "publisher": publisher,
            "metric": "idps",
            "pcode": "SY07",
            "origin_pcode": origin,
            "period_start": pd.Timestamp(day),
            "period_end": pd.Timestamp(day),
            "sex": sex,
            "age_group": None,
            "unit": "people",
            "cause": cause,
        }
        for publisher, origin, day, sex, cause in [
            ("OCHA", None, "2020-01-28", None, None),
            (None, "SY0702", "2020-01-29", "f", "conflict"),
            ("None", None, "0999-12-31", "m", ""),
            ("UNHCR, Update 3", "SY07", "2020-02-01", None, "disaster"),
        ]
    ]
    columns = {k: [r[k] for r in records] for k in NATURAL_KEY}
    columns["period_start"] = pd.array(columns["period_start"], dtype="datetime64[us]")
    assert figure_ids(columns).tolist() == [figure_id(r) for r in records]


def _column(values: list[object]) -> np.ndarray:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


@pytest.mark.parametrize("size", [2, 3, 7])
def test_columns_of_one_value_make_the_frame_and_ids_their_records_make(size: int) -> None:
    # Most columns a connector gives hold one value throughout; these are typed and hashed
    # once, and must come out as the same cells given one record at a time.
    day = pd.Timestamp("2020-02-01")
    varied = {"value": list(range(size)), "pcode": [f"SY0{i}" for i in range(size)]}
    alike = {
        "source": "hxl", "dataset": "a.csv", "source_record_id": None, "publisher": "OCHA",
        "metric": "idps", "admin_level": 1, "origin_pcode": None, "period_start": day,
        "period_end": day.to_pydatetime(), "qualifier": "exact", "cause": None, "sex": None,
        "age_group": None, "unit": "people", "role": "recommended", "excerpt": "",
        "source_url": None, "retrieved_at": RETRIEVED, "run_id": "r1", "published_pcode": None,
    }  # fmt: skip
    records = [
        {**alike, **{k: v[i] for k, v in varied.items()}, "figure_id": None} for i in range(size)
    ]
    columns = {k: _column([r[k] for r in records]) for k in records[0]}
    columns["figure_id"] = figure_ids(columns)
    expected = to_figure_frame(records)
    assert columns["figure_id"].tolist() == [figure_id(r) for r in records]
    pd.testing.assert_frame_equal(figure_frame(columns), expected)
    # a column alike at its ends and middle, not throughout
    columns["publisher"][size // 2 - 1] = "UNHCR"
    records[size // 2 - 1]["publisher"] = "UNHCR"
    assert figure_ids(columns).tolist() == [figure_id(r) for r in records]


def test_whole_numbers_too_large_for_64_bits_are_refused_not_wrapped() -> None:
    columns = {"admin_level": _column([1, 1]), "value": _column([2**64, 1])}
    with pytest.raises(OverflowError):
        figure_frame({**_frame_columns(2), **columns})


def _frame_columns(size: int) -> dict[str, object]:
    frame = to_figure_frame([{"source": "s", "pcode": "SY", "metric": "idps", "value": 1}] * size)
    return {col: frame[col].to_numpy(dtype=object) for col in frame.columns}


CELLS = [
    "5", "007", "12,000", "12,000+", "~3,000", "<50", ">50", ">50+", "1 000", "about 3 million",
    "~5+", "<5+", "9,999,999,999", "10,000,000,001", "12345678901234567", "1,000,000,000,000",
    "2.5k", "-4", "1.000", "n/a", "٣٤", "50 +", "+", "1,00", "0,000",
]  # fmt: skip


@pytest.mark.parametrize("cell", CELLS)
def test_a_count_read_with_its_column_is_what_parse_number_reads(cell: str) -> None:
    text = f'#adm1+code,#date,#affected+idps\nSY07,2020-01-28,5\nSY07,2020-01-29,"{cell}"\n'
    mapped = map_hxl(parse_hxl_text(text), MapContext("hxl", "t.csv", "run-1", RETRIEVED))
    try:
        expected = parse_number(cell)
    except CellError as err:
        assert len(mapped.figures) == 1
        assert [(r.row, r.check, r.reason) for r in mapped.rejections] == [
            (3, err.check, err.reason)
        ]
        return
    assert mapped.rejections == []
    figure = mapped.figures.iloc[1]
    assert figure["value"] == expected.value
    assert figure["qualifier"] == (expected.qualifier or "exact")
