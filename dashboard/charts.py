"""Plotly figures built from frames: the time series and the breakdown (the map is
`map_figure`)."""

from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import (
    METRIC_LABELS,
    format_date,
    hover_texts,
    organisations,
)
from schemas.enums import FLOW_METRICS

# Okabe-Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
    "plot_bgcolor": "white",
    "hovermode": "closest",
    "legend": {"orientation": "h", "y": -0.2},
}


def empty_figure(message: str) -> go.Figure:
    """A blank chart that says why it is blank."""
    return go.Figure(empty_spec(message))


def empty_spec(message: str) -> dict:
    """`empty_figure` as the plain structure the page is sent."""
    return {
        "data": [],
        "layout": {
            **_LAYOUT,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": message,
                    "showarrow": False,
                    "font": {"size": 15},
                    "xref": "paper",
                    "yref": "paper",
                }
            ],
        },
    }


@dataclass(frozen=True)
class Series:
    """One drawable series: rows start:stop of the frame `drawn_rows` returns."""

    name: str
    kind: str  # stock, flow or cumulative
    publisher: str
    start: int
    stop: int
    # Where a further cumulative run of the same publisher and metric begins: drawn as one
    # line broken there, so a national view has a legend entry per publisher, not per run.
    breaks: tuple[int, ...] = ()


def drawn_rows(figs: pd.DataFrame) -> tuple[pd.DataFrame, list[Series]]:
    """The undisaggregated figures sorted into contiguous series, and the series.

    A run of flows with the same start and later ends is one cumulative series; other flows
    of a publisher are one series of bars; each stock metric of a publisher is one line.
    """
    rows = figs[figs["sex"].isna() & figs["age_group"].isna()] if not figs.empty else figs
    if rows.empty:
        return rows, []
    rows = rows.assign(org=organisations(rows), origin=rows["origin_pcode"].fillna(""))
    # One pass marks the cumulative runs; grouping once by series key avoids a group per start.
    run_size = rows.groupby(["metric", "org", "role", "period_start", "origin"])["value"].transform(
        "size"
    )
    flow = rows["metric"].isin([m.value for m in FLOW_METRICS])
    rows["kind"] = "stock"
    rows.loc[flow, "kind"] = "flow"
    rows.loc[flow & (run_size > 1), "kind"] = "cumulative"
    cumulative = rows["kind"] == "cumulative"
    rows["run"] = ""
    rows.loc[cumulative, "run"] = (
        rows.loc[cumulative, "period_start"].dt.strftime("%Y-%m-%d")
        + "|"
        + rows.loc[cumulative, "origin"]
    )
    keys = ["metric", "org", "role", "kind", "run"]
    # One sort makes every series a contiguous slice: slicing arrays is cheap, a frame per
    # group is not when a national view has a hundred and more series.
    rows = rows.sort_values([*keys, "period_end"], kind="stable")
    ids = rows.groupby(keys, sort=False).ngroup().to_numpy()
    bounds = [0, *(np.flatnonzero(np.diff(ids)) + 1).tolist(), len(rows)]
    firsts = rows[keys].iloc[bounds[:-1]].itertuples(index=False)
    out: list[Series] = []
    merged: tuple[str, str, str] | None = None
    for (metric, org, role, kind, run), lo, hi in zip(firsts, bounds[:-1], bounds[1:], strict=True):
        suffix = " (triangulation)" if role == "triangulation" else ""
        label = METRIC_LABELS.get(metric, metric)
        if kind == "cumulative" and merged == (metric, org, role):
            last = out[-1]
            runs = len(last.breaks) + 2
            name = f"{label}, {runs} cumulative runs — {org}{suffix}"
            out[-1] = replace(last, name=name, stop=hi, breaks=(*last.breaks, lo))
            continue
        merged = (metric, org, role) if kind == "cumulative" else None
        if kind == "cumulative":
            label = f"{label} since {run.split('|')[0]} (cumulative)"
        out.append(Series(f"{label} — {org}{suffix}", kind, org, lo, hi))
    return rows, out


def series_of(figs: pd.DataFrame) -> list[tuple[str, str, str, pd.DataFrame]]:
    """Split figures into drawable series: (name, kind, publisher, rows)."""
    rows, series = drawn_rows(figs)
    return [(s.name, s.kind, s.publisher, rows.iloc[s.start : s.stop]) for s in series]


CLOSE_EVENTS = 0.025  # share of the time axis a vertical label takes, with a little air


def event_labels(events: pd.DataFrame, first: object, last: object) -> list[dict[str, object]]:
    """One label per run of events too close to tell apart on the axis: (x, text, hovertext).

    A lone event is labelled with its title; a run says how many and when, and its hover
    lists each one with its date, so nothing is written over anything else.
    """
    ordered = events.sort_values("date", kind="stable")
    stamps = [pd.Timestamp(d) for d in ordered["date"]]
    known = [pd.Timestamp(t) for t in (first, last) if t is not None and pd.notna(t)] + stamps
    span = (max(known) - min(known)) if known else pd.Timedelta(0)
    runs: list[list[tuple[pd.Timestamp, str]]] = []
    for stamp, title in zip(stamps, ordered["title"], strict=True):
        if runs and stamp - runs[-1][-1][0] < span * CLOSE_EVENTS:
            runs[-1].append((stamp, str(title)))
        else:
            runs.append([(stamp, str(title))])
    labels = []
    for run in runs:
        listed = "<br>".join(f"{format_date(d)}: {t}" for d, t in run)
        first_day, last_day = format_date(run[0][0]), format_date(run[-1][0])
        when = first_day if first_day == last_day else f"{first_day} to {last_day}"
        text = run[0][1] if len(run) == 1 else f"{len(run)} events, {when}"
        labels.append({"x": run[0][0], "text": text, "hovertext": listed})
    return labels


# Lines of up to this many reports mark each one.
MARKED_POINTS = 60


def timeseries_figure(figs: pd.DataFrame, events: pd.DataFrame) -> go.Figure:
    """Stocks as lines and flows as bars on one time axis, with events as annotations."""
    return go.Figure(timeseries_spec(figs, events))


def timeseries_spec(figs: pd.DataFrame, events: pd.DataFrame) -> dict:
    """`timeseries_figure` as the plain structure the page is sent.

    A national view draws thousands of points in a hundred series: as a plotly Figure they are
    copied and walked element by element on their way to JSON, as plain data with numpy
    columns they go through whole (a third of the time of a filter change, measured).
    """
    rows, series = drawn_rows(figs)
    if not series:
        return empty_spec("No figures for this place and period")
    # Arrays, not lists: a figure is copied and walked element by element on its way to JSON
    # unless its long columns are numpy arrays (text ones included), which go through whole.
    hover = np.array(hover_texts(rows), dtype=str)
    starts = rows["period_start"].to_numpy()
    ends = rows["period_end"].to_numpy()
    values = rows["value"].to_numpy(dtype="float", na_value=float("nan"))
    colours: dict[str, str] = {}
    traces: list[dict] = []
    for one in series:
        colour = colours.setdefault(one.publisher, PALETTE[len(colours) % len(PALETTE)])
        part = slice(one.start, one.stop)
        triangulation = "(triangulation)" in one.name
        trace: dict = {
            "x": ends[part],
            "y": values[part],
            "name": one.name,
            "hovertext": hover[part],
            "hoverinfo": "text",
        }
        if one.breaks:
            # A point with no value between two runs breaks the line there.
            at = np.array(one.breaks) - one.start
            trace |= {
                "x": np.insert(ends[part], at, ends[part][at - 1]),
                "y": np.insert(values[part], at, np.nan),
                "hovertext": np.insert(hover[part], at, ""),
            }
        if one.kind == "flow":
            # A bar spans the period it counts, so overlapping periods are seen to overlap.
            span = ends[part] - starts[part] + np.timedelta64(1, "D")
            trace |= {
                "type": "bar",
                "x": starts[part] + span / 2,
                "width": span / np.timedelta64(1, "ms"),
                "marker": {"color": colour, "opacity": 0.45 if triangulation else 0.75},
            }
        else:
            dash = "dot" if triangulation else ("dash" if one.kind == "cumulative" else "solid")
            shape = "hv" if one.kind == "stock" else "linear"
            trace |= {
                "type": "scatter",
                # A marker per report reads well on a few; on hundreds it is a smear that costs
                # the browser a shape each. The line still shows each report on hover.
                "mode": "lines+markers" if one.stop - one.start <= MARKED_POINTS else "lines",
                "line": {"color": colour, "dash": dash, "shape": shape},
            }
        traces.append(trace)
    # Shapes and annotations go in at once: adding them one by one re-validates the layout
    # each time, which grows with the square of the number of events.
    shapes = [
        {
            "type": "line",
            "x0": event.date,
            "x1": event.date,
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"color": "#888", "width": 1, "dash": "dot"},
        }
        for event in events.itertuples(index=False)
    ]
    # Written along its line; events too close to tell apart share one label.
    ends = rows["period_end"]
    notes = [
        {
            **label,
            "y": 1,
            "yref": "paper",
            "showarrow": False,
            "textangle": -90,
            "xanchor": "right",
            "yanchor": "top",
            "font": {"size": 10, "color": "#444"},
        }
        for label in event_labels(events, ends.min(), ends.max())
    ]
    # Built here from known-good parts, so plotly's per-property validation is not needed.
    return {
        "data": traces,
        "layout": {
            "barmode": "overlay",
            "yaxis": {"tickformat": ",d", "rangemode": "tozero"},
            "shapes": shapes,
            "annotations": notes,
            **_LAYOUT,
        },
    }


def breakdown_figure(rows: pd.DataFrame, place_name: str) -> go.Figure:
    """Child areas as horizontal bars: people displaced and newly displaced."""
    return go.Figure(breakdown_spec(rows, place_name))


def breakdown_spec(rows: pd.DataFrame, place_name: str) -> dict:
    """`breakdown_figure` as the plain structure the page is sent."""
    if rows.empty:
        return empty_spec(f"No figures for the areas within {place_name} in this period")
    rows = rows.sort_values("idps", na_position="first")
    labels = [
        f"{r.name} · {r.name_ar}" if isinstance(r.name_ar, str) else r.name
        for r in rows.itertuples()
    ]
    traces = [
        {
            "type": "bar",
            "y": labels,
            "x": rows[column].astype("float").to_numpy(),
            "orientation": "h",
            "name": label,
            "text": rows[text].tolist(),
            "textposition": "auto",
            "marker": {"color": colour},
            "customdata": rows["pcode"].tolist(),
            "hovertemplate": "%{y}: %{text}<extra>" + label + "</extra>",
        }
        for column, text, label, colour in (
            ("idps", "idps_text", "People displaced (latest)", PALETTE[0]),
            ("new", "new_text", "Newly displaced in range", PALETTE[1]),
        )
    ]
    layout = {
        **_LAYOUT,
        "barmode": "group",
        "xaxis": {"tickformat": ",d"},
        "height": max(260, 60 + 44 * len(rows)),
    }
    return {"data": traces, "layout": layout}


MAX_CAPTION_SOURCES = 4


def caption_text(
    place: str, date_from: object, date_to: object, figs: pd.DataFrame
) -> tuple[str, str]:
    """A chart's title and subtitle: place and dates, then who published the figures drawn."""
    published = figs[figs["publisher"].notna()] if len(figs) else figs
    names = sorted(set(organisations(published).unique())) if len(published) else []
    shown = ", ".join(names[:MAX_CAPTION_SOURCES])
    if len(names) > MAX_CAPTION_SOURCES:
        shown += f" and {len(names) - MAX_CAPTION_SOURCES} more"
    sources = f"Sources: {shown}" if shown else "No published figures"
    return f"{place} · {format_date(date_from)} to {format_date(date_to)}", sources


F = TypeVar("F", go.Figure, dict)


def with_caption(fig: F, title: str, subtitle: str) -> F:
    """The figure titled with its place, dates and sources: a downloaded PNG keeps them.

    A chart with nothing drawn keeps only its message: a title over no data says nothing.
    Takes a plotly Figure or its plain structure (`timeseries_spec`).
    """
    caption = {
        "text": title,
        "subtitle": {"text": subtitle, "font": {"size": 11, "color": "#555"}},
        "x": 0.01,
        "xanchor": "left",
        "font": {"size": 14},
    }
    if isinstance(fig, dict):
        if not fig["data"]:
            return fig
        layout = fig["layout"]
        fig["layout"] = {**layout, "title": caption, "margin": {**layout["margin"], "t": 70}}
        return fig
    if not fig.data:
        return fig
    fig.update_layout(title=caption, margin={"t": 70})
    return fig
