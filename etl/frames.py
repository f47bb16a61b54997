"""Canonical frames built from plain records."""

from collections.abc import Mapping, Sequence

import pandas as pd

from etl.figure_ids import figure_ids
from schemas.figures import COLUMNS, NATURAL_KEY


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


def figure_frame(columns: Mapping[str, Sequence[object]]) -> pd.DataFrame:
    """Canonical figures given column by column (all of `COLUMNS`) as a typed frame."""
    if not columns:
        return to_figure_frame([])
    return _typed(pd.DataFrame({col: columns[col] for col in COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for col in COLUMNS:
        if col in ("admin_level", "value"):
            frame[col] = pd.array(frame[col], dtype="Int64")
        elif col in ("period_start", "period_end"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
        elif col == "retrieved_at":
            frame[col] = pd.to_datetime(frame[col], utc=True).astype("datetime64[us, UTC]")
        else:
            frame[col] = frame[col].astype("str")
    return frame
