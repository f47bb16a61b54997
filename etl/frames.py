"""Canonical frames built from plain records."""

from collections.abc import Mapping, Sequence

import pandas as pd

from schemas.figures import COLUMNS


def to_figure_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Canonical figure records as a frame with the canonical columns and dtypes."""
    return _typed(pd.DataFrame.from_records(records, columns=COLUMNS))


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
