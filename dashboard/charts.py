"""Plotly figures built from frames: the time series and the breakdown (the map is
`map_figure`)."""

import string
import textwrap
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import frame_rows
from dashboard.formatting import (
    METRIC_LABELS,
    format_date,
    format_values,
    hover_texts,
    organisations,
)
from schemas.codes import combined, group_sizes
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


# Characters on a line of a chart's message: a plotly annotation does not wrap by itself, and
# this many fit the narrowest chart (a 360 px phone) at the message's size.
MESSAGE_WIDTH = 34


def wrap_message(message: str, width: int = MESSAGE_WIDTH) -> str:
    """A chart's message broken into lines that fit a phone's chart."""
    return "<br>".join(textwrap.wrap(message, width)) or message


def empty_spec(message: str) -> dict:
    """`empty_figure` as the plain structure the page is sent; the message wraps."""
    return {
        "data": [],
        "layout": {
            **_LAYOUT,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": wrap_message(message),
                    "showarrow": False,
                    "font": {"size": 14},
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
    metric: str = ""
    role: str = "recommended"


# The rows the time series draws, sorted into series (`drawn_rows`), and the series.
Drawn = tuple[pd.DataFrame, list[Series]]


def drawn_rows(figs: pd.DataFrame) -> Drawn:
    """The undisaggregated figures sorted into contiguous series, and the series.

    A run of flows with the same start and later ends is one cumulative series; other flows
    of a publisher are one series of bars; each stock metric of a publisher is one line.
    """
    rows = figs
    if not figs.empty:
        keep = _undisaggregated(figs)
        rows = figs if keep.all() else figs[keep]
    if rows.empty:
        return rows, []
    keys = ["metric", "org", "role", "kind", "run"]
    rows = _series_columns(rows)
    # One sort makes every series a contiguous slice: slicing arrays is cheap, a frame per
    # group is not when a national view has a hundred and more series. Column by column:
    # pandas' group-bys and multi-column sorts cost more than these codes.
    codes = [_sorted_codes(rows[key].to_numpy(dtype=object)) for key in keys]
    ends = rows["period_end"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((ends, *codes[::-1]))
    rows = rows.take(order)
    series = combined(*(code[order] for code in codes))
    bounds = [0, *(np.flatnonzero(np.diff(series)) + 1).tolist(), len(rows)]
    firsts = frame_rows.rows(rows[keys].iloc[bounds[:-1]])
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
        out.append(Series(f"{label} — {org}{suffix}", kind, org, lo, hi, metric=metric, role=role))
    return rows, out


def _series_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with what sorts them into series: `org`, `origin` (none is ""), `kind`
    (stock, flow or cumulative) and a cumulative run's `run` (its start and origin)."""
    org = organisations(rows).to_numpy(dtype=object)
    origin = rows["origin_pcode"].fillna("")
    metric = rows["metric"].to_numpy(dtype=object)
    starts = rows["period_start"]
    # Flows of one publisher, metric and origin that share their start are a cumulative run.
    run_size = group_sizes(
        metric,
        org,
        rows["role"].to_numpy(dtype=object),
        starts.to_numpy(),
        origin.to_numpy(dtype=object),
    )
    flow = np.isin(metric, [m.value for m in FLOW_METRICS])
    kind = np.where(flow, np.where(run_size > 1, "cumulative", "flow"), "stock").astype(object)
    cumulative = kind == "cumulative"
    run = np.full(len(rows), "", dtype=object)
    run[cumulative] = (
        starts[cumulative].dt.strftime("%Y-%m-%d") + "|" + origin[cumulative]
    ).to_numpy(dtype=object)
    return rows.assign(
        org=pd.Series(org, index=rows.index, dtype=object),
        origin=origin,
        kind=pd.Series(kind, index=rows.index, dtype="str"),
        run=pd.Series(run, index=rows.index, dtype="str"),
    )


def _sorted_codes(column: np.ndarray) -> np.ndarray:
    """Each value's rank among the column's distinct values, in sorted order."""
    return pd.factorize(column, sort=True, use_na_sentinel=False)[0]


def series_of(figs: pd.DataFrame) -> list[tuple[str, str, str, pd.DataFrame]]:
    """Split figures into drawable series: (name, kind, publisher, rows)."""
    rows, series = drawn_rows(figs)
    return [(s.name, s.kind, s.publisher, rows.iloc[s.start : s.stop]) for s in series]


# Share of the time axis one event key takes on a phone's chart, with a little air: events
# closer than this share a key, and neighbouring keys alternate between two rows.
CLOSE_EVENTS = 0.025
EVENT_ROWS = 2
EVENT_ROW_PX = 19  # a key is 17 px high at its font size: rows never touch


def event_key(i: int) -> str:
    """The letter that marks the i-th run of events on the chart: A to Z, then AA, AB, ..."""
    letters = string.ascii_uppercase
    return letters[i] if i < len(letters) else event_key(i // len(letters) - 1) + letters[i % 26]


def event_labels(events: pd.DataFrame, first: object, last: object) -> list[dict[str, object]]:
    """One label per run of events too close to tell apart on the axis.

    Each has x, key (the letter on the chart), row (neighbours alternate between rows, so two
    keys on one row are at least 2 × CLOSE_EVENTS of the axis apart and never overlap), when,
    text (a lone event's title, or how many events a run holds), titles (each event with its
    date, for the list under the chart) and hovertext (the same, for the key's hover).
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
    for i, run in enumerate(runs):
        titles = [f"{format_date(d)}: {t}" for d, t in run]
        first_day, last_day = format_date(run[0][0]), format_date(run[-1][0])
        when = first_day if first_day == last_day else f"{first_day} to {last_day}"
        text = run[0][1] if len(run) == 1 else f"{len(run)} events, {when}"
        labels.append(
            {
                "x": run[0][0],
                "key": event_key(i),
                "row": i % EVENT_ROWS,
                "when": when,
                "text": text,
                "titles": titles,
                "hovertext": "<br>".join(titles),
            }
        )
    return labels


# Lines of up to this many reports mark each one.
MARKED_POINTS = 60
# Each stock metric has a line style of its own, each flow metric a bar fill: the colour says
# who published a figure, the panel and the style what it counts.
STOCK_DASH = {"idps": "solid", "population": "dot", "returnees": "dashdot", "refugees": "longdash"}
FLOW_PATTERN = {"new_displacements": "", "returns": "/"}
STOCK_DOMAIN = [0.56, 1.0]
FLOW_DOMAIN = [0.0, 0.44]
HEADROOM = 1.3  # the top panel's height over its highest figure, when events are keyed
DAY_MS = 86_400_000
DATE_TICKS = [
    {"dtickrange": [None, 27 * DAY_MS], "value": "%d %b<br>%Y"},
    {"dtickrange": ["M1", "M11"], "value": "%b<br>%Y"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]
ONLY_TRIANGULATION = (
    "Only triangulation figures for this place and period: "
    "tick “Show triangulation figures” to see them"
)


def drawable(figs: pd.DataFrame, triangulation: bool = False) -> pd.DataFrame:
    """The figures the time series draws: undisaggregated, and recommended unless asked."""
    if figs.empty:
        return figs
    keep = _undisaggregated(figs)
    if not triangulation:
        keep &= (figs["role"] == "recommended").to_numpy(dtype=bool, na_value=False)
    # Most views draw every row they have: a frame taken whole costs a copy of each column.
    return figs if keep.all() else figs[keep]


def _undisaggregated(figs: pd.DataFrame) -> np.ndarray:
    """Which figures count everyone: no sex, no age group."""
    return figs["sex"].isna().to_numpy() & figs["age_group"].isna().to_numpy()


SHORT_PUBLISHER = 24  # characters of a publisher's name a phone's legend row holds


def short_publisher(org: str) -> str:
    """A publisher as the legend names it: "HNAP (UN Humanitarian Needs ...)" is "HNAP", and a
    long name is cut with an ellipsis (the hover and the table name it in full)."""
    name = org.split(" (", 1)[0].strip() or org
    return name if len(name) <= SHORT_PUBLISHER else name[: SHORT_PUBLISHER - 1].rstrip() + "…"


def series_events(
    figs: pd.DataFrame,
    events: pd.DataFrame,
    triangulation: bool = False,
    picked: Drawn | None = None,
) -> list[dict[str, object]]:
    """The runs of events the time series marks, keyed as on the chart; none on an empty one
    (`picked`: `drawn(figs, triangulation)`, when the caller has it)."""
    rows = picked[0] if picked is not None else drawable(figs, triangulation)
    if rows.empty:
        return []
    return event_labels(events, rows["period_end"].min(), rows["period_end"].max())


DASH_WORDS = {"solid": "solid", "dot": "dotted", "dashdot": "dash-dot", "longdash": "long-dash"}


def _lower(metric: str) -> str:
    """A metric's label inside a sentence: "people displaced (IDPs)"."""
    label = METRIC_LABELS.get(metric, metric)
    return label[:1].lower() + label[1:]


def drawn(figs: pd.DataFrame, triangulation: bool = False) -> Drawn:
    """`drawn_rows` of what the time series draws: worked out once per chart, then handed to
    `timeseries_spec` and `style_key` (it is most of their time on a national view)."""
    return drawn_rows(drawable(figs, triangulation))


def style_key(
    figs: pd.DataFrame, triangulation: bool = False, picked: Drawn | None = None
) -> list[str]:
    """What each panel and style of the time series means, for the styles drawn (`picked`:
    `drawn(figs, triangulation)`, when the caller has it)."""
    _rows, series = picked or drawn(figs, triangulation)
    stocks = sorted({s.metric for s in series if s.kind == "stock"}, key=list(STOCK_DASH).index)
    flows = {(s.metric, s.kind) for s in series if s.kind != "stock"}
    lines = []
    if stocks:
        styles = [f"{DASH_WORDS[STOCK_DASH.get(m, 'solid')]} line: {_lower(m)}" for m in stocks]
        lines.append("Top, stocks (people there on a date): " + "; ".join(styles) + ".")
    if flows:
        styles = []
        for metric in FLOW_PATTERN:
            label = _lower(metric)
            fill = "hatched bars" if FLOW_PATTERN[metric] else "bars"
            if (metric, "flow") in flows:
                styles.append(f"{fill}: {label}, each bar as wide as the period it counts")
            if (metric, "cumulative") in flows:
                styles.append(f"dashed line: {label} since a date (cumulative)")
        lines.append("Bottom, flows (people who moved in a period): " + "; ".join(styles) + ".")
    if any(s.role == "triangulation" for s in series):
        lines.append("Faded: triangulation figures, kept for comparison and never counted.")
    lines.append("A single report is a marker with its value; colour says who published it.")
    return lines


def timeseries_figure(
    figs: pd.DataFrame, events: pd.DataFrame, triangulation: bool = False
) -> go.Figure:
    """Stocks as lines over flows as bars, on one time axis, with events keyed by letter."""
    return go.Figure(timeseries_spec(figs, events, triangulation))


def timeseries_spec(
    figs: pd.DataFrame,
    events: pd.DataFrame,
    triangulation: bool = False,
    picked: Drawn | None = None,
) -> dict:
    """`timeseries_figure` as the plain structure the page is sent (`picked`:
    `drawn(figs, triangulation)`, when the caller has it).

    Stocks (millions present) and flows (thousands moving) get a panel each, on one time axis,
    so neither flattens the other. Only recommended figures are drawn unless `triangulation`.
    The legend has an entry per publisher (a click hides or shows all its series); the panel
    and the line style or bar fill say what a series counts (`style_key`).

    A national view draws thousands of points in a hundred series: as a plotly Figure they are
    copied and walked element by element on their way to JSON, as plain data with numpy
    columns they go through whole (a third of the time of a filter change, measured).
    """
    rows, series = picked or drawn(figs, triangulation)
    if not series:
        hidden = not triangulation and not drawable(figs, True).empty
        return empty_spec(ONLY_TRIANGULATION if hidden else "No figures for this place and period")
    # A publisher's legend entry is drawn in the style of its first series: a recommended one.
    series = sorted(series, key=lambda one: one.role != "recommended")
    both = any(s.kind == "stock" for s in series) and any(s.kind != "stock" for s in series)
    # Arrays, not lists: a figure is copied and walked element by element on its way to JSON
    # unless its long columns are numpy arrays (text ones included), which go through whole.
    hover = np.array(hover_texts(rows), dtype=str)
    starts = rows["period_start"].to_numpy()
    ends = rows["period_end"].to_numpy()
    values = rows["value"].to_numpy(dtype="float", na_value=float("nan"))
    # A value as published is written beside a lone report only: not for every point.
    amounts, qualifiers = rows["value"].tolist(), rows["qualifier"].tolist()

    def published(part: slice) -> np.ndarray:
        return np.array(format_values(amounts[part], qualifiers[part]), dtype=str)

    first, last = rows["period_end"].min(), rows["period_end"].max()
    middle = first + (last - first) / 2
    only_triangulation = {
        org
        for org in {s.publisher for s in series}
        if all(s.role == "triangulation" for s in series if s.publisher == org)
    }
    colours: dict[str, str] = {}
    traces: list[dict] = []
    for one in series:
        shown = one.publisher in colours
        colour = colours.setdefault(one.publisher, PALETTE[len(colours) % len(PALETTE)])
        part = slice(one.start, one.stop)
        faded = one.role == "triangulation"
        flow_panel = both and one.kind != "stock"
        label = one.name.split(" — ")[0] + (" (triangulation)" if faded else "")
        legend = short_publisher(one.publisher)
        trace: dict = {
            "x": ends[part],
            "y": values[part],
            "name": one.name
            if shown
            else legend + (" (triangulation)" if one.publisher in only_triangulation else ""),
            "legendgroup": one.publisher,
            "showlegend": not shown,
            "hovertext": hover[part],
            # The box beside the hover says what the series counts; the legend says only who.
            "hovertemplate": "%{hovertext}<extra>" + label + "</extra>",
            "xaxis": "x2" if flow_panel else "x",
            "yaxis": "y2" if flow_panel else "y",
        }
        single = one.stop - one.start == 1
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
            marker: dict = {"color": colour, "opacity": 0.4 if faded else 0.8}
            if FLOW_PATTERN.get(one.metric):
                marker["pattern"] = {"shape": FLOW_PATTERN[one.metric], "solidity": 0.5}
            trace |= {
                "type": "bar",
                "x": starts[part] + span / 2,
                "width": span / np.timedelta64(1, "ms"),
                "marker": marker,
            }
            if single:
                trace |= {"text": published(part), "textposition": "outside"}
        else:
            dash = "dash" if one.kind == "cumulative" else STOCK_DASH.get(one.metric, "solid")
            shape = "hv" if one.kind == "stock" else "linear"
            trace |= {
                "type": "scatter",
                # A marker per report reads well on a few; on hundreds it is a smear that costs
                # the browser a shape each. The line still shows each report on hover.
                "mode": "lines+markers" if one.stop - one.start <= MARKED_POINTS else "lines",
                "line": {"color": colour, "dash": dash, "shape": shape},
                "opacity": 0.5 if faded else 1.0,
            }
            if single:
                # A lone report is no line: a marker, with its value as published beside it.
                late = rows["period_end"].iloc[one.start] > middle
                trace |= {
                    "mode": "markers+text",
                    "text": published(part),
                    "textposition": "middle left" if late else "middle right",
                    "textfont": {"size": 11, "color": colour},
                    "marker": {"size": 10, "color": colour, "line": {"color": "white", "width": 1}},
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
        for event in frame_rows.rows(events)
    ]
    # A letter per run of events, on two alternating rows, so no key covers another; the
    # list under the chart (and the key's hover) says what each one was.
    notes = [
        {
            "x": label["x"],
            "text": label["key"],
            "hovertext": label["hovertext"],
            "y": 1,
            "yref": "paper",
            "yshift": -EVENT_ROW_PX * int(str(label["row"])),
            "showarrow": False,
            "xanchor": "center",
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,0.85)",
            "font": {"size": 11, "color": "#333"},
        }
        for label in event_labels(events, first, last)
    ]
    # Dates on two short lines, not one long one: a phone's axis keeps its ticks level.
    dates = {"nticks": 7, "tickformatstops": DATE_TICKS}
    axis = {"tickformat": "~s", "rangemode": "tozero", "nticks": 5, "automargin": True}
    title_font = {"size": 11, "color": "#555"}
    stocks_title = {"text": "Stocks", "font": title_font}
    flows_title = {"text": "Flows", "font": title_font}
    if both:
        axes = {
            "xaxis": {**dates, "anchor": "y", "matches": "x2", "showticklabels": False},
            "yaxis": {**axis, "domain": STOCK_DOMAIN, "title": stocks_title},
            "xaxis2": {**dates, "anchor": "y2"},
            "yaxis2": {**axis, "domain": FLOW_DOMAIN, "anchor": "x2", "title": flows_title},
        }
    else:
        alone = stocks_title if series[0].kind == "stock" else flows_title
        axes = {"xaxis": dates, "yaxis": {**axis, "title": alone}}
    # Room above the top panel's highest figure for the event keys, so none covers a label.
    top = [np.nanmax(t["y"]) for t in traces if t["yaxis"] == "y" and not np.isnan(t["y"]).all()]
    if notes and top and max(top) > 0:
        axes["yaxis"] = {**axes["yaxis"], "range": [0, max(top) * HEADROOM]}
    # Built here from known-good parts, so plotly's per-property validation is not needed.
    return {
        "data": traces,
        "layout": {
            **_LAYOUT,
            "barmode": "overlay",
            **axes,
            "shapes": shapes,
            "annotations": notes,
            "margin": {"l": 50, "r": 16, "t": 40, "b": 30},
            # Below the chart, so on a phone it takes rows, not the plot's width.
            "legend": {
                "orientation": "h",
                "x": 0,
                # Clear of the dates on two lines under the axis, however short the chart.
                "y": -0.18,
                "yanchor": "top",
                "title": {"text": "Published by", "side": "top"},
            },
        },
    }


def share_text(share: object) -> str:
    """A child place's share of its population displaced, as the breakdown's hover says it."""
    if share is None or pd.isna(share):
        return "share of population displaced: no population figure"
    return f"share of population displaced: {float(share):.0%}"


def breakdown_figure(rows: pd.DataFrame, place_name: str) -> go.Figure:
    """Child areas as horizontal bars: people displaced and newly displaced."""
    return go.Figure(breakdown_spec(rows, place_name))


def breakdown_spec(rows: pd.DataFrame, place_name: str) -> dict:
    """`breakdown_figure` as the plain structure the page is sent.

    The bars keep the order of `rows` (`rules.sort_breakdown` orders them by the measure the
    reader chose), the first at the bottom: sorted ascending, the largest is on top.
    """
    if rows.empty:
        return empty_spec(f"No figures for the areas within {place_name} in this period")
    labels = [
        f"{r.name} · {r.name_ar}" if isinstance(r.name_ar, str) else r.name
        for r in frame_rows.rows(rows)
    ]
    shares = [share_text(v) for v in rows["share"]]
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
            # The share is said on hover: sorted by it, the reader can see why.
            "hovertext": shares,
            "hovertemplate": "%{y}: %{text}<br>%{hovertext}<extra>" + label + "</extra>",
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
        # Room for the longest name beside its bar, as wide as it needs.
        "yaxis": {"automargin": True},
        "height": max(260, 60 + 44 * len(rows)),
    }
    return {"data": traces, "layout": layout}


MAX_CAPTION_SOURCES = 4


def caption_text(
    place: str, date_from: object, date_to: object, figs: pd.DataFrame
) -> tuple[str, str]:
    """A chart's title and subtitle: place and dates, then who published the figures drawn."""
    published = figs[figs["publisher"].notna()] if len(figs) else figs
    # Short names ("HNAP", not its name in full): the caption must fit a phone's chart.
    orgs = organisations(published) if len(published) else []
    names = sorted({short_publisher(o) for o in set(map(str, orgs))})  # each publisher once
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
