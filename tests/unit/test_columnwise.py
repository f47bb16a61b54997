"""Records read column by column: a value worked out once per distinct combination of cells
is each record's own, whether the columns come spelled out or coded; refusals made at once
are the rejections the records get one by one."""

import random

import numpy as np
import pandas as pd
import pytest

from etl.sources.base import Refused
from etl.sources.columnwise import Reading, Refusals, coded_on_distinct, on_distinct
from schemas.codes import Coded
from schemas.runs import RejectionCode

CELLS = ["a", "b", "", None, 7, 7.0, "TCD07"]


def _column(picks: random.Random, count: int) -> np.ndarray:
    column = np.empty(count, dtype=object)
    column[:] = [picks.choice(CELLS) for _ in range(count)]
    return column


def _coded(column: np.ndarray) -> Coded:
    codes, values = pd.factorize(column, use_na_sentinel=False)
    return Coded.of(codes, list(values))


def _joined(*cells: object) -> str:
    """The cells as one text, treating alike what pandas holds equal (None and NaN, 7 and
    7.0), as on_distinct asks."""
    return "|".join("-" if pd.isna(c) else repr(float(c) if c == 7 else c) for c in cells)


@pytest.mark.parametrize("seed", range(30))
def test_a_value_per_distinct_combination_is_each_records_own(seed: int) -> None:
    picks = random.Random(seed)
    count = picks.randint(1, 40)
    columns = [_column(picks, count) for _ in range(picks.randint(1, 3))]
    expected = [_joined(*cells) for cells in zip(*columns, strict=True)]
    assert on_distinct(_joined, *columns).tolist() == expected
    given = [_coded(c) if picks.random() < 0.5 else c for c in columns]
    made = coded_on_distinct(_joined, *given)
    assert isinstance(made, Coded)
    assert np.asarray(made).tolist() == expected
    # Kept coded, a made column groups as its cells do.
    again = on_distinct(str.upper, made)
    assert again.tolist() == [text.upper() for text in expected]


def test_refusals_made_at_once_are_the_rejections_made_one_by_one() -> None:
    raw = pd.DataFrame({"code": ["x", "bad", "y", "worse"], "n": [1, 2, 3, 4]})
    raw.index = range(1, 5)
    codes = raw["code"].to_numpy(dtype=object)
    failing = np.array([False, True, False, True])

    def one(position: int) -> Refused:
        return Refused("code", RejectionCode.PCODE_FORMAT, f"{codes[position]}?", codes[position])

    def at_once(at: np.ndarray) -> Refusals:
        reasons = np.array([f"{c}?" for c in codes[at]], dtype=object)
        return Refusals("code", RejectionCode.PCODE_FORMAT, reasons, codes[at])

    by_one, by_all = Reading(4), Reading(4)
    by_one.check(failing, one)
    by_all.check_all(failing, at_once)
    assert by_all.rejections(raw) == by_one.rejections(raw)
    first = by_all.rejections(raw)[0]
    assert (first.row, first.column, first.reason, first.value) == (2, "code", "bad?", "bad")
    assert first.record == {"code": "bad", "n": 2}
