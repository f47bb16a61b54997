"""Numbers for values, as pandas numbers them with missing values kept."""

import random

import numpy as np
import pandas as pd
import pytest

from etl.figure_ids import figure_id, figure_ids
from etl.frames import figure_frame
from schemas.codes import Coded, combined, factorized, group_ids, group_sizes
from schemas.figures import COLUMNS, NATURAL_KEY
from tests.factories import figure_record

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


@pytest.mark.parametrize("widths", [(3, 2, 4), (2**40, 2**30, 7), (5, 2**61, 2**61, 3)])
def test_combinations_of_wide_codes_are_numbered_as_tuples_are(widths: tuple[int, ...]) -> None:
    """Codes whose combinations outgrow one 64-bit number are renumbered on the way: the
    combinations are still told apart, in the order they first appear."""
    picks = random.Random(len(widths))
    rows = [tuple(picks.choice([0, 1, width - 1]) for width in widths) for _ in range(300)]
    columns = [np.array(column, dtype=np.int64) for column in zip(*rows, strict=True)]
    expected = pd.factorize(pd.Series(rows, dtype=object))[0]
    assert combined(*columns).tolist() == expected.tolist()


@pytest.mark.parametrize("seed", range(20))
def test_a_coded_column_is_numbered_as_its_cells_are(seed: int) -> None:
    """Equal values under two codes are one value (a count's metric repeats across counts);
    None and NaN are one missing value, as pandas holds them."""
    picks = random.Random(seed)
    for _ in range(50):
        table = [picks.choice(CELLS) for _ in range(picks.randint(1, 6))]
        column = Coded.of(np.array([picks.randrange(len(table)) for _ in range(12)]), table)
        codes, uniques = factorized(column)
        expected_codes, expected_uniques = pd.factorize(np.asarray(column), use_na_sentinel=False)
        assert codes.tolist() == expected_codes.tolist()
        assert all(map(_same, uniques, expected_uniques))
        other = np.array([picks.choice("xy") for _ in range(12)], dtype=object)
        assert group_ids(column, other).tolist() == group_ids(np.asarray(column), other).tolist()


def test_coded_columns_give_the_ids_and_frame_their_cells_give() -> None:
    """A coded column hashes and types to what its cells spelled out give."""
    picks = random.Random(3)
    records = [
        figure_record(
            publisher=picks.choice(["OCHA", "IOM DTM", None]),
            metric=picks.choice(["idps", "new_displacements"]),
            pcode=picks.choice(["SY07", "SY0700", "SY02"]),
            admin_level=picks.choice([1, 2]),
            value=picks.randrange(10**6),
            sex=picks.choice([None, "f"]),
        )
        for _ in range(40)
    ]
    plain = {c: np.array([r.get(c) for r in records], dtype=object) for c in COLUMNS}
    del plain["figure_id"]
    coded = dict(plain)
    for column in ("source", "publisher", "metric", "pcode", "sex", "admin_level", "value"):
        codes, values = pd.factorize(plain[column], use_na_sentinel=False)
        # Every value twice in the table: numbers that differ for equal values are one value.
        coded[column] = Coded.of(codes * 2 + (np.arange(len(codes)) % 2), np.repeat(values, 2))
    coded["unit"] = Coded.constant("people", len(records))
    assert figure_ids(coded).tolist() == figure_ids(plain).tolist()
    plain["figure_id"] = coded["figure_id"] = figure_ids(plain)
    pd.testing.assert_frame_equal(figure_frame(coded), figure_frame(plain), check_exact=True)


@pytest.mark.parametrize("plain_from", [None, "pcode", "period_start"])
def test_ids_of_coded_key_columns_are_each_figures_own(plain_from: str | None) -> None:
    """Coded key columns are folded as numbers into their values' combinations: each figure
    still gets the id of its own key, whether every key column is coded or only the first."""
    picks = random.Random(7)
    size = 300
    tables = {
        column: [picks.choice(["a", "b", None, "c d"]) for _ in range(picks.randint(1, 4))]
        for column in NATURAL_KEY
    }
    codes = {
        column: np.array([picks.randrange(len(t)) for _ in range(size)])
        for column, t in tables.items()
    }
    coded: dict[str, object] = {c: Coded.of(codes[c], tables[c]) for c in NATURAL_KEY}
    if plain_from is not None:
        for column in NATURAL_KEY[NATURAL_KEY.index(plain_from) :]:
            coded[column] = np.asarray(coded[column])
    records = [{c: tables[c][codes[c][i]] for c in NATURAL_KEY} for i in range(size)]
    assert figure_ids(coded).tolist() == [figure_id(r) for r in records]
