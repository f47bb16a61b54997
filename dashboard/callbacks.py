"""The page's callbacks: each a named function of its inputs, which `register` only binds.

A callback's function takes what Dash passes (the filters, a click) plus what Dash alone
knows (which input fired) as plain arguments, and reads through a `Reader`: its logic runs,
and is tested, without Dash.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, ctx, dcc, no_update

from dashboard import (
    boundaries,
    charts,
    data,
    figure_table,
    ids,
    layout,
    map_figure,
    notices,
    place_tree,
    rules,
    sites,
    table_filter,
)
from dashboard.briefing import page as briefing_page
from dashboard.reader import Reader
from dashboard.state import ViewState, decode_state, encode_state
from etl.export import to_csv
from etl.store import StoreError
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


def wants_triangulation(presses: object) -> bool:
    """Whether the time series' toggle, pressed this many times, asks for triangulation
    figures too: every other press."""
    return isinstance(presses, int) and not isinstance(presses, bool) and presses % 2 == 1


def series_view(line: data.Timeline, s: ViewState, triangulation: bool) -> tuple[dict, list]:
    """The time series of a timeline and the notes under it: its style key and its events."""
    own_shown = data.shown(line.own, s.date_from)
    place = str(line.place["name"])
    # A chart downloaded as PNG for a briefing still says where, when and whose numbers.
    caption = charts.caption_text(place, s.date_from, s.date_to, own_shown)
    picked = charts.drawn(own_shown, triangulation)
    spec = charts.timeseries_spec(own_shown, line.events, triangulation, picked)
    if not spec["data"]:
        return spec, []
    notes = layout.series_notes(
        charts.style_key(own_shown, triangulation, picked),
        charts.series_events(own_shown, line.events, triangulation, picked),
    )
    return charts.with_caption(spec, *caption), notes


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


def sync_state(
    ref: data.Reference,
    trigger: object,
    search: object,
    place: object,
    district: object,
    start: object,
    end: object,
    click: object,
    map_click: object,
) -> tuple:
    """Keep the filters and the URL in step; a click on a bar or an area drills in.

    `trigger` is the id of the input that fired (None on the first call): the URL sets the
    filters, anything else sets the URL.
    """
    if trigger in (ids.URL, None):
        s = decode_state(search, ref.known, ref.default_view)
        return (
            no_update,
            s.place,
            s.district,
            layout.district_options(ref, s.place, s.district),
            s.date_from.isoformat() if s.date_from else None,
            s.date_to.isoformat() if s.date_to else None,
        )
    clicked = {ids.BREAKDOWN: click, ids.MAP: map_click}.get(str(trigger))
    if isinstance(clicked, dict) and clicked.get("points"):
        target = drill_target(ref, str(clicked["points"][0].get("customdata", "")))
        if target:
            place, district = target
    if trigger == ids.PLACE:
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


def draw(reader: Reader, s: ViewState, sort_by: object) -> tuple:
    """Everything `render` shows but the retry timer's state."""
    ref = reader.reference()
    v = reader.view(s)
    cards = [layout.card(c) for c in data.cards(v, s)]
    below = data.within(v)
    kids = data.breakdown(v, s)
    loads = reader.freshness()
    stale = dt.timedelta(days=reader.settings.stale_after_days)
    place = str(v.place["name"])
    flags = notices.quality_flags(v.own, v.stocks, v.kids, place, s.date_to, v.headline)
    inside = f"Within {place}"
    bars_caption = charts.caption_text(inside, s.date_from, s.date_to, below)
    return (
        layout.place_label(v.place),
        layout.breadcrumb(place_tree.breadcrumb(ref.places, str(v.place["pcode"]))),
        layout.banners(notices.freshness_banners(loads, dt.datetime.now(dt.UTC), stale)),
        cards,
        layout.quality(flags),
        inside,
        charts.with_caption(
            charts.breakdown_spec(rules.sort_breakdown(kids, str(sort_by)), place),
            *bars_caption,
        ),
        layout.disagreement_table(rules.disagreements(v.disputed, reader.threshold)),
        f"{v.count:,} figure{'s' if v.count != 1 else ''}",
    )


def render(
    reader: Reader, place: object, district: object, start: object, end: object, sort_by: object
) -> tuple:
    """The cards, bars and tables of the chosen place and dates, and whether to stop retrying."""
    try:
        return (*draw(reader, _state(place, district, start, end), sort_by), True)
    except StoreError:
        blank = charts.empty_figure(UNAVAILABLE)
        unavailable = layout.banners([UNAVAILABLE])
        return ("–", [], unavailable, [], [], "", blank, [], "", False)


def draw_series(reader: Reader, s: ViewState, triangulation: bool = False) -> tuple[dict, list]:
    """The time series `render_series` shows."""
    return series_view(reader.timeline(s), s, triangulation)


def render_series(
    reader: Reader, place: object, district: object, start: object, end: object, presses: object
) -> tuple:
    """The time series of the chosen place and dates, the notes under it, and the toggle's
    state.

    A callback of its own: its thousands of points take longest to send and to draw, and
    the cards, bars and map need not wait for them.
    """
    triangulation = wants_triangulation(presses)
    pressed = "true" if triangulation else "false"
    try:
        return *draw_series(reader, _state(place, district, start, end), triangulation), pressed
    except StoreError:
        return charts.empty_figure(UNAVAILABLE), [], pressed


def draw_map(reader: Reader, s: ViewState, measure: object) -> dict:
    """The map `render_map` shows: only the shapes of the view's parts are sent."""
    w = reader.within(s)
    below = data.within(w)
    shapes = boundaries.load(reader.settings.boundaries)
    inside = sites.within(sites.load(), str(w.place["pcode"]))
    spec = map_figure.map_view(
        reader.reference().places, w.place, w.kids, w.parts, w.moves, shapes, measure, inside
    )
    drawn = pd.concat([below, w.moves], ignore_index=True)
    caption = charts.caption_text(f"Within {w.place['name']}", s.date_from, s.date_to, drawn)
    return charts.with_caption(spec, *caption)


def render_map(
    reader: Reader, place: object, district: object, start: object, end: object, measure: object
) -> dict:
    """The map of the chosen place and dates, coloured by the chosen measure."""
    try:
        return draw_map(reader, _state(place, district, start, end), measure)
    except StoreError:
        return charts.empty_figure(UNAVAILABLE)


def table(
    reader: Reader,
    paged: bool,
    place: object,
    district: object,
    start: object,
    end: object,
    page: object,
    sort_by: object,
    query: object,
) -> tuple:
    """One page of the figures behind the view, filtered and sorted on the server.

    `paged`: the page number itself changed; a new view, order or filter starts at page one.
    """
    s = _state(place, district, start, end)
    if not paged:
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
                shown = table_filter.apply_filter(reader.figures(s), conditions)
            except table_filter.FilterError as exc:
                message = f"Filter not applied: {exc}."
            else:
                rows, pages, current = figure_table.table_page(shown, page, size, sort_by)
                return rows, pages, current, f"{len(shown):,} match the filter"
        # Unfiltered, the store sorts and cuts the page: no view is read whole.
        rows, pages, current = reader.table_page(s, page, size, sort_by)
    except StoreError:
        return [], 1, 0, ""
    return rows, pages, current, message


def _pressed(chosen: str, keys: list[str]) -> list[str]:
    return ["true" if key == chosen else "false" for key in keys]


SORT_KEYS = [key for key, _ in layout.SORTS]
MEASURE_KEYS = list(map_figure.MEASURES)


def choose_sort(trigger: object) -> tuple:
    """The breakdown's order after a press of sort button `trigger`, and each button's state."""
    chosen = ids.pressed_key(trigger, ids.SORT_PREFIX)
    if chosen not in SORT_KEYS:
        chosen = layout.DEFAULT_SORT
    return chosen, *_pressed(chosen, SORT_KEYS)


def choose_measure(trigger: object) -> tuple:
    """The map's measure after a press of measure button `trigger`, and each button's state."""
    chosen = map_figure.measure_of(ids.pressed_key(trigger, ids.MEASURE_PREFIX))
    return chosen, *_pressed(chosen, MEASURE_KEYS)


def download(
    reader: Reader,
    trigger: object,
    place: object,
    district: object,
    start: object,
    end: object,
    search: object,
    query: object,
    now: dt.datetime | None = None,
) -> dict:
    """The figures of the current view as CSV, as CSV for Excel, or the note about them
    (`trigger`: the button pressed); a filter on the figures table narrows the export as it
    narrows the table."""
    s = _state(place, district, start, end)
    shown, applied = exported(reader.figures(s), query)
    ordered = figure_table.newest_first(shown)
    name = f"displacement_{s.selected}"
    if trigger == ids.DOWNLOAD_ABOUT:
        note = notices.export_note(
            ordered,
            s.selected,
            search if isinstance(search, str) else "",
            s.date_from,
            s.date_to,
            now or dt.datetime.now(dt.UTC),
            applied,
        )
        return dcc.send_string(note, filename=f"{name}_about.txt")
    if trigger == ids.DOWNLOAD_EXCEL:
        # Excel reads UTF-8 (Arabic names) only with a byte-order mark; the plain CSV has none.
        body = ("\ufeff" + to_csv(ordered)).encode("utf-8")
        return dcc.send_bytes(body, filename=f"{name}_excel.csv")
    return dcc.send_string(to_csv(ordered), filename=f"{name}.csv")


def download_brief(
    reader: Reader,
    trigger: object,
    place: object,
    district: object,
    start: object,
    end: object,
    query: object,
) -> tuple[object, str]:
    """The briefing pack of the current view: slides or a PDF, in English or Arabic, as the
    button `trigger` asks."""
    fmt, lang = briefing_page.chosen(trigger)
    s = _state(place, district, start, end)
    return briefing_page.download(reader.store, s, fmt, lang, query, reader.threshold)


def warm_up(reader: Reader) -> None:
    """Draw the first view visitors see (each country over every date) once, so its figures
    are in the cache and every code path is loaded before the first visitor; read the places
    of the menu into the cache, and pack the figures of the first `pack_places` places
    (`Reader.pack_place`)."""
    try:
        ref = reader.reference()
        places = ref.places
        countries = places.loc[places["admin_level"] == 0, "pcode"]
        first = [ViewState(str(c), None, ref.date_from, ref.date_to) for c in countries]
        # The landing view first: most visitors open the page without a view in its URL.
        for state in dict.fromkeys([ref.default_view, *first]):
            draw(reader, state, layout.DEFAULT_SORT)
            draw_series(reader, state)
            draw_map(reader, state, map_figure.DEFAULT_MEASURE)
        # The other places of the menu are read, not drawn: reading a place's figures, and a
        # governorate's sums of its units that a card falls back on, is most of the wait of
        # its first view, and each of its date ranges is cut from them. (A country's sums
        # cover every figure: its own view reads them if a card needs them.)
        menu = place_tree.menu_places(places).head(reader.settings.warm_places)
        for _, place in menu.iterrows():
            kids = place_tree.children(places, ref.members, str(place["pcode"]))
            reader.place_figures(str(place["pcode"]), list(kids["pcode"]))
            if not pd.isna(place["admin_level"]) and int(place["admin_level"]) == 1:
                reader.place_sums(place)
        # Then places are packed, not opened: the menu's (read above), then the largest units
        # first. A first view opens them in a fifth of the time it took to read them.
        by_level = places.sort_values("admin_level", kind="stable", na_position="last")
        order = list(dict.fromkeys([*menu["pcode"], *by_level["pcode"]]))
        for pcode in order[: reader.settings.pack_places]:
            kids = place_tree.children(places, ref.members, pcode)
            reader.pack_place(pcode, list(kids["pcode"]))
    except StoreError:
        pass  # nothing to warm: the first visitor is told the data is unavailable


def _view_inputs(kind: type[Input] | type[State]) -> list[Any]:
    """The view every drawing callback reads, in the order its function takes it."""
    return [
        kind(ids.PLACE, "value"),
        kind(ids.DISTRICT, "value"),
        kind(ids.DATES, "start_date"),
        kind(ids.DATES, "end_date"),
    ]


def register(app: Dash, reader: Reader) -> Callable[[], None]:
    """Bind each callback's function to its components, reading through `reader`.

    Returns `warm_up` over the same reads, for a server to call before its first visitor.
    """
    beat = Input(ids.HEARTBEAT, "n_intervals")

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.PLACE, "value"),
        Output(ids.DISTRICT, "value"),
        Output(ids.DISTRICT, "options"),
        Output(ids.DATES, "start_date"),
        Output(ids.DATES, "end_date"),
        Input(ids.URL, "search"),
        *_view_inputs(Input),
        Input(ids.BREAKDOWN, "clickData"),
        Input(ids.MAP, "clickData"),
    )
    def _sync_state(*args: object) -> tuple:
        return sync_state(reader.reference_or_empty(), ctx.triggered_id, *args)

    @app.callback(
        Output(ids.PLACE_HEADING, "children"),
        Output(ids.BREADCRUMB, "children"),
        Output(ids.BANNERS, "children"),
        Output(ids.CARDS, "children"),
        Output(ids.QUALITY, "children"),
        Output(ids.BREAKDOWN_HEADING, "children"),
        Output(ids.BREAKDOWN, "figure"),
        Output(ids.DISAGREEMENTS, "children"),
        Output(ids.FIGURES_COUNT, "children"),
        Output(ids.HEARTBEAT, "disabled"),
        *_view_inputs(Input),
        Input(ids.BREAKDOWN_SORT, "data"),
        beat,
        # `sync_state` sets the filters from the URL first; drawing before it would draw twice.
        prevent_initial_call=True,
    )
    def _render(place, district, start, end, sort_by, _beat):  # type: ignore[no-untyped-def]
        return render(reader, place, district, start, end, sort_by)

    @app.callback(
        Output(ids.SERIES, "figure"),
        Output(ids.SERIES_NOTES, "children"),
        Output(ids.SERIES_TRIANGULATION, "aria-pressed"),
        *_view_inputs(Input),
        Input(ids.SERIES_TRIANGULATION, "n_clicks"),
        beat,
        prevent_initial_call=True,
    )
    def _render_series(place, district, start, end, presses, _beat):  # type: ignore[no-untyped-def]
        return render_series(reader, place, district, start, end, presses)

    @app.callback(
        Output(ids.MAP, "figure"),
        *_view_inputs(Input),
        Input(ids.MAP_MEASURE, "data"),
        beat,
        prevent_initial_call=True,
    )
    def _render_map(place, district, start, end, measure, _beat):  # type: ignore[no-untyped-def]
        return render_map(reader, place, district, start, end, measure)

    @app.callback(
        Output(ids.TABLE, "data"),
        Output(ids.TABLE, "page_count"),
        Output(ids.TABLE, "page_current"),
        Output(ids.TABLE_MESSAGE, "children"),
        *_view_inputs(Input),
        Input(ids.TABLE, "page_current"),
        Input(ids.TABLE, "sort_by"),
        Input(ids.TABLE, "filter_query"),
        beat,
        prevent_initial_call=True,
    )
    def _table(place, district, start, end, page, sort_by, query, _beat):  # type: ignore[no-untyped-def]
        paged = f"{ids.TABLE}.page_current" in ctx.triggered_prop_ids
        return table(reader, paged, place, district, start, end, page, sort_by, query)

    @app.callback(
        Output(ids.BREAKDOWN_SORT, "data"),
        *[Output(ids.sort_button(key), "aria-pressed") for key in SORT_KEYS],
        *[Input(ids.sort_button(key), "n_clicks") for key in SORT_KEYS],
        prevent_initial_call=True,
    )
    def _choose_sort(*_clicks: object) -> tuple:
        return choose_sort(ctx.triggered_id)

    @app.callback(
        Output(ids.MAP_MEASURE, "data"),
        *[Output(ids.measure_button(key), "aria-pressed") for key in MEASURE_KEYS],
        *[Input(ids.measure_button(key), "n_clicks") for key in MEASURE_KEYS],
        prevent_initial_call=True,
    )
    def _choose_measure(*_clicks: object) -> tuple:
        return choose_measure(ctx.triggered_id)

    @app.callback(
        Output(ids.DOWNLOAD, "data"),
        Input(ids.DOWNLOAD_CSV, "n_clicks"),
        Input(ids.DOWNLOAD_EXCEL, "n_clicks"),
        Input(ids.DOWNLOAD_ABOUT, "n_clicks"),
        *_view_inputs(State),
        State(ids.URL, "search"),
        State(ids.TABLE, "filter_query"),
        prevent_initial_call=True,
    )
    def _download(_csv, _excel, _about, place, district, start, end, search, query):  # type: ignore[no-untyped-def]
        return download(reader, ctx.triggered_id, place, district, start, end, search, query)

    buttons = [key for key, *_ in briefing_page.BUTTONS]

    @app.callback(
        Output(ids.BRIEF_DOWNLOAD, "data"),
        Output(ids.BRIEF_MESSAGE, "children"),
        *[Input(key, "n_clicks") for key in buttons],
        *_view_inputs(State),
        State(ids.TABLE, "filter_query"),
        prevent_initial_call=True,
    )
    def _download_brief(*args: object) -> tuple[object, str]:
        place, district, start, end, query = args[len(buttons) :]
        return download_brief(reader, ctx.triggered_id, place, district, start, end, query)

    return lambda: warm_up(reader)
