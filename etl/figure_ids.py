"""Stable identifiers of figures, derived from their natural key."""

import datetime as dt
import hashlib

import pandas as pd

from schemas.figures import NATURAL_KEY


def _part(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# Key parts that joined the key later: hashed only when given, so a figure without one keeps
# the id it always had.
_LATER = ("cause",)
_FIRST = [c for c in NATURAL_KEY if c not in _LATER]


def figure_id(record: dict[str, object]) -> str:
    """The 16-hex-digit hash of a figure's natural key."""
    parts = [_part(record.get(col)) for col in _FIRST]
    parts += [f"{col}={text}" for col in _LATER if (text := _part(record.get(col)))]
    key = "\x1f".join(parts)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
