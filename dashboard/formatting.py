"""How numbers, qualifiers and dates read on screen."""

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from schemas.enums import Qualifier
from schemas.figures import organisation

METRIC_LABELS = {
    "idps": "People displaced (IDPs)",
    "new_displacements": "Newly displaced",
    "returns": "Returns",
    "returnees": "Returnees",
    "refugees": "Refugees",
    "population": "Population",
}


def format_value(value: int | float | None, qualifier: str | None) -> str:
    """A number as published: "1,000+", "~3,000,000", "<50", "464,830"."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{int(value):,}"
    match qualifier:
        case Qualifier.MORE_THAN:
            return f"{text}+"
        case Qualifier.LESS_THAN:
            return f"<{text}"
        case Qualifier.APPROXIMATELY:
            return f"~{text}"
    return text


# The marks around a number each qualifier adds ("1,000+", "<50", "~3,000,000").
_MARKS = {
    Qualifier.MORE_THAN.value: ("", "+"),
    Qualifier.LESS_THAN.value: ("<", ""),
    Qualifier.APPROXIMATELY.value: ("~", ""),
}
_PLAIN = ("", "")


def format_values(values: Iterable[object], qualifiers: Iterable[object]) -> list[str]:
    """`format_value` of each value and qualifier: a whole column at once, as charts need."""
    out = []
    for value, qualifier in zip(values, qualifiers, strict=True):
        if value is None or value is pd.NA or value != value:  # missing, NA or NaN
            out.append("–")
            continue
        before, after = _MARKS.get(qualifier, _PLAIN)  # type: ignore[call-overload]
        out.append(f"{before}{int(value):,}{after}")  # type: ignore[call-overload]
    return out


def format_share(share: float | None, exact: bool) -> str:
    """A share of the population, with "~" when either number is not exact."""
    if share is None:
        return "–"
    return f"{'' if exact else '~'}{share:.0%}" if share >= 0.01 else f"{'' if exact else '~'}<1%"


def format_date(value: dt.date | pd.Timestamp | None) -> str:
    """An ISO date, or a dash."""
    if value is None or pd.isna(value):
        return "–"
    return pd.Timestamp(value).date().isoformat()


def format_period(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """One date for a stock or a one-day flow, "start – end" otherwise."""
    if start == end:
        return format_date(end)
    return f"{format_date(start)} – {format_date(end)}"


def publisher_name(publisher: str | None) -> str:
    """The organisation of a "Publisher, Title (date)" provenance string, short enough to show."""
    head = organisation(publisher)
    return head if len(head) <= 48 else head[:47] + "…"


def publisher_names(publishers: pd.Series) -> pd.Series:
    """`publisher_name` of each row, computed once per distinct publisher."""
    # Codes into the distinct publishers (a missing one is -1: the last name, "unknown").
    codes, distinct = pd.factorize(publishers)
    names = np.array([*map(publisher_name, distinct), publisher_name(None)], dtype=object)
    return pd.Series(names[codes], index=publishers.index, dtype=object)


def organisations(figs: pd.DataFrame) -> pd.Series:
    """Each figure's `publisher_name`: its `org` column when its read added one, else computed."""
    if "org" in figs.columns:
        return figs["org"]
    return publisher_names(figs["publisher"])


def with_organisations(figs: pd.DataFrame) -> pd.DataFrame:
    """The figures with their `org` column, computed once for every view that reads them."""
    return figs.assign(org=publisher_names(figs["publisher"]))


def with_hovers(figs: pd.DataFrame) -> pd.DataFrame:
    """The figures with their `hover` column, computed once for every chart that draws them."""
    return figs.assign(hover=figure_hovers(figs) if len(figs) else pd.Series(dtype=object))


def figure_hovers(rows: pd.DataFrame) -> list[str]:
    """What hovering over a figure on a chart says: value, period, place, origin, publisher."""
    starts = rows["period_start"].dt.strftime("%Y-%m-%d").tolist()
    ends = rows["period_end"].dt.strftime("%Y-%m-%d").tolist()
    places = rows["place_name"].where(rows["place_name"].notna(), rows["pcode"]).tolist()
    origins = rows["origin_name"].where(rows["origin_name"].notna(), rows["origin_pcode"]).tolist()
    return [
        f"{published}<br>{end if start == end else f'{start} – {end}'}"
        f"<br>{place}"
        + (f" from {origin}" if isinstance(origin, str) else "")
        + f"<br>{publisher if isinstance(publisher, str) else ''}"
        for published, start, end, place, origin, publisher in zip(
            format_values(rows["value"].tolist(), rows["qualifier"].tolist()),
            starts,
            ends,
            places,
            origins,
            rows["publisher"].tolist(),
            strict=True,
        )
    ]


def hover_texts(figs: pd.DataFrame) -> pd.Series | list[str]:
    """Each figure's `figure_hovers` text: its `hover` column when its read added one."""
    if "hover" in figs.columns:
        return figs["hover"]
    return figure_hovers(figs)
