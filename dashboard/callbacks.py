"""Callbacks: a few lines each over the pure functions of views, charts and state."""

import datetime as dt
from collections.abc import Callable

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, no_update
from flask_caching import Cache

from dashboard import boundaries, charts, data, layout, map_figure, table_filter, views
from dashboard.cache import cached
from dashboard.settings import DashboardSettings
from dashboard.state import ViewState, decode_state, encode_state
from etl.export import to_csv
from etl.store import Store, StoreError
from schemas.pcodes import ancestor_at


def _date(value: object) -> dt.date | None:
    """A date from a callback argument; anything else (forged, malformed) is no date."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _state(place: object, district: object, start: object, end: object) -> ViewState:
    """The view a callback was asked for; only text reaches the store, as a bound value."""
    return ViewState(
        place if isinstance(place, str) and place else "SY",
        district if isinstance(district, str) and district else None,
        _date(start),
        _date(end),
    )


UNAVAILABLE = "Data temporarily unavailable: the page will retry by itself."


def exported(figs: pd.DataFrame, query: object) -> tuple[pd.DataFrame, str]:
    """The figures an export holds under the table's filter, and the filter applied.

    A filter the table could not apply is not applied to the export either: the export holds
    what the table shows.
    """
    try:
        conditions = table_filter.parse_filter(query)
        return table_filter.apply_filter(figs, conditions), str(query) if conditions else ""
    except table_filter.FilterError:
        return figs, ""


def drill_target(ref: data.Reference, pcode: str) -> tuple[str, str | None] | None:
    """Where a click on a child place leads: (place, district), or None to stay."""
    rows = ref.places[ref.places["pcode"] == pcode]
    if rows.empty:
        return None
    level = rows.iloc[0]["admin_level"]
    if pd.isna(level) or level <= 1:
        return pcode, None
    # Digits per level differ by country (Nigeria NG008, NG008003): the P-code rules know.
    governorate = ancestor_at(pcode, 1) or pcode[:4]
    return governorate, pcode


def register(
    app: Dash, store: Store, settings: DashboardSettings, cache: Cache
) -> Callable[[], None]:
    """Wire the page's callbacks to the store, through the query cache.

    Returns `warm_up`: draws the first view visitors see (each country over every date) once,
    so its figures are in the cache and every code path is loaded before the first visitor.
    """

    def reference() -> data.Reference:
        return cached(cache, store, "reference", lambda: data.reference(store))

    threshold = settings.disagreement_threshold

    def place_figures(pcode: str, below: list[str]) -> data.PlaceFigures:
        # A place's figures serve all its date ranges: a new range is cut in memory.
        return cached(
            cache, store, f"place|{pcode}", lambda: data.place_figures(store, pcode, below)
        )

    def view(s: ViewState) -> data.View:
        return cached(
            cache,
            store,
            f"view|{s}",
            lambda: data.view(store, reference(), s, threshold, place_figures),
        )

    def figures(s: ViewState) -> pd.DataFrame:
        return cached(cache, store, f"figures|{s}", lambda: data.figures(store, reference(), s))

    @app.callback(
        Output("url", "search"),
        Output("filter-place", "value"),
        Output("filter-district", "value"),
        Output("filter-district", "options"),
        Output("filter-dates", "start_date"),
        Output("filter-dates", "end_date"),
        Input("url", "search"),
        Input("filter-place", "value"),
        Input("filter-district", "value"),
        Input("filter-dates", "start_date"),
        Input("filter-dates", "end_date"),
        Input("breakdown", "clickData"),
        Input("map", "clickData"),
    )
    def sync_state(search, place, district, start, end, click, map_click):
        """Keep the filters and the URL in step; a click on a bar drills in."""
        try:
            ref = reference()
        except StoreError:
            # Carry on with an empty gazetteer: `render` then says the data is unavailable.
            ref, _ = data.page_data_unavailable()
        trigger = ctx.triggered_id
        if trigger == "url" or trigger is None:
            s = decode_state(search, ref.known, ref.default_view)
            return (
                no_update,
                s.place,
                s.district,
                layout.district_options(ref, s.place, s.district),
                s.date_from.isoformat() if s.date_from else None,
                s.date_to.isoformat() if s.date_to else None,
            )
        clicked = click if trigger == "breakdown" else map_click if trigger == "map" else None
        if clicked and clicked.get("points"):
            target = drill_target(ref, str(clicked["points"][0].get("customdata", "")))
            if target:
                place, district = target
        if trigger == "filter-place":
            district = None
        s = _state(place, district, start, end)
        return (
            encode_state(s),
            s.place,
            s.district,
            layout.district_options(ref, s.place, s.district),
            no_update,
            no_update,
        )

    @app.callback(
        Output("place-heading", "children"),
        Output("breadcrumb", "children"),
        Output("banners", "children"),
        Output("cards", "children"),
        Output("quality", "children"),
        Output("breakdown-heading", "children"),
        Output("breakdown", "figure"),
        Output("disagreements", "children"),
        Output("figures-count", "children"),
        Output("heartbeat", "disabled"),
        Input("filter-place", "value"),
        Input("filter-district", "value"),
        Input("filter-dates", "start_date"),
        Input("filter-dates", "end_date"),
        Input("breakdown-sort", "data"),
        Input("heartbeat", "n_intervals"),
        # `sync_state` sets the filters from the URL first; drawing before it would draw twice.
        prevent_initial_call=True,
    )
    def render(place, district, start, end, sort_by, _beat):
        """Draw the cards, bars and tables of the chosen place and dates."""
        try:
            return (*draw(_state(place, district, start, end), sort_by), True)
        except StoreError:
            blank = charts.empty_figure(UNAVAILABLE)
            unavailable = layout.banners([UNAVAILABLE])
            return ("–", [], unavailable, [], [], "", blank, [], "", False)

    @app.callback(
        Output("timeseries", "figure"),
        Input("filter-place", "value"),
        Input("filter-district", "value"),
        Input("filter-dates", "start_date"),
        Input("filter-dates", "end_date"),
        Input("heartbeat", "n_intervals"),
        prevent_initial_call=True,
    )
    def render_series(place, district, start, end, _beat):
        """Draw the time series of the chosen place and dates.

        A callback of its own: its thousands of points take longest to send and to draw, and
        the cards, bars and map need not wait for them.
        """
        try:
            return draw_series(_state(place, district, start, end))
        except StoreError:
            return charts.empty_figure(UNAVAILABLE)

    @app.callback(
        Output("map", "figure"),
        Input("filter-place", "value"),
        Input("filter-district", "value"),
        Input("filter-dates", "start_date"),
        Input("filter-dates", "end_date"),
        Input("map-measure", "data"),
        Input("heartbeat", "n_intervals"),
        prevent_initial_call=True,
    )
    def render_map(place, district, start, end, measure, _beat):
        """Draw the map of the chosen place and dates, coloured by the chosen measure."""
        try:
            return draw_map(_state(place, district, start, end), measure)
        except StoreError:
            return charts.empty_figure(UNAVAILABLE)

    def draw_map(s: ViewState, measure: object) -> dict:
        """The map `render_map` shows: only the shapes of the view's parts are sent."""
        v = view(s)
        below = data.within(v)
        kids = views.breakdown(below, v.kids, s.date_from, s.date_to)
        shapes = boundaries.load(settings.boundaries)
        spec = map_figure.map_view(
            reference().places, v.place, v.kids, kids, v.moves, shapes, measure
        )
        drawn = pd.concat([below, v.moves], ignore_index=True)
        caption = charts.caption_text(f"Within {v.place['name']}", s.date_from, s.date_to, drawn)
        return charts.with_caption(spec, *caption)

    def draw_series(s: ViewState) -> dict:
        """The time series `render_series` shows, from the store through the cache."""
        line = data.timeline(store, reference(), s, place_figures)
        own_shown = data.shown(line.own, s.date_from)
        place = str(line.place["name"])
        # A chart downloaded as PNG for a briefing still says where, when and whose numbers.
        caption = charts.caption_text(place, s.date_from, s.date_to, own_shown)
        return charts.with_caption(charts.timeseries_spec(own_shown, line.events), *caption)

    def draw(s: ViewState, sort_by: object) -> tuple:
        """Everything `render` shows, from the store through the cache."""
        ref = reference()
        v = view(s)
        name = layout.place_label(v.place)
        cards = [layout.card(c) for c in data.cards(v, s)]
        below = data.within(v)
        kids = views.breakdown(below, v.kids, s.date_from, s.date_to)
        loads = data.freshness(store)
        stale = dt.timedelta(days=settings.stale_after_days)
        place = str(v.place["name"])
        flags = views.quality_flags(v.own, v.stocks, v.kids, place, s.date_to)
        inside = f"Within {place}"
        bars_caption = charts.caption_text(inside, s.date_from, s.date_to, below)
        return (
            name,
            layout.breadcrumb(views.breadcrumb(ref.places, str(v.place["pcode"]))),
            layout.banners(views.freshness_banners(loads, dt.datetime.now(dt.UTC), stale)),
            cards,
            layout.quality(flags),
            inside,
            charts.with_caption(
                charts.breakdown_spec(views.sort_breakdown(kids, str(sort_by)), place),
                *bars_caption,
            ),
            layout.disagreement_table(views.disagreements(v.disputed, threshold)),
            f"{v.count:,} figure{'s' if v.count != 1 else ''}",
        )

    @app.callback(
        Output("figures-table", "data"),
        Output("figures-table", "page_count"),
        Output("figures-table", "page_current"),
        Output("table-message", "children"),
        Input("filter-place", "value"),
        Input("filter-district", "value"),
        Input("filter-dates", "start_date"),
        Input("filter-dates", "end_date"),
        Input("figures-table", "page_current"),
        Input("figures-table", "sort_by"),
        Input("figures-table", "filter_query"),
        Input("heartbeat", "n_intervals"),
        prevent_initial_call=True,
    )
    def table(place, district, start, end, page, sort_by, query, _beat):
        """One page of the figures behind the view, filtered and sorted on the server."""
        s = _state(place, district, start, end)
        # A new view, order or filter starts at page one; only paging moves between pages.
        if "figures-table.page_current" not in ctx.triggered_prop_ids:
            page = 0
        message = ""
        try:
            conditions = table_filter.parse_filter(query)
        except table_filter.FilterError as exc:
            conditions, message = [], f"Filter not applied: {exc}."
        size = layout.PAGE_SIZE
        try:
            if conditions:
                # A filter reads displayed text (periods, labels, publishers): the view's
                # figures are filtered as a frame.
                try:
                    shown = table_filter.apply_filter(figures(s), conditions)
                except table_filter.FilterError as exc:
                    message = f"Filter not applied: {exc}."
                else:
                    rows, pages, current = views.table_page(shown, page, size, sort_by)
                    return rows, pages, current, f"{len(shown):,} match the filter"
            # Unfiltered, the store sorts and cuts the page: no view is read whole.
            rows, pages, current = data.table_page(store, reference(), s, page, size, sort_by)
        except StoreError:
            return [], 1, 0, ""
        return rows, pages, current, message

    @app.callback(
        Output("breakdown-sort", "data"),
        *[Output(f"sort-{key}", "aria-pressed") for key, _ in layout.SORTS],
        *[Input(f"sort-{key}", "n_clicks") for key, _ in layout.SORTS],
        prevent_initial_call=True,
    )
    def choose_sort(*_clicks):
        """Sort the breakdown by the button pressed."""
        chosen = str(ctx.triggered_id).removeprefix("sort-")
        return chosen, *["true" if key == chosen else "false" for key, _ in layout.SORTS]

    @app.callback(
        Output("map-measure", "data"),
        *[Output(f"measure-{key}", "aria-pressed") for key in map_figure.MEASURES],
        *[Input(f"measure-{key}", "n_clicks") for key in map_figure.MEASURES],
        prevent_initial_call=True,
    )
    def choose_measure(*_clicks):
        """Colour the map by the measure whose button was pressed."""
        chosen = map_figure.measure_of(str(ctx.triggered_id).removeprefix("measure-"))
        return chosen, *["true" if key == chosen else "false" for key in map_figure.MEASURES]

    @app.callback(
        Output("download", "data"),
        Input("download-button", "n_clicks"),
        Input("download-excel", "n_clicks"),
        Input("download-about", "n_clicks"),
        State("filter-place", "value"),
        State("filter-district", "value"),
        State("filter-dates", "start_date"),
        State("filter-dates", "end_date"),
        State("url", "search"),
        State("figures-table", "filter_query"),
        prevent_initial_call=True,
    )
    def download(_csv, _excel, _about, place, district, start, end, search, query):
        """The figures of the current view as CSV, as CSV for Excel, or the note about them;
        a filter on the figures table narrows the export as it narrows the table."""
        s = _state(place, district, start, end)
        shown, applied = exported(figures(s), query)
        ordered = views.newest_first(shown)
        name = f"displacement_{s.selected}"
        if ctx.triggered_id == "download-about":
            now = dt.datetime.now(dt.UTC)
            note = views.export_note(
                ordered, s.selected, search or "", s.date_from, s.date_to, now, applied
            )
            return dcc.send_string(note, filename=f"{name}_about.txt")
        if ctx.triggered_id == "download-excel":
            # Excel reads UTF-8 (Arabic names) only with a byte-order mark; the plain CSV has none.
            body = ("\ufeff" + to_csv(ordered)).encode("utf-8")
            return dcc.send_bytes(body, filename=f"{name}_excel.csv")
        return dcc.send_string(to_csv(ordered), filename=f"{name}.csv")

    def warm_up() -> None:
        try:
            ref = reference()
            places = ref.places
            countries = places.loc[places["admin_level"] == 0, "pcode"]
            first = [ViewState(str(c), None, ref.date_from, ref.date_to) for c in countries]
            # The landing view first: most visitors open the page without a view in its URL.
            for state in dict.fromkeys([ref.default_view, *first]):
                draw(state, "idps")
                draw_series(state)
                draw_map(state, map_figure.DEFAULT_MEASURE)
            # The other places of the menu are read, not drawn: reading a place's figures is
            # most of the wait of its first view, and each of its date ranges is cut from them.
            for pcode in views.menu_places(places)["pcode"].head(settings.warm_places):
                kids = views.children(places, ref.members, str(pcode))
                place_figures(str(pcode), list(kids["pcode"]))
        except StoreError:
            pass  # nothing to warm: the first visitor is told the data is unavailable

    return warm_up
