"""The figures table and the CSV export's order: rows as published, paged and sorted."""

import pandas as pd

from dashboard import frame_rows
from dashboard.formatting import (
    METRIC_LABELS,
    format_period,
    format_value,
)

TABLE_SORT = {
    "period": "period_end",
    "place": "place_name",
    "pcode": "pcode",
    "origin": "origin_name",
    "who": "sex",
    "metric": "metric",
    "value": "value",
    "role": "role",
    "publisher": "publisher",
    "link": "source_url",
}


def newest_first(figs: pd.DataFrame) -> pd.DataFrame:
    """The order of the table and of the CSV export."""
    return figs.sort_values(["period_end", "pcode", "metric"], ascending=[False, True, True])


def table_order(sort_by: object) -> tuple[str | None, bool]:
    """The column the table asks to sort by (None: newest first) and whether descending."""
    chosen = sort_by[0] if isinstance(sort_by, list) and sort_by else {}
    chosen = chosen if isinstance(chosen, dict) else {}
    return TABLE_SORT.get(str(chosen.get("column_id", ""))), chosen.get("direction") == "desc"


def page_of(page: object, figures: int, size: int) -> tuple[int, int]:
    """(page count, the asked page within it): a page past the end is the last one."""
    pages = max(1, -(-figures // size))
    return pages, min(max(page if isinstance(page, int) else 0, 0), pages - 1)


def table_page(
    figs: pd.DataFrame, page: object, size: int, sort_by: object
) -> tuple[list[dict[str, str]], int, int]:
    """One page of the figures table, sorted on the server: (rows, page count, page)."""
    ordered = newest_first(figs)
    column, descending = table_order(sort_by)
    if column:
        ordered = ordered.sort_values(
            column, ascending=not descending, kind="stable", na_position="last"
        )
    pages, page = page_of(page, len(ordered), size)
    rows = table_rows(ordered.iloc[page * size : (page + 1) * size], presorted=True)
    return rows, pages, page


def table_rows(figs: pd.DataFrame, presorted: bool = False) -> list[dict[str, str]]:
    """The figures table: newest first, values as published, sources as links."""
    rows = []
    ordered = figs if presorted else newest_first(figs)
    for r in frame_rows.rows(ordered):
        url = r.source_url if isinstance(r.source_url, str) else ""
        rows.append(
            {
                "figure_id": r.figure_id,
                "period": format_period(r.period_start, r.period_end),
                "place": r.place_name if isinstance(r.place_name, str) else r.pcode,
                "pcode": r.pcode,
                "who": who(r.sex, r.age_group),
                "origin": r.origin_name if isinstance(r.origin_name, str) else "",
                "metric": METRIC_LABELS.get(r.metric, r.metric),
                "value": format_value(r.value, r.qualifier),
                "role": r.role,
                "publisher": r.publisher if isinstance(r.publisher, str) else "",
                "link": f"[{_host(url)}]({_markdown_url(url)})"
                if url.startswith(("http://", "https://"))
                else "",
            }
        )
    return rows


def _markdown_url(url: str) -> str:
    """A URL that cannot close its markdown link early and open another."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C")


def _host(url: str) -> str:
    host = url.split("/")[2] if url.count("/") >= 2 else url
    return host.replace("[", "").replace("]", "")


_WHO = {
    ("f", "children"): "girls",
    ("m", "children"): "boys",
    ("f", "adults"): "women",
    ("m", "adults"): "men",
    ("f", "elderly"): "older women",
    ("m", "elderly"): "older men",
}


def who(sex: object, age_group: object) -> str:
    """A disaggregation in words ("girls", "women", "children"); "all" when there is none."""
    s = sex if isinstance(sex, str) else None
    a = age_group if isinstance(age_group, str) else None
    if s and a:
        return _WHO.get((s, a), f"{s} {a}")
    if s:
        return {"f": "female", "m": "male"}.get(s, s)
    return a or "all"
