"""A frame's rows as plain Python values, column by column: what the page's pure functions walk.

pandas hands rows over cell by cell (`itertuples` iterates each column's Series, boxing every
cell of an extension array through `__getitem__`, and makes a new named-tuple class per call);
the views walk small frames about fifteen times a filter change, so the boxing and the classes
cost more than the rows.
"""

import collections
import functools
from collections.abc import Iterator
from typing import Any

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows of a frame as plain dicts, as `to_dict("records")` gives them, faster."""
    columns = list(frame.columns)
    values = [column.tolist() for _, column in frame.items()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


@functools.lru_cache(maxsize=512)
def _row_type(fields: tuple[str, ...]) -> type:
    """One named-tuple class per set of columns, named as `itertuples` names them."""
    return collections.namedtuple("Pandas", fields, rename=True)


def rows(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of a frame as named tuples, as `itertuples(index=False)` gives them, faster."""
    fields = tuple(str(c) for c in frame.columns)
    make = _row_type(fields)._make
    # `items()` hands each column over without `iloc`'s indexing: half the time a frame.
    values = [column.tolist() for _, column in frame.items()]
    if not values:
        return iter([make(()) for _ in range(len(frame))])
    return map(make, zip(*values, strict=True))
