"""The figures table's filter row, applied on the server to every figure behind the view.

The table sends what the coordinator typed as a `filter_query` ("{place} icontains idl &&
{value} > 1000"). It is parsed here, never evaluated: a column must be one of the table's, an
operator one of a fixed list, and a value is only ever compared, so a forged query can filter
rows out but never reach the store or run anything.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dashboard.formatting import METRIC_LABELS, format_period, publisher_names

# operator -> how it compares (text columns compare case-insensitively)
_OPERATORS = {
    "contains": "contains",
    "datestartswith": "startswith",
    "=": "eq",
    "eq": "eq",
    "!=": "ne",
    "ne": "ne",
    "<": "lt",
    "lt": "lt",
    "<=": "le",
    "le": "le",
    ">": "gt",
    "gt": "gt",
    ">=": "ge",
    "ge": "ge",
}
_PART = re.compile(
    r"^\{(?P<column>[a-z_]+)\}\s+(?P<op>is (?:not )?blank|[si]?(?:[a-z]+|[<>!]?=|[<>]))"
    r"(?:\s+(?P<value>.*))?$"
)
MAX_QUERY = 2_000


class FilterError(ValueError):
    """A filter the table cannot apply; the message says which part and why."""


@dataclass(frozen=True)
class Condition:
    """One part of a filter query: column, comparison and value."""

    column: str
    op: str  # a value of _OPERATORS, or "blank" / "not_blank"
    value: str
    case_sensitive: bool = False  # the filter cell's "Aa" toggle ("scontains")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        return text[1:-1].replace("\\" + text[0], text[0])
    return text


def parse_filter(query: object) -> list[Condition]:
    """The conditions of a table filter query; FilterError for anything else."""
    if query is None or query == "":
        return []
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        raise FilterError("the filter is not one the table sends")
    conditions = []
    for part in query.split(" && "):
        match = _PART.match(part.strip())
        if not match:
            raise FilterError(f"cannot read the filter {part.strip()[:80]!r}")
        column, op = match["column"], match["op"]
        if column not in COLUMNS:
            raise FilterError(f"no column {column!r} to filter on")
        if op.startswith("is "):
            kind = "not_blank" if "not" in op else "blank"
            conditions.append(Condition(column, kind, ""))
            continue
        prefixed = op[:1] in ("s", "i") and op[1:] in _OPERATORS
        bare = op[1:] if prefixed else op
        if bare not in _OPERATORS:
            raise FilterError(f"unknown comparison {op!r} in the filter of {column}")
        value = _unquote(match["value"] or "")
        sensitive = prefixed and op[0] == "s"
        conditions.append(Condition(column, _OPERATORS[bare], value, sensitive))
    return conditions


def _text(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna(), "").astype("str")


def _period(figs: pd.DataFrame) -> pd.Series:
    pairs = zip(figs["period_start"], figs["period_end"], strict=True)
    return pd.Series([format_period(s, e) for s, e in pairs], index=figs.index, dtype="str")


def _named(figs: pd.DataFrame, name: str, code: str) -> pd.Series:
    return _text(figs[name].where(figs[name].notna(), figs[code]))


# What each table column shows, as text, computed only when that column is filtered.
COLUMNS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "period": _period,
    "place": lambda f: _named(f, "place_name", "pcode"),
    "pcode": lambda f: _text(f["pcode"]),
    "origin": lambda f: _text(f["origin_name"].where(f["origin_name"].notna(), f["origin_pcode"])),
    "who": lambda f: _text(f["sex"].fillna("") + " " + f["age_group"].fillna("")),
    "metric": lambda f: _text(f["metric"].map(lambda m: METRIC_LABELS.get(m, m))),
    "value": lambda f: _text(f["value"]),
    "role": lambda f: _text(f["role"]),
    "publisher": lambda f: _text(f["publisher"]) + " " + publisher_names(f["publisher"]),
    "link": lambda f: _text(f["source_url"]),
}


def _number(text: str) -> float | None:
    """A number typed in the filter row: "1000", "1,000" or "1 000"."""
    cleaned = re.sub(r"[,\s\u00a0]", "", text)
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", cleaned):
        return None
    return float(cleaned)


def _mask(figs: pd.DataFrame, c: Condition) -> pd.Series:
    if c.column == "value" and c.op in ("eq", "ne", "lt", "le", "gt", "ge"):
        number = _number(c.value)
        if number is None:
            raise FilterError(f"{c.value!r} is not a number to compare values with")
        values = figs["value"].astype("float")
        return getattr(values, c.op)(number).fillna(False).astype(bool)
    shown = COLUMNS[c.column](figs)
    wanted = c.value
    if not c.case_sensitive:
        shown, wanted = shown.str.lower(), wanted.lower()
    if c.op == "blank":
        return shown.str.strip() == ""
    if c.op == "not_blank":
        return shown.str.strip() != ""
    if c.op == "contains":
        return shown.str.contains(wanted, regex=False)
    if c.op == "startswith":
        return shown.str.startswith(wanted)
    return getattr(shown, c.op)(wanted)


def apply_filter(figs: pd.DataFrame, conditions: list[Condition]) -> pd.DataFrame:
    """The figures that meet every condition."""
    if not conditions or figs.empty:
        return figs
    keep = pd.Series(True, index=figs.index)
    for condition in conditions:
        keep &= _mask(figs, condition)
    return figs[keep]
