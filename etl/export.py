"""CSV export of figures: the file the dashboard's download button and `etl export` give."""

import csv
import io
from collections.abc import Sequence

import pandas as pd

from schemas.figures import COLUMNS

EXPORT_COLUMNS = [
    *COLUMNS[:7],
    "place_name",
    "place_name_ar",
    *COLUMNS[7:9],
    "origin_name",
    *COLUMNS[9:],
]
HXL_TAGS = {
    "figure_id": "#meta+figure_id",
    "source": "#meta+feed",
    "dataset": "#meta+dataset",
    "source_record_id": "#meta+id",
    "publisher": "#meta+source",
    "metric": "#indicator+code",
    "pcode": "#loc+code",
    "place_name": "#loc+name",
    "place_name_ar": "#loc+name+i_ar",
    "admin_level": "#loc+level",
    "origin_pcode": "#loc+code+origin",
    "origin_name": "#loc+name+origin",
    "period_start": "#date+start",
    "period_end": "#date+end",
    "value": "#indicator+value+num",
    "qualifier": "#meta+qualifier",
    "cause": "#meta+cause",
    "sex": "#meta+sex",
    "age_group": "#meta+age",
    "unit": "#indicator+unit",
    "role": "#meta+role",
    "excerpt": "#meta+excerpt",
    "source_url": "#meta+url",
    "retrieved_at": "#date+retrieved",
    "run_id": "#meta+run_id",
    "published_pcode": "#meta+code+published",
}
NUMERIC_COLUMNS = frozenset({"value", "admin_level"})
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Make a text cell inert in a spreadsheet: a leading formula character gets a quote."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _text(value: object, column: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat() if column == "retrieved_at" else value.date().isoformat()
    if column in NUMERIC_COLUMNS:
        return str(int(value))  # type: ignore[call-overload]
    return neutralise(str(value))


def export_rows(frame: pd.DataFrame) -> list[list[str]]:
    """The figures as rows of export cells, in the export column order."""
    present = frame.reindex(columns=EXPORT_COLUMNS)
    return [
        [_text(v, col) for col, v in zip(EXPORT_COLUMNS, row, strict=True)]
        for row in present.itertuples(index=False, name=None)
    ]


def to_csv(
    frame: pd.DataFrame, *, hxl: bool = False, columns: Sequence[str] = EXPORT_COLUMNS
) -> str:
    """The export CSV text: a header row, an optional HXL row, one row per figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    if hxl:
        writer.writerow([HXL_TAGS[c] for c in columns])
    writer.writerows(export_rows(frame))
    return buffer.getvalue()
