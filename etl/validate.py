"""Validation at the boundary of the store: pandera, lazily, every failure as a record."""

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from schemas.figures import CHECK_COLUMNS, figure_schema
from schemas.runs import Rejection

# Readable reasons for pandera's built-in check names.
_REASONS = {
    "greater_than_or_equal_to(0)": "negative number",
    "period_start_not_after_end": "end date before start date",
    "stock_has_one_date": "a stock has one as-of date (start must equal end)",
    "admin_level_matches_pcode": "P-code does not follow the COD pattern for its admin level",
    "unique_natural_key": "the same figure appears twice in this input",
    "one_recommended_per_key": (
        "two recommended figures for the same place, metric, period and disaggregation"
    ),
    "pcode_in_gazetteer": "P-code not in the gazetteer",
    "origin_in_gazetteer": "origin P-code not in the gazetteer",
    "not_nullable": "missing value",
}


@dataclass
class Validated:
    """The rows that passed and a rejection for each failure of the rows that did not."""

    valid: pd.DataFrame
    rejections: list[Rejection]


def _reason(check: str, column: str | None) -> str:
    if check in _REASONS:
        return _REASONS[check]
    if check.startswith("isin"):
        return f"value not allowed in {column}"
    if check.startswith("str_matches"):
        return f"badly formed {column}"
    return check


def validate_figures(
    frame: pd.DataFrame, known_places: set[str], row_numbers: list[int] | None = None
) -> Validated:
    """Validate figures against the canonical schema; split off the failing rows."""
    if frame.empty:
        return Validated(frame, [])
    # pandera reports index labels; with a fresh index they are the row positions used below.
    frame = frame.reset_index(drop=True)
    rows = row_numbers if row_numbers is not None else [i + 1 for i in range(len(frame))]
    schema = figure_schema(known_places)
    try:
        schema.validate(frame, lazy=True, inplace=True)  # nothing to coerce: no copy
        return Validated(frame, [])
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    table_level = cases[cases["index"].isna()]
    if not table_level.empty:
        # A missing or mistyped column fails every row: there is nothing to load.
        first = table_level.iloc[0]
        return Validated(
            frame.iloc[0:0],
            [Rejection(None, first["column"], str(first["check"]), str(first["failure_case"]))],
        )
    rejections: list[Rejection] = []
    bad_positions: set[int] = set()
    seen: set[tuple[int, str]] = set()
    for case in cases.itertuples(index=False):
        position = int(case.index)
        check = str(case.check)
        column = CHECK_COLUMNS.get(check, case.column)
        if (position, check) in seen:
            continue
        seen.add((position, check))
        bad_positions.add(position)
        record = frame.iloc[position]
        value = record[column] if column in record.index else case.failure_case
        rejections.append(
            Rejection(
                rows[position],
                str(column),
                check,
                _reason(check, str(column)),
                _plain(value),
                {k: _plain(v) for k, v in record.items()},
            )
        )
    keep = [i for i in range(len(frame)) if i not in bad_positions]
    return Validated(frame.iloc[keep], rejections)


def _plain(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()  # type: ignore[union-attr]
    return value
