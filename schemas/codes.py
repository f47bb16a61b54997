"""Numbers for values: each distinct value (a missing value being one value of its own) gets
a number, in the order the values first appear, as `pandas.factorize(values,
use_na_sentinel=False)` gives them; and numbers for the combinations of several columns'
values, how connectors and views group and count rows column by column where pandas'
group-bys cost more than the rows.

pandas finds that order for a column of objects by first replacing every missing cell, which
takes a pass over every cell looking for one, as long as numbering the column itself; here
the missing cells are numbered after the rest and moved into place, which costs a pass over
integers.
"""

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def factorized(values: ArrayLike) -> tuple[np.ndarray, ArrayLike]:
    """Each value's number and the distinct values (missing ones as NaN), in the order they
    first appear: what `pd.factorize(values, use_na_sentinel=False)` returns."""
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


def combined(*codes: np.ndarray) -> np.ndarray:
    """A number per distinct combination of integer codes (one array per column), in the
    order of first appearance."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code in codes:
        # Folded one column at a time, so the combined number stays small.
        key = pd.factorize(key * (int(code.max(initial=0)) + 1) + code)[0]
    return key


def group_ids(*columns: ArrayLike) -> np.ndarray:
    """A number per distinct combination of the columns' values (a missing value is a value
    of its own), in the order of first appearance."""
    codes = [factorized(column)[0] for column in columns]
    return codes[0] if len(codes) == 1 else combined(*codes)


def group_sizes(*columns: ArrayLike) -> np.ndarray:
    """How many rows share each row's combination of the columns' values."""
    ids = group_ids(*columns)
    return np.bincount(ids)[ids]
