"""Numbers for values: each distinct value (a missing value being one value of its own) gets
a number, in the order the values first appear, as `pandas.factorize(values,
use_na_sentinel=False)` gives them; and numbers for the combinations of several columns'
values, how connectors and views group and count rows column by column where pandas'
group-bys cost more than the rows.

pandas finds that order for a column of objects by first replacing every missing cell, which
takes a pass over every cell looking for one, as long as numbering the column itself; here
the missing cells are numbered after the rest and moved into place, which costs a pass over
integers.

A connector that already holds a column as numbers into its values (a field made once per
distinct value, or once per kind of figure) hands it on as `Coded`: pandas numbers text by
reading every character of every cell, while numbering the numbers reads none.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


@dataclass(frozen=True, eq=False)
class Coded:
    """A column given as each cell's number (`codes`) into its values (`values`, an object
    array): what a connector that made a field once per distinct value, or once per kind of
    figure, already holds. Hashing and typing it then take each value once: numbering a
    column of text again would read every character of every cell."""

    codes: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, values: list[object] | np.ndarray) -> "Coded":
        """The column whose cell i is `values[codes[i]]`."""
        table = np.empty(len(values), dtype=object)
        table[:] = values
        return cls(np.asarray(codes, dtype=np.intp), table)

    @classmethod
    def constant(cls, value: object, count: int) -> "Coded":
        """A column holding `value` `count` times."""
        return cls.of(np.zeros(count, dtype=np.intp), [value])

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, position: int) -> object:
        """The value of the cell at `position`."""
        return self.values[self.codes[position]]

    def at(self, positions: np.ndarray) -> "Coded":
        """The cells at `positions` (indices or a mask), still coded."""
        return Coded(self.codes[positions], self.values)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """Every cell spelled out, for code that wants a plain array."""
        cells = self.values[self.codes]
        return cells if dtype is None else cells.astype(dtype)


def cells_at(column: ArrayLike | Coded, positions: np.ndarray) -> ArrayLike | Coded:
    """A column's cells at `positions`, a coded column's still coded."""
    if isinstance(column, Coded):
        return column.at(positions)
    return np.asarray(column)[positions]


def factorized(values: ArrayLike | Coded) -> tuple[np.ndarray, ArrayLike]:
    """Each value's number and the distinct values (missing ones as NaN), in the order they
    first appear: what `pd.factorize(values, use_na_sentinel=False)` returns."""
    if isinstance(values, Coded):
        merged, distinct = factorized(values.values)  # a few values: equal ones made one
        # Then numbers, not text: no cell's characters are read.
        codes, used = pd.factorize(merged[values.codes])
        return codes, np.asarray(distinct, dtype=object)[used]
    if not (isinstance(values, np.ndarray) and values.dtype == object):
        return pd.factorize(values, use_na_sentinel=False)
    codes, uniques = pd.factorize(values)
    missing = codes < 0
    if not missing.any():
        return codes, uniques
    first = int(missing.argmax())
    # The missing value's number: how many distinct values appear before it.
    at = int(codes[:first].max()) + 1 if first else 0
    codes = np.where(codes >= at, codes + 1, codes)
    codes[missing] = at
    return codes, np.insert(uniques.astype(object), at, np.nan)


_WIDEST = 2**62  # the most combinations one int64 key tells apart here


def combined(*codes: np.ndarray) -> np.ndarray:
    """A number per distinct combination of integer codes (one array per column), in the
    order of first appearance."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    span = 1  # the key's values lie in range(span)
    for code in codes:
        width = int(code.max(initial=0)) + 1
        if span * width > _WIDEST:  # renumbered first, so the combined number stays in range
            key, code = pd.factorize(key)[0], pd.factorize(code)[0]
            span, width = int(key.max(initial=0)) + 1, int(code.max(initial=0)) + 1
        key = key * width + code
        span *= width
    # Numbered once, at the end: each number a pass over integers.
    return pd.factorize(key)[0]


def group_ids(*columns: ArrayLike | Coded) -> np.ndarray:
    """A number per distinct combination of the columns' values (a missing value is a value
    of its own), in the order of first appearance."""
    if len(columns) == 1:
        return factorized(columns[0])[0]
    # combined() numbers the combinations in the order they first appear, whatever numbers
    # each column's values have: a coded column's own numbers serve, once its equal values
    # are one.
    return combined(*(_value_numbers(column) for column in columns))


def _value_numbers(column: ArrayLike | Coded) -> np.ndarray:
    """A number per distinct value of `column`, in no particular order."""
    if isinstance(column, Coded):
        return factorized(column.values)[0][column.codes]
    return factorized(column)[0]


def group_sizes(*columns: ArrayLike | Coded) -> np.ndarray:
    """How many rows share each row's combination of the columns' values."""
    ids = group_ids(*columns)
    return np.bincount(ids)[ids]
