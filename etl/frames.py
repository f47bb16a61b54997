"""Canonical frames built from plain records."""

import pandas as pd

from schemas.figures import COLUMNS


def to_figure_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Canonical figure records as a frame with the canonical columns and dtypes."""
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
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
