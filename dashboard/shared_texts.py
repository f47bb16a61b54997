"""A place's figures with each distinct text held once, its repeats the same object.

A place's figures are read from the store with a copy of every text per figure: its
publisher, metric, role, unit, names. Made one object each, they take less memory in the
query cache, and pickle (the packed places) writes a repeated object as a reference to its
first: a country packs 8% smaller and opens in about two thirds of the time.
"""

import numpy as np
import pandas as pd


def share_texts(frame: pd.DataFrame, texts: dict[str, str]) -> pd.DataFrame:
    """An equal frame whose text columns take each value from `texts` (adding the new ones),
    so frames shared through one `texts` hold one object per distinct text."""
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if not (column.dtype == object or isinstance(column.dtype, pd.StringDtype)):
            continue
        values = column.to_numpy(dtype=object)
        # Distinct values found in C: only they go through the dictionary.
        codes, distinct = pd.factorize(values)
        if not len(distinct) or len(distinct) == len(values):
            continue  # nothing repeats (figure ids, hover texts, an empty column)
        canonical = np.array(
            [texts.setdefault(v, v) if type(v) is str else v for v in distinct], dtype=object
        )
        one_each = canonical[codes]
        missing = codes < 0
        one_each[missing] = values[missing]
        columns[name] = pd.Series(one_each, index=frame.index, dtype=column.dtype)
    return frame.assign(**columns) if columns else frame
