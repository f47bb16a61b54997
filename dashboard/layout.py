"""The page: filters, headline cards, charts, the figures table and the download button."""

import pandas as pd
from dash import dash_table, dcc, html

from dashboard import frame_rows, ids
from dashboard.briefing import page as briefing_page
from dashboard.data import Reference
from dashboard.formatting import format_date
from dashboard.headline import Card
from dashboard.map_figure import DEFAULT_MEASURE, MEASURES
from dashboard.place_tree import menu_places

DEFAULT_SORT = "idps"
SORTS = [("idps", "people displaced"), ("new", "newly displaced"), ("share", "share of population")]
PAGE_SIZE = 25
# What a reader needs first comes first (on a phone the rest is a sideways scroll away): where,
# what it counts, the number as published, when, and who says so.
TABLE_COLUMNS = [
    {"id": "place", "name": "Place"},
    {"id": "metric", "name": "Metric"},
    {"id": "value", "name": "Value"},
    {"id": "period", "name": "Period / as of"},
    {"id": "publisher", "name": "Published by"},
    {"id": "link", "name": "Source", "presentation": "markdown"},
    {"id": "origin", "name": "From"},
    {"id": "who", "name": "Who"},
    {"id": "role", "name": "Role"},
    {"id": "pcode", "name": "P-code"},
]
# A number is never broken over lines; a period breaks between its two dates, not inside one.
TABLE_CELL_WIDTHS = [
    {"if": {"column_id": "value"}, "whiteSpace": "nowrap", "minWidth": "80px"},
    {"if": {"column_id": "period"}, "minWidth": "96px"},
    {"if": {"column_id": "publisher"}, "minWidth": "200px"},
    {"if": {"column_id": "place"}, "minWidth": "90px"},
    {"if": {"column_id": "metric"}, "minWidth": "90px"},
]


TRIANGULATION_LABEL = "Show triangulation figures"


def series_notes(key: list[str], events: list[dict[str, object]]) -> list:
    """Under the time series: what its styles mean, and each lettered event in full."""
    notes: list = [html.P(line, className="series-key") for line in key]
    if events:
        items = [
            html.Li(
                [html.Strong(str(e["key"]), className="event-key"), " ", "; ".join(e["titles"])]
            )
            for e in events  # type: ignore[union-attr]
        ]
        notes.append(html.Ul(items, className="event-list", **{"aria-label": "Events"}))
    return notes


def place_label(row: pd.Series) -> str:
    """ "Name · الاسم" for a place."""
    arabic = row.get("name_ar")
    return f"{row['name']} · {arabic}" if isinstance(arabic, str) and arabic else str(row["name"])


def place_options(ref: Reference) -> list[dict[str, str]]:
    """The country, its governorates and the response areas."""
    top = menu_places(ref.places)
    order = top.assign(rank=top["admin_level"].fillna(9), area=top["kind"] == "area").sort_values(
        ["area", "rank", "name"]
    )
    return [
        {
            "label": ("Area: " if row["kind"] == "area" else "") + place_label(row),
            "value": row["pcode"],
        }
        for _, row in order.iterrows()
    ]


def district_options(ref: Reference, place: str, district: str | None) -> list[dict[str, str]]:
    """Districts of a governorate, and the sub-districts of the chosen district."""
    places = ref.places
    districts = places[places["parent_pcode"] == place].sort_values("name")
    options = []
    for _, row in districts.iterrows():
        options.append({"label": place_label(row), "value": row["pcode"]})
        if district and district.startswith(row["pcode"]):
            subs = places[places["parent_pcode"] == row["pcode"]].sort_values("name")
            options += [
                {"label": "— " + place_label(s), "value": s["pcode"]} for _, s in subs.iterrows()
            ]
    return options


def card(c: Card) -> html.Div:
    """One headline card: the number as published, its date and its source."""
    source = (
        html.A(c.source or "source", href=c.source_url, target="_blank", rel="noopener noreferrer")
        if c.source_url
        else html.Span(c.source or "")
    )
    return html.Div(
        [
            html.Div(c.label, className="card-label"),
            html.Div(c.text, className="card-value", id=ids.card_value(c.key)),
            html.Div(c.detail, className="card-detail"),
            html.Div(source, className="card-source"),
        ],
        className="card",
        id=ids.card(c.key),
        title=f"{c.label}: {c.text}, {c.detail}" + (f", {c.source}" if c.source else ""),
    )


def freshness_line(loads: pd.DataFrame) -> str:
    """ "hxl loaded 2026-11-25 06:25 UTC" for each source."""
    if loads.empty:
        return "No data loaded yet: run `python -m etl refresh`."
    parts = []
    for row in frame_rows.rows(loads):
        loaded = (
            pd.Timestamp(row.last_loaded).strftime("%Y-%m-%d %H:%M UTC")
            if row.last_loaded is not None and not pd.isna(row.last_loaded)
            else "never"
        )
        parts.append(f"{row.source}: last loaded {loaded}")
    return "Data: " + "; ".join(parts)


def graph_config(name: str) -> dict:
    """Chart options: PNG download named for the chart, no plotly logo, nothing sent anywhere.

    plotly.js 4 adds a "Share chart" button that uploads the figure to Plotly Cloud; a
    self-hosted dashboard of humanitarian figures must not offer that.
    """
    return {
        "displaylogo": False,
        "showSendToCloud": False,
        "toImageButtonOptions": {"format": "png", "filename": f"displacement-{name}", "scale": 2},
    }


def map_panel() -> html.Div:
    """The map with the measure it is coloured by chosen beside it: one pressed button."""
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Colour the map by", id=ids.MAP_MEASURE_LABEL),
                    *[
                        html.Button(
                            label,
                            id=ids.measure_button(key),
                            className="toggle",
                            n_clicks=0,
                            **{"aria-pressed": "true" if key == DEFAULT_MEASURE else "false"},
                        )
                        for key, (label, _) in MEASURES.items()
                    ],
                    dcc.Store(id=ids.MAP_MEASURE, data=DEFAULT_MEASURE),
                ],
                className="map-measure",
                role="group",
                **{"aria-labelledby": ids.MAP_MEASURE_LABEL},
            ),
            dcc.Loading(dcc.Graph(id=ids.MAP, config=graph_config("map"))),
        ],
        className="map-panel",
    )


def breadcrumb(trail: list[tuple[str, str]]) -> list:
    """Links from the country down to the selection; the last is the current place."""
    items: list = []
    for i, (pcode, name) in enumerate(trail):
        if i:
            items.append(html.Span(" › ", **{"aria-hidden": "true"}))
        if i == len(trail) - 1:
            items.append(html.Span(name, **{"aria-current": "page"}))
        else:
            items.append(dcc.Link(name, href=f"/?place={pcode}", id=ids.crumb(pcode)))
    return items


def banners(messages: list[str]) -> list:
    """One warning line per message."""
    return [html.P(m, className="banner") for m in messages]


def quality(flags: list[str]) -> list:
    """Figures that cannot all be right, said plainly."""
    return [html.P("⚠ " + f, className="flag") for f in flags]


def disagreement_table(rows: pd.DataFrame) -> html.Div | dash_table.DataTable:
    """Side by side: what each publisher says for the same place, metric and period."""
    if rows.empty:
        return html.P("No disagreement above the threshold for these places and dates.")
    data = frame_rows.records(rows.assign(spread=rows["spread"].map(lambda v: f"{v:.0%}")))
    return dash_table.DataTable(
        id=ids.DISAGREEMENTS_TABLE,
        columns=[
            {"id": "place", "name": "Place"},
            {"id": "metric", "name": "Metric"},
            {"id": "period", "name": "Period / as of"},
            {"id": "values", "name": "What each publisher says"},
            {"id": "spread", "name": "Spread"},
        ],
        data=data,
        style_cell={
            "textAlign": "left",
            "whiteSpace": "normal",
            "height": "auto",
            "fontFamily": "inherit",
        },
    )


def sources_panel(loads: pd.DataFrame) -> html.Ul | html.P:
    """Each source with its last successful refresh and last failure."""
    if loads.empty:
        return html.P("No source loaded yet.")

    def when(value: object) -> str:
        return (
            pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")
            if value is not None and not pd.isna(value)
            else "never"
        )

    return html.Ul(
        [
            html.Li(
                [
                    html.Strong(row.source),
                    f": last loaded {when(row.last_loaded)}; last failure {when(row.last_failed)}",
                ]
            )
            for row in frame_rows.rows(loads)
        ]
    )


def page(ref: Reference, loads: pd.DataFrame) -> html.Div:
    """The whole page, its filters on the landing view (`Reference.default_view`)."""
    return html.Div(
        [
            *_frame(),
            _header(),
            _filters(ref),
            *_picture(),
            *_over_time(),
            *_within(),
            *_disagreements(),
            *_figures(),
            *_sources(loads),
        ],
        className="page",
    )


def _frame() -> list:
    """What the page runs on: the URL it keeps in step, the retry timer, the banners."""
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Interval(id=ids.HEARTBEAT, interval=10_000, disabled=True),
        html.Div(id=ids.BANNERS, className="banners", role="alert"),
    ]


def _header() -> html.Header:
    """The title and the promise every number on the page keeps."""
    return html.Header(
        [
            html.H1("Displacement dashboard"),
            html.P(
                "Figures as published, each with its source, date and qualifier. "
                "Stocks and flows are never added together; sources are never summed.",
                className="lede",
            ),
        ]
    )


def _filter(label: str, control_id: str, control: object) -> html.Div:
    return html.Div([html.Label(label, htmlFor=control_id), control], className="filter")


def _filters(ref: Reference) -> html.Section:
    """Place, district and dates, set to the landing view."""
    landing = ref.default_view
    return html.Section(
        [
            _filter(
                "Governorate or area",
                ids.PLACE,
                dcc.Dropdown(
                    id=ids.PLACE, options=place_options(ref), value=landing.place, clearable=False
                ),
            ),
            _filter(
                "District",
                ids.DISTRICT,
                dcc.Dropdown(id=ids.DISTRICT, options=[], placeholder="All"),
            ),
            _filter(
                "Dates",
                ids.DATES,
                dcc.DatePickerRange(
                    id=ids.DATES,
                    start_date=format_date(landing.date_from) if landing.date_from else None,
                    end_date=format_date(landing.date_to) if landing.date_to else None,
                    display_format="YYYY-MM-DD",
                ),
            ),
        ],
        className="filters",
        **{"aria-label": "Filters"},
    )


def _picture() -> list:
    """Where the view is, its headline cards and what cannot all be right."""
    return [
        html.Nav(id=ids.BREADCRUMB, className="breadcrumb", **{"aria-label": "Breadcrumb"}),
        html.H2(id=ids.PLACE_HEADING),
        dcc.Loading(html.Div(id=ids.CARDS, className="cards")),
        html.Div(id=ids.QUALITY, className="quality", role="status"),
    ]


def _over_time() -> list:
    """The time series, its triangulation toggle and the notes under it."""
    return [
        html.Div(
            [
                html.H2("Over time"),
                # A toggle like the sort buttons: pressed, the figures kept for comparison
                # are drawn too.
                html.Button(
                    TRIANGULATION_LABEL,
                    id=ids.SERIES_TRIANGULATION,
                    className="toggle series-toggle",
                    n_clicks=0,
                    title="Figures kept for comparison: drawn faded, never counted",
                    **{"aria-pressed": "false"},
                ),
            ],
            className="section-head",
        ),
        dcc.Loading(
            dcc.Graph(
                id=ids.SERIES,
                config=graph_config("time-series"),
                # Two panels and a legend under them: taller than a chart's default. Set
                # here, not in the figure, so the print view can redraw it for paper.
                style={"height": "540px"},
            )
        ),
        html.Div(id=ids.SERIES_NOTES, className="series-notes"),
    ]


def _within() -> list:
    """The place's parts: the bars with their sort buttons, and the map."""
    return [
        html.Div(
            [
                html.H2(id=ids.BREAKDOWN_HEADING),
                html.Div(
                    [
                        html.Span("Sort by", id=ids.BREAKDOWN_SORT_LABEL),
                        *[
                            html.Button(
                                label,
                                id=ids.sort_button(key),
                                className="toggle",
                                n_clicks=0,
                                **{"aria-pressed": "true" if key == DEFAULT_SORT else "false"},
                            )
                            for key, label in SORTS
                        ],
                        dcc.Store(id=ids.BREAKDOWN_SORT, data=DEFAULT_SORT),
                    ],
                    className="sort",
                    role="group",
                    **{"aria-labelledby": ids.BREAKDOWN_SORT_LABEL},
                ),
            ],
            className="section-head",
        ),
        html.Div(
            [
                dcc.Loading(dcc.Graph(id=ids.BREAKDOWN, config=graph_config("breakdown"))),
                map_panel(),
            ],
            className="two-up",
        ),
    ]


def _disagreements() -> list:
    """Where publishers disagree."""
    return [
        html.H2("Where publishers disagree"),
        html.Div(id=ids.DISAGREEMENTS, className="disagreements"),
    ]


def _downloads() -> html.Div:
    """The CSV downloads and the briefing pack's buttons."""
    return html.Div(
        [
            html.Button("Download CSV", id=ids.DOWNLOAD_CSV, className="button"),
            html.Button("CSV for Excel", id=ids.DOWNLOAD_EXCEL, className="button secondary"),
            html.Button("About this export", id=ids.DOWNLOAD_ABOUT, className="button secondary"),
            briefing_page.control(),
        ],
        className="downloads",
    )


def _figures() -> list:
    """The figures behind the view, paged, sorted and filtered on the server."""
    return [
        html.Div(
            [
                html.H2("Figures and their sources"),
                html.Span(id=ids.FIGURES_COUNT, className="count", **{"aria-live": "polite"}),
                html.Span(id=ids.TABLE_MESSAGE, className="count", role="status"),
                _downloads(),
                dcc.Download(id=ids.DOWNLOAD),
            ],
            className="table-head",
        ),
        dash_table.DataTable(
            id=ids.TABLE,
            columns=TABLE_COLUMNS,
            data=[],
            # Paged and sorted on the server: a country view can hold a million figures.
            page_action="custom",
            page_current=0,
            page_size=PAGE_SIZE,
            page_count=1,
            sort_action="custom",
            sort_mode="single",
            sort_by=[],
            # Filtered on the server too: the filter row's text is parsed, never evaluated.
            filter_action="custom",
            filter_query="",
            filter_options={"case": "insensitive"},
            markdown_options={"link_target": "_blank"},
            style_cell={
                "textAlign": "left",
                "whiteSpace": "normal",
                "height": "auto",
                "fontFamily": "inherit",
            },
            style_cell_conditional=TABLE_CELL_WIDTHS,
            # The table scrolls in a box of its own: the page never scrolls sideways.
            style_table={"overflowX": "auto", "maxWidth": "100%"},
        ),
    ]


def _sources(loads: pd.DataFrame) -> list:
    """Each source's freshness, at the foot of the page."""
    return [
        html.H2("Sources and freshness", id=ids.SOURCES_HEADING),
        html.Div(sources_panel(loads), id=ids.SOURCES_PANEL),
        html.Footer(freshness_line(loads), id=ids.FRESHNESS),
    ]
