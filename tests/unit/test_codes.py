"""Numbers for values, as pandas numbers them with missing values kept."""

import random

import numpy as np
import pandas as pd
import pytest

from schemas.codes import factorized, group_ids, group_sizes

CELLS = ["a", "b", None, np.nan, 1, 1.0, True, "", pd.NaT, pd.NA, 2.5, 0]


def _same(ours: object, theirs: object) -> bool:
    return ours is theirs or ours == theirs or (pd.isna(ours) and pd.isna(theirs))


@pytest.mark.parametrize("seed", range(40))
def test_numbers_and_values_are_pandas_own(seed: int) -> None:
    picks = random.Random(seed)
    for _ in range(50):
        values = np.empty(picks.randint(0, 12), dtype=object)
        values[:] = [picks.choice(CELLS) for _ in range(len(values))]
        codes, uniques = factorized(values)
        expected_codes, expected_uniques = pd.factorize(values, use_na_sentinel=False)
        assert codes.tolist() == expected_codes.tolist()
        assert codes.dtype == expected_codes.dtype
        assert len(uniques) == len(expected_uniques)
        assert all(map(_same, uniques, expected_uniques))


def test_a_missing_value_is_numbered_where_it_first_appears() -> None:
    values = np.array(["x", None, "y", np.nan, "x", "z"], dtype=object)
    codes, uniques = factorized(values)
    assert codes.tolist() == [0, 1, 2, 1, 0, 3]
    assert uniques[0] == "x" and pd.isna(uniques[1]) and list(uniques[2:]) == ["y", "z"]


def test_other_arrays_are_numbered_by_pandas() -> None:
    codes, uniques = factorized(pd.Series([3, None, 3], dtype="Int64"))
    assert codes.tolist() == [0, 1, 0]
    assert uniques[0] == 3 and pd.isna(uniques[1])


def test_combinations_are_numbered_where_they_first_appear_missing_ones_included() -> None:
    places = np.array(["SY07", "SY02", "SY07", None, "SY07", None], dtype=object)
    metrics = np.array(["idps", "idps", "idps", "idps", "flows", np.nan], dtype=object)
    assert group_ids(places, metrics).tolist() == [0, 1, 0, 2, 3, 4]
    assert group_ids(places).tolist() == [0, 1, 0, 2, 0, 2]
    assert group_sizes(places, metrics).tolist() == [2, 1, 2, 1, 1, 1]
