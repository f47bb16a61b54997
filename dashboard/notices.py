"""What the page says about its figures besides the numbers: quality flags, stale or failed
sources, and the note that goes with an export."""

import datetime as dt

import pandas as pd

from dashboard import frame_rows, rules
from dashboard.formatting import (
    format_date,
    publisher_name,
)
from schemas.figures import UNKNOWN_PUBLISHER


def quality_flags(
    own: pd.DataFrame,
    figs: pd.DataFrame,
    kids: pd.DataFrame,
    place_name: str,
    date_to: dt.date | None,
    picked: rules.Headline | None = None,
) -> list[str]:
    """Published figures that cannot all be right: said, not hidden.

    `picked`: `rules.headline` of `own` for the range, when the caller has worked it out.
    """
    flags = []
    if picked is None:
        rows = rules.counted(own, ["idps", "population"])
        of = rules.by_metric(rows, ["idps", "population"])
        idps = rules.latest_counted(of["idps"], date_to)
        population = rules.latest_counted(of["population"], date_to)
    else:
        idps, population = picked.idps, picked.population
    if idps and population and idps.value > population.value:
        flags.append(
            f"People displaced in {place_name} ({idps.text}, {publisher_name(idps.publisher)}) "
            f"exceed its population ({population.text}, {publisher_name(population.publisher)})."
        )
    if idps is not None:
        stocks = rules.latest_stocks(figs, ["idps"], date_to)
        for kid in frame_rows.rows(kids):
            theirs = stocks.get((kid.pcode, "idps"))
            if theirs and theirs.value > idps.value:
                flags.append(
                    f"{kid.name} reports more people displaced ({theirs.text}, "
                    f"{format_date(theirs.end)}) than all of {place_name} ({idps.text}, "
                    f"{format_date(idps.end)})."
                )
    return flags


def freshness_banners(
    loads: pd.DataFrame, now: dt.datetime, stale_after: dt.timedelta
) -> list[str]:
    """Warnings when a source's last refresh failed or its data is older than allowed."""
    banners = []
    for row in frame_rows.rows(loads):
        loaded = None if pd.isna(row.last_loaded) else pd.Timestamp(row.last_loaded)
        failed = None if pd.isna(row.last_failed) else pd.Timestamp(row.last_failed)
        if loaded is not None and loaded.tzinfo is None:
            loaded = loaded.tz_localize("UTC")
        if failed is not None and failed.tzinfo is None:
            failed = failed.tz_localize("UTC")
        if failed is not None and (loaded is None or failed > loaded):
            banners.append(
                f"The last refresh of {row.source} failed ({failed:%Y-%m-%d %H:%M} UTC): "
                "its figures are from the last good load."
            )
        if loaded is not None and pd.Timestamp(now) - loaded > stale_after:
            banners.append(
                f"{row.source} was last loaded {loaded:%Y-%m-%d}: older than "
                f"{stale_after.days} days."
            )
    return banners


def export_note(
    figs: pd.DataFrame,
    place: str,
    query: str,
    date_from: object,
    date_to: object,
    now: dt.datetime,
    table_filter: str = "",
) -> str:
    """The sidecar of a CSV export: the view, its filters, its sources and when it was made.

    `table_filter` is the figures table's filter the export applied, if any.
    """
    lines = [
        "Displacement dashboard: export of the figures behind one view",
        f"Exported: {now:%Y-%m-%d %H:%M} UTC",
        f"Place: {place} (and the places one level below it)",
        f"Dates: {format_date(date_from)} to {format_date(date_to)}",
        f"View: {query}",
        *([f"Table filter: {table_filter}"] if table_filter else []),
        f"Figures: {len(figs):,}",
        "",
        "Each row is one published number, as published: `qualifier` says whether it is exact or",
        "more than / less than / approximately; `role` triangulation rows are kept for comparison",
        "and never summed; stocks (as of period_end) and flows (period_start to period_end) are",
        "different things and are never added together.",
        "",
        "Sources:",
    ]
    if not figs.empty:
        sources = (
            figs.assign(org=figs["publisher"].fillna(UNKNOWN_PUBLISHER))
            .groupby("org")
            .agg(figures=("figure_id", "size"), url=("source_url", "first"))
            .sort_values("figures", ascending=False)
        )
        for org, row in sources.iterrows():
            url = row["url"] if isinstance(row["url"], str) else ""
            lines.append(f"- {org} ({row['figures']} figures) {url}".rstrip())
    return "\n".join(lines) + "\n"
