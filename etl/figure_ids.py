"""Stable identifiers of figures, derived from their natural key."""

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
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
_SEP = "\x1f"


def figure_id(record: dict[str, object]) -> str:
    """The 16-hex-digit hash of a figure's natural key."""
    parts = [_part(record.get(col)) for col in _FIRST]
    parts += [f"{col}={text}" for col in _LATER if (text := _part(record.get(col)))]
    key = _SEP.join(parts)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def figure_ids(columns: Mapping[str, Sequence[object]]) -> np.ndarray:
    """`figure_id` of every figure given column by column: each key column's text at once."""
    texts = [_texts(columns[col]) for col in _FIRST]
    keys = [_SEP.join(parts) for parts in zip(*texts, strict=True)]
    for col in _LATER:
        later = _texts(columns[col])
        keys = [k + f"{_SEP}{col}={t}" if t else k for k, t in zip(keys, later, strict=True)]
    return np.fromiter(
        (hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] for k in keys),
        dtype=object,
        count=len(keys),
    )


def _texts(values: Sequence[object]) -> list[str]:
    """`_part` of a column: dates as ISO dates, missing as empty, the rest as text."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=False)
    parts = np.array([_part(u) for u in uniques], dtype=object)
    return parts[codes].tolist()
