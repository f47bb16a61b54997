"""Numbers for the combinations of several columns' values: how the views group and count
rows column by column, where pandas' group-bys cost more than the few thousand rows of a
place's view."""

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


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
    return combined(*(pd.factorize(column, use_na_sentinel=False)[0] for column in columns))


def group_sizes(*columns: ArrayLike) -> np.ndarray:
    """How many rows share each row's combination of the columns' values."""
    ids = group_ids(*columns)
    return np.bincount(ids)[ids]
