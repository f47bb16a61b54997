"""A frame's rows, column by column, are the rows pandas gives."""

import numpy as np
import pandas as pd

from dashboard.frame_rows import records, rows


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pcode": ["SY07", None, "SY0203"],
            "value": pd.array([1_000, None, 3], dtype="Int64"),
            "share": [1.5, np.nan, 2.0],
            "period_end": pd.to_datetime(["2020-01-31", None, "2020-02-29"]),
            "class": [True, False, True],  # a keyword: renamed as itertuples renames it
        }
    )


def _same(a: object, b: object) -> bool:
    return a is b or a == b or (pd.isna(a) and pd.isna(b))


def test_rows_are_itertuples_rows():
    frame = _frame()
    expected = list(frame.itertuples(index=False))
    got = list(rows(frame))
    assert [r._fields for r in got] == [r._fields for r in expected]
    assert got[0]._fields == ("pcode", "value", "share", "period_end", "_4")
    assert all(
        _same(a, b) for e, g in zip(expected, got, strict=True) for a, b in zip(e, g, strict=True)
    )
    assert got[0].value == 1_000 and got[1].value is pd.NA and got[1].period_end is pd.NaT


def test_rows_of_a_slice_and_of_a_frame_without_columns():
    frame = _frame()
    assert [r.pcode for r in rows(frame.iloc[[2, 0]])] == ["SY0203", "SY07"]
    assert list(rows(frame.iloc[0:0])) == []
    assert len(list(rows(pd.DataFrame(index=[0, 1])))) == 2


def test_records_are_to_dict_records():
    frame = _frame()
    expected = frame.to_dict("records")
    got = records(frame)
    assert [list(r) for r in got] == [list(r) for r in expected]
    assert all(_same(e[k], g[k]) for e, g in zip(expected, got, strict=True) for k in e)
