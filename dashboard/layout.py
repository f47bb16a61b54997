"""The page: filters, headline cards, charts, the figures table and the download button."""

import pandas as pd
from dash import dash_table, dcc, html

from dashboard.data import Reference
from dashboard.formatting import format_date
from dashboard.map_figure import DEFAULT_MEASURE, MEASURES
from dashboard.views import Card, menu_places

SORTS = [("idps", "people displaced"), ("new", "newly displaced"), ("share", "share of population")]
PAGE_SIZE = 25
TABLE_COLUMNS = [
    {"id": "period", "name": "Period / as of"},
    {"id": "place", "name": "Place"},
    {"id": "pcode", "name": "P-code"},
    {"id": "origin", "name": "From"},
    {"id": "who", "name": "Who"},
    {"id": "metric", "name": "Metric"},
    {"id": "value", "name": "Value"},
    {"id": "role", "name": "Role"},
    {"id": "publisher", "name": "Published by"},
    {"id": "link", "name": "Source", "presentation": "markdown"},
]


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
            html.Div(c.text, className="card-value", id=f"card-{c.key}-value"),
            html.Div(c.detail, className="card-detail"),
            html.Div(source, className="card-source"),
        ],
        className="card",
        id=f"card-{c.key}",
        title=f"{c.label}: {c.text}, {c.detail}" + (f", {c.source}" if c.source else ""),
    )


def freshness_line(loads: pd.DataFrame) -> str:
    """ "hxl loaded 2026-11-25 06:25 UTC" for each source."""
    if loads.empty:
        return "No data loaded yet: run `python -m etl refresh`."
    parts = []
    for row in loads.itertuples(index=False):
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
                    html.Span("Colour the map by", id="map-measure-label"),
                    *[
                        html.Button(
                            label,
                            id=f"measure-{key}",
                            className="toggle",
                            n_clicks=0,
                            **{"aria-pressed": "true" if key == DEFAULT_MEASURE else "false"},
                        )
                        for key, (label, _) in MEASURES.items()
                    ],
                    dcc.Store(id="map-measure", data=DEFAULT_MEASURE),
                ],
                className="map-measure",
                role="group",
                **{"aria-labelledby": "map-measure-label"},
            ),
            dcc.Loading(dcc.Graph(id="map", config=graph_config("map"))),
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
            items.append(dcc.Link(name, href=f"/?place={pcode}", id=f"crumb-{pcode}"))
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
    data = rows.assign(spread=rows["spread"].map(lambda v: f"{v:.0%}")).to_dict("records")
    return dash_table.DataTable(
        id="disagreements-table",
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
            for row in loads.itertuples(index=False)
        ]
    )


def page(ref: Reference, loads: pd.DataFrame) -> html.Div:
    """The whole page, its filters on the landing view (`Reference.default_view`)."""
    landing = ref.default_view
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Interval(id="heartbeat", interval=10_000, disabled=True),
            html.Div(id="banners", className="banners", role="alert"),
            html.Header(
                [
                    html.H1("Displacement dashboard"),
                    html.P(
                        "Figures as published, each with its source, date and qualifier. "
                        "Stocks and flows are never added together; sources are never summed.",
                        className="lede",
                    ),
                ]
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.Label("Governorate or area", htmlFor="filter-place"),
                            dcc.Dropdown(
                                id="filter-place",
                                options=place_options(ref),
                                value=ref.default_view.place,
                                clearable=False,
                            ),
                        ],
                        className="filter",
                    ),
                    html.Div(
                        [
                            html.Label("District", htmlFor="filter-district"),
                            dcc.Dropdown(id="filter-district", options=[], placeholder="All"),
                        ],
                        className="filter",
                    ),
                    html.Div(
                        [
                            html.Label("Dates", htmlFor="filter-dates"),
                            dcc.DatePickerRange(
                                id="filter-dates",
                                start_date=format_date(landing.date_from)
                                if landing.date_from
                                else None,
                                end_date=format_date(landing.date_to) if landing.date_to else None,
                                display_format="YYYY-MM-DD",
                            ),
                        ],
                        className="filter",
                    ),
                ],
                className="filters",
                **{"aria-label": "Filters"},
            ),
            html.Nav(id="breadcrumb", className="breadcrumb", **{"aria-label": "Breadcrumb"}),
            html.H2(id="place-heading"),
            dcc.Loading(html.Div(id="cards", className="cards")),
            html.Div(id="quality", className="quality", role="status"),
            html.H2("Over time"),
            dcc.Loading(dcc.Graph(id="timeseries", config=graph_config("time-series"))),
            html.Div(
                [
                    html.H2(id="breakdown-heading"),
                    html.Div(
                        [
                            html.Span("Sort by", id="breakdown-sort-label"),
                            *[
                                html.Button(
                                    label,
                                    id=f"sort-{key}",
                                    className="toggle",
                                    n_clicks=0,
                                    **{"aria-pressed": "true" if key == "idps" else "false"},
                                )
                                for key, label in SORTS
                            ],
                            dcc.Store(id="breakdown-sort", data="idps"),
                        ],
                        className="sort",
                        role="group",
                        **{"aria-labelledby": "breakdown-sort-label"},
                    ),
                ],
                className="section-head",
            ),
            html.Div(
                [
                    dcc.Loading(dcc.Graph(id="breakdown", config=graph_config("breakdown"))),
                    map_panel(),
                ],
                className="two-up",
            ),
            html.H2("Where publishers disagree"),
            html.Div(id="disagreements", className="disagreements"),
            html.Div(
                [
                    html.H2("Figures and their sources"),
                    html.Span(id="figures-count", className="count", **{"aria-live": "polite"}),
                    html.Span(id="table-message", className="count", role="status"),
                    html.Div(
                        [
                            html.Button("Download CSV", id="download-button", className="button"),
                            html.Button(
                                "CSV for Excel", id="download-excel", className="button secondary"
                            ),
                            html.Button(
                                "About this export",
                                id="download-about",
                                className="button secondary",
                            ),
                        ],
                        className="downloads",
                    ),
                    dcc.Download(id="download"),
                ],
                className="table-head",
            ),
            dash_table.DataTable(
                id="figures-table",
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
                style_table={"overflowX": "auto"},
            ),
            html.H2("Sources and freshness", id="sources-heading"),
            html.Div(sources_panel(loads), id="sources-panel"),
            html.Footer(freshness_line(loads), id="freshness"),
        ],
        className="page",
    )
