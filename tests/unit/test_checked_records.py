"""Records become columns of objects, values untouched, however the records are laid out."""

import random
from collections import UserDict

import pandas as pd
import pandera.pandas as pa
import pytest

from etl.sources.base import checked_records


class _Anything(pa.DataFrameModel):
    """No promise but that there are records."""

    class Config:
        strict = False


def _cells(frame: pd.DataFrame) -> dict[str, list[object]]:
    return {column: frame[column].tolist() for column in frame.columns}


def test_list_valued_cells_of_one_length_stay_one_cell_each() -> None:
    rows = [{"id": i, "codes": ["FL", "2020"], "name": None} for i in range(3)]
    frame = checked_records(rows, _Anything, "test")
    assert frame.shape == (3, 3)
    assert frame["codes"].tolist() == [["FL", "2020"]] * 3
    assert frame.index.tolist() == [1, 2, 3]
    every = checked_records([{"codes": ["FL", "2020"], "tags": ["a", "b"]}] * 2, _Anything, "t")
    assert every.shape == (2, 2) and every["tags"].tolist() == [["a", "b"]] * 2


@pytest.mark.parametrize("seed", range(20))
def test_every_layout_gives_the_cells_each_record_holds(seed: int) -> None:
    """Records holding every key, records lacking some (None for them) and mappings other
    than dicts give the same frame, cell for cell."""
    picks = random.Random(seed)
    keys = ["a", "b", "c", "d"][: picks.randint(1, 4)]
    values = [None, 0, 1.5, "x", ["l", 1], {"k": 1}, True]
    rows = [{k: picks.choice(values) for k in keys} for _ in range(picks.randint(2, 30))]
    expected = {k: [r[k] for r in rows] for k in keys}
    assert _cells(checked_records(rows, _Anything, "test")) == expected
    assert _cells(checked_records([UserDict(r) for r in rows], _Anything, "test")) == expected
    lacking = [dict(r) for r in rows]
    del lacking[-1][keys[-1]]
    expected[keys[-1]][-1] = None
    assert _cells(checked_records(lacking, _Anything, "test")) == expected
