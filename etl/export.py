"""CSV export of figures: the file the dashboard's download button and `etl export` give.

With `hxl=True` (`etl export --hxl`) the file is HXL that the HXL import reads back: the
value of each figure sits in a column tagged with the HXL dictionary's hashtag for what it
counts (`#affected+idps+ind`, `#affected+idps+ind+newdisp` for new displacements,
`#affected+returns+ind`, `#affected+returnees+ind`, `#affected+refugees+ind`,
`#population+ind`; `+hh` for households, `+f`/`+m` and `+children`/`+adults`/`+elderly` for
a disaggregation), one column per kind present; periods are `#date+start`/`#date+end`,
qualifiers `#meta+qualifier`, provenance `#meta+source`, `#meta+url`, `#meta+id`,
`#meta+excerpt`. Imported into a store with the same gazetteer, it gives back the same
figures.
"""

import csv
import io
from collections.abc import Sequence

import pandas as pd

from schemas.enums import Metric
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
# The HXL dictionary's hashtag for each metric, in the form the HXL import reads back.
METRIC_TAGS = {
    Metric.IDPS.value: "#affected+idps",
    Metric.NEW_DISPLACEMENTS.value: "#affected+idps+newdisp",
    Metric.RETURNS.value: "#affected+returns",
    Metric.RETURNEES.value: "#affected+returnees",
    Metric.REFUGEES.value: "#affected+refugees",
    Metric.POPULATION.value: "#population",
}
# What the value columns of the HXL export spell out in their hashtags (never columns there).
_IN_THE_TAG = ("metric", "sex", "age_group", "unit")
_KIND = ["metric", "unit", "sex", "age_group"]
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
    if hxl:
        titles, tags, rows = hxl_table(frame)
        writer.writerow(titles)
        writer.writerow(tags)
        writer.writerows(rows)
        return buffer.getvalue()
    writer.writerow(columns)
    writer.writerows(export_rows(frame))
    return buffer.getvalue()


def _present(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)  # type: ignore[arg-type]


def value_tag(metric: str, unit: str | None, sex: str | None, age_group: str | None) -> str:
    """The hashtag of the column for figures of this metric, unit and disaggregation."""
    parts = [METRIC_TAGS[metric], "+hh" if unit == "households" else "+ind"]
    parts += [f"+{sex}"] if sex else []
    parts += [f"+{age_group}"] if age_group else []
    return "".join(parts)


def _value_title(kind: tuple[str | None, ...]) -> str:
    metric, unit, sex, age = kind
    details = [d for d in (unit if unit == "households" else None, sex, age) if d]
    return f"{metric} ({', '.join(details)})" if details else str(metric)


def hxl_table(frame: pd.DataFrame) -> tuple[list[str], list[str], list[list[str]]]:
    """The HXL export: titles, hashtags and one row per figure (one value column per kind)."""
    present = frame.reindex(columns=EXPORT_COLUMNS)
    kinds = list(
        dict.fromkeys(
            tuple(_present(v) for v in row)
            for row in present[_KIND].itertuples(index=False, name=None)
        )
    )
    # Metrics in the dictionary's order; people before households; totals before their parts.
    kinds.sort(
        key=lambda k: (list(METRIC_TAGS).index(str(k[0])), k[1] != "people", k[2] or "", k[3] or "")
    )
    fixed = [c for c in EXPORT_COLUMNS if c not in _IN_THE_TAG]
    at = fixed.index("value")
    titles = fixed[:at] + [_value_title(k) for k in kinds] + fixed[at + 1 :]
    tags = (
        [HXL_TAGS[c] for c in fixed[:at]]
        + [value_tag(*k) for k in kinds]  # type: ignore[arg-type]
        + [HXL_TAGS[c] for c in fixed[at + 1 :]]
    )
    rows = []
    for record in present.to_dict("records"):
        kind = tuple(_present(record[c]) for c in _KIND)
        cells = [_text(record[c], c) for c in fixed]
        values = ["" for _ in kinds]
        values[kinds.index(kind)] = cells[at]
        rows.append(cells[:at] + values + cells[at + 1 :])
    return titles, tags, rows
