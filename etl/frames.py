"""Canonical frames built from plain records."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from etl.figure_ids import all_alike, figure_ids
from schemas.codes import Coded
from schemas.figures import COLUMNS, NATURAL_KEY

WHOLE_NUMBERS = ("admin_level", "value")
DAYS = ("period_start", "period_end")


def to_figure_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Canonical figure records as a frame with the canonical columns and dtypes.

    A record without a `figure_id` gets the hash of its natural key as it stands here: the
    ids of a whole response are hashed at once, after the mapping has settled every field.
    """
    _fill_ids(records)
    return _typed(pd.DataFrame.from_records(records, columns=COLUMNS))


def _fill_ids(records: list[dict[str, object]]) -> None:
    missing = [r for r in records if r.get("figure_id") is None]
    if not missing:
        return
    ids = figure_ids({col: [r.get(col) for r in missing] for col in NATURAL_KEY})
    for record, figure_id in zip(missing, ids, strict=True):
        record["figure_id"] = figure_id


def figure_frame(columns: Mapping[str, Sequence[object] | Coded]) -> pd.DataFrame:
    """Canonical figures given column by column (all of `COLUMNS`) as a typed frame."""
    if not columns:
        return to_figure_frame([])
    # Typed one by one, then put together as they are: a frame of object columns would first
    # infer each column's type and copy it, only for the types to be set again.
    typed = {col: _typed_column(col, columns[col]) for col in COLUMNS}
    return pd.DataFrame(typed, copy=False)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for col in COLUMNS:
        frame[col] = _typed_column(col, frame[col])
    return frame


def _typed_column(
    col: str, values: Sequence[object] | Coded
) -> pd.api.extensions.ExtensionArray:
    """One canonical column in its canonical dtype.

    A column of one value (or none) repeats its one typed cell: most columns of a response say
    the same thing of every figure, and typing each cell is most of the cost of building it.
    A coded column types its values and repeats them likewise.
    """
    if isinstance(values, Coded):
        return _typed_column(col, values.values).take(values.codes)
    if isinstance(values, np.ndarray) and all_alike(values):
        return _typed_column(col, values[:1]).take(np.zeros(len(values), dtype=np.intp))
    if col in WHOLE_NUMBERS:
        return _whole_numbers(values)
    if col in DAYS:
        return pd.to_datetime(values).astype("datetime64[us]").array
    if col == "retrieved_at":
        return pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]").array
    if isinstance(values, pd.Series):
        return values.astype("str").array
    return pd.array(values, dtype="str")


def _whole_numbers(values: Sequence[object]) -> pd.api.extensions.ExtensionArray:
    """Whole numbers, None missing; plain Python integers (most of what connectors give)
    straight into int64, the rest checked and converted by pandas."""
    plain = isinstance(values, np.ndarray) and values.dtype == object
    if plain and pd.api.types.infer_dtype(values, skipna=False) == "integer":
        # too large for 64 bits: the OverflowError pandas would raise
        return pd.array(values.astype(np.int64), dtype="Int64")
    return pd.array(values, dtype="Int64")
