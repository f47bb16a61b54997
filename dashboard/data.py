"""The dashboard's reads of the store, shaped for one view."""

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dashboard import figure_table, headline, landing, parts, place_tree, ranges, rules
from dashboard.formatting import (
    with_hovers,
    with_organisations,
)
from dashboard.shared_texts import share_texts
from dashboard.state import DEFAULT_PLACE, ViewState
from etl.store import Store, aggregates, reads
from schemas.places import PLACE_COLUMNS


@dataclass
class View:
    """Everything one state of the page draws, aggregated in the store."""

    place: pd.Series
    # The place's own figures of the range, and the latest earlier reports of each stock
    # (the stock as of the range, and the change since): its cards and its time series.
    own: pd.DataFrame
    kids: pd.DataFrame
    # Per child: the latest counted people displaced and population as of the range's end.
    stocks: pd.DataFrame
    # The children's counted new displacements within the range.
    flows: pd.DataFrame
    # The place and its children: recommended figures with an origin (the map's arrows).
    moves: pd.DataFrame
    # The place and its children: every figure of the widest disagreements.
    disputed: pd.DataFrame
    # How many figures of the place and its children reach into the range.
    count: int
    # One publication's units below the place added up per period, for the card metrics the
    # place has no figure of (`aggregates.unit_sums`; empty when it has them all).
    sums: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=aggregates.UNIT_SUM_COLUMNS)
    )
    # The card metrics the place has no counted figure of in the range (`parts.missing_metrics`):
    # only their cards look at the parts. None: not worked out, every card looks.
    missing: list[str] | None = None
    # `rules.headline` of `own` for the range: what the cards show of the place's own figures.
    headline: rules.Headline | None = None
    # `rules.breakdown` of the children for the range: the bars and the map both draw it.
    parts: pd.DataFrame | None = None


@dataclass
class Within:
    """What the map of one state draws: the place, its parts with their figures, movements."""

    place: pd.Series
    kids: pd.DataFrame
    # As in a `View`: the children's latest stocks and flows of the range, their
    # `rules.breakdown`, and the movements with an origin.
    stocks: pd.DataFrame
    flows: pd.DataFrame
    parts: pd.DataFrame
    moves: pd.DataFrame


@dataclass
class Reference:
    """The gazetteer as the page needs it."""

    places: pd.DataFrame
    members: pd.DataFrame
    date_from: dt.date | None
    date_to: dt.date | None
    # The view a visitor lands on (`landing.landing_state`); None: the country, every date.
    landing: ViewState | None = None

    @property
    def known(self) -> set[str]:
        """Every place id."""
        return set(self.places["pcode"].tolist())

    @property
    def default_view(self) -> ViewState:
        """What a page without a view in its URL shows."""
        return self.landing or ViewState(DEFAULT_PLACE, None, self.date_from, self.date_to)


def reference(store: Store) -> Reference:
    """The gazetteer, area members and the dates the store covers."""
    start, end = reads.date_extent(store.engine)
    # The gazetteer holds the world: the page needs the countries that have figures.
    countries = reads.countries_with_figures(store.engine)
    places = place_tree.within_countries(
        reads.places(store.engine, countries or {DEFAULT_PLACE}), countries
    )
    freshest = aggregates.freshest(store.engine, landing.CARD_METRICS)
    return Reference(
        places,
        reads.place_members(store.engine),
        start,
        end,
        landing.landing_state(freshest, places, start, end),
    )


def selected(ref: Reference, state: ViewState) -> tuple[pd.Series, pd.DataFrame]:
    """The place a state shows and its children."""
    places = ref.places.set_index("pcode", drop=False)
    # A place the gazetteer does not know falls back one step: district, place, country.
    pcode = next(
        (p for p in (state.district, state.place, "SY") if p and p in places.index),
        places.index[0],
    )
    return places.loc[pcode], place_tree.children(ref.places, ref.members, pcode)


@dataclass
class PlaceFigures:
    """A place's figures whatever the dates: each of its views cuts its range from them."""

    # Every figure of the place. Each frame here and in a `View` has its `org` column.
    own: pd.DataFrame
    # The children's counted new displacements.
    flows: pd.DataFrame
    # The place and its children: recommended figures with an origin.
    moves: pd.DataFrame
    # `ranges.stock_order` of `own`: each range picks its earlier stocks from it.
    order: ranges.StockOrder | None = None
    # `rules.flow_records` of `flows`: each range's breakdown picks its flows from them.
    flow_records: rules.FlowRecords | None = None


def place_figures(store: Store, pcode: str, below: list[str]) -> PlaceFigures:
    """What every view of one place cuts its dates from, in one read per place."""
    engine = store.engine
    # One object per distinct text across the three (the flow records below share them).
    texts: dict[str, str] = {}
    own = share_texts(
        with_hovers(
            with_organisations(reads.figures(engine, pcodes=[pcode], columns=reads.VIEW_COLUMNS))
        ),
        texts,
    )
    flows = share_texts(
        with_organisations(aggregates.flows(engine, below, rules.BREAKDOWN_FLOW)), texts
    )
    return PlaceFigures(
        own=own,
        flows=flows,
        moves=share_texts(with_organisations(aggregates.moves(engine, [pcode, *below])), texts),
        order=ranges.stock_order(own),
        flow_records=rules.flow_records(flows, rules.BREAKDOWN_FLOW),
    )


@dataclass
class Timeline:
    """What the time series of one state draws."""

    place: pd.Series
    # The place's own figures of the range, with the latest earlier reports of each stock.
    own: pd.DataFrame
    events: pd.DataFrame


def _figures_of(
    store: Store, figures_of: Callable[[str, list[str]], PlaceFigures] | None
) -> Callable[[str, list[str]], PlaceFigures]:
    return figures_of or functools.partial(place_figures, store)


def _own(figs: PlaceFigures, state: ViewState) -> pd.DataFrame:
    return ranges.with_earlier_stocks(
        figs.own, state.date_from, state.date_to, ranges.EARLIER_STOCKS, figs.order
    )


def timeline(
    store: Store,
    ref: Reference,
    state: ViewState,
    figures_of: Callable[[str, list[str]], PlaceFigures] | None = None,
) -> Timeline:
    """What the time series of one state draws; `figures_of` as for `view`."""
    place, kids = selected(ref, state)
    figs = _figures_of(store, figures_of)(str(place["pcode"]), list(kids["pcode"]))
    events = reads.events(store.engine, state.date_from, state.date_to)
    return Timeline(place, _own(figs, state), events)


def timeline_of(store: Store, v: View, state: ViewState) -> Timeline:
    """What the time series of one state draws, its own figures taken from the state's view."""
    return Timeline(v.place, v.own, reads.events(store.engine, state.date_from, state.date_to))


def place_sums(store: Store, place: pd.Series) -> pd.DataFrame:
    """Every sum of one publication's units below an admin unit, for the card metrics, at
    any date: each view cuts its own from them (none for an area: a figure on an area is
    never made of its members')."""
    level = place["admin_level"]
    if pd.isna(level):
        return pd.DataFrame(columns=aggregates.UNIT_SUM_COLUMNS)
    return aggregates.unit_sums(
        store.engine, str(place["pcode"]), int(level), landing.CARD_METRICS, None
    )


def view(
    store: Store,
    ref: Reference,
    state: ViewState,
    threshold: float,
    figures_of: Callable[[str, list[str]], PlaceFigures] | None = None,
    sums_of: Callable[[pd.Series], pd.DataFrame] | None = None,
) -> View:
    """What the page draws for one state; disagreements are those wider than `threshold`.

    `figures_of(pcode, children)` gives the place's figures and `sums_of(place)` its unit
    sums (a cache's, say); without, they are read from the store.
    """
    place, kids = selected(ref, state)
    pcode, below = str(place["pcode"]), list(kids["pcode"])
    both = [pcode, *below]
    start, end = state.date_from, state.date_to
    figs = _figures_of(store, figures_of)(pcode, below)
    own = _own(figs, state)
    picked = rules.headline(own, start, end)
    missing = parts.missing_metrics(own, start, end, picked)
    drawn = View(
        place=place,
        own=own,
        kids=kids,
        stocks=_kid_stocks(store, below, end),
        flows=ranges.inside(figs.flows, start, end),
        moves=ranges.reaching(figs.moves, start, end),
        disputed=with_organisations(
            aggregates.disputed(
                store.engine, both, start, end, threshold, rules.DISAGREEMENTS_SHOWN
            )
        ),
        count=aggregates.count_figures(store.engine, both, start, end),
        sums=_unit_sums(store, place, missing, end, sums_of),
        missing=missing,
        headline=picked,
    )
    drawn.parts = rules.breakdown_of(drawn.stocks, drawn.flows, kids, start, end, figs.flow_records)
    return drawn


def _kid_stocks(store: Store, below: list[str], end: dt.date | None) -> pd.DataFrame:
    """The children's latest stocks the bars and the map show, as of `end`."""
    return with_organisations(
        aggregates.latest_stocks(store.engine, below, rules.BREAKDOWN_STOCKS, end)
    )


def within_view(
    store: Store,
    ref: Reference,
    state: ViewState,
    figures_of: Callable[[str, list[str]], PlaceFigures] | None = None,
) -> Within:
    """What the map of one state draws, read on its own: a `view` less its cards, its own
    figures, disagreements and count, for a process that has not worked out that view."""
    place, kids = selected(ref, state)
    pcode, below = str(place["pcode"]), list(kids["pcode"])
    start, end = state.date_from, state.date_to
    figs = _figures_of(store, figures_of)(pcode, below)
    stocks = _kid_stocks(store, below, end)
    flows = ranges.inside(figs.flows, start, end)
    parts_of = rules.breakdown_of(stocks, flows, kids, start, end, figs.flow_records)
    return Within(place, kids, stocks, flows, parts_of, ranges.reaching(figs.moves, start, end))


def within_of(v: View, state: ViewState) -> Within:
    """What the map draws, taken from the state's whole view."""
    return Within(v.place, v.kids, v.stocks, v.flows, breakdown(v, state), v.moves)


def _unit_sums(
    store: Store,
    place: pd.Series,
    missing: list[str],
    end: dt.date | None,
    sums_of: Callable[[pd.Series], pd.DataFrame] | None,
) -> pd.DataFrame:
    """The unit sums of the card metrics the place has no figure of, ending by `end`: a sum
    is per period, so a range's are those of every date, cut by their end."""
    if not missing or pd.isna(place["admin_level"]):
        return pd.DataFrame(columns=aggregates.UNIT_SUM_COLUMNS)
    sums = sums_of(place) if sums_of else place_sums(store, place)
    keep = sums["metric"].isin(missing)
    if end is not None:
        keep &= sums["period_end"] <= pd.Timestamp(end)
    return sums[keep].reset_index(drop=True)


def cards(v: View, state: ViewState) -> list[headline.Card]:
    """The headline cards of a view: the place's own figures, else what its parts report."""
    below = within(v)
    instead = parts.part_cards(
        v.place, v.kids, below, v.sums, state.date_from, state.date_to, v.missing
    )
    return headline.headline_cards(v.own, state.date_from, state.date_to, instead, v.headline)


def figures(store: Store, ref: Reference, state: ViewState) -> pd.DataFrame:
    """Every figure behind a view, for its table and its CSV export."""
    place, kids = selected(ref, state)
    return reads.figures(
        store.engine,
        pcodes=[str(place["pcode"]), *kids["pcode"]],
        date_from=state.date_from,
        date_to=state.date_to,
    )


def table_page(
    store: Store, ref: Reference, state: ViewState, page: object, size: int, sort_by: object
) -> tuple[list[dict[str, str]], int, int]:
    """One page of the figures table, sorted and cut in the store: (rows, pages, page)."""
    place, kids = selected(ref, state)
    both = [str(place["pcode"]), *kids["pcode"]]
    total = aggregates.count_figures(store.engine, both, state.date_from, state.date_to)
    pages, page = figure_table.page_of(page, total, size)
    column, descending = figure_table.table_order(sort_by)
    frame = reads.figure_page(
        store.engine,
        pcodes=both,
        date_from=state.date_from,
        date_to=state.date_to,
        sort=column,
        descending=descending,
        offset=page * size,
        limit=size,
    )
    return figure_table.table_rows(frame, presorted=True), pages, page


def breakdown(v: View, state: ViewState) -> pd.DataFrame:
    """The view's parts as the bars and the map draw them, worked out once per view."""
    if v.parts is None:
        v.parts = rules.breakdown_of(v.stocks, v.flows, v.kids, state.date_from, state.date_to)
    return v.parts


def within(v: View | Within) -> pd.DataFrame:
    """The children's figures the breakdown and the map rest on: stocks and flows."""
    return _stocks_and_flows(v.stocks, v.flows)


def _stocks_and_flows(stocks: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    parts = [frame for frame in (stocks, flows) if not frame.empty]
    return pd.concat(parts, ignore_index=True) if parts else stocks


def shown(figs: pd.DataFrame, date_from: dt.date | None) -> pd.DataFrame:
    """The figures a view lists: those whose period reaches into the range."""
    if date_from is None or figs.empty:
        return figs
    return figs[figs["period_end"] >= pd.Timestamp(date_from)]


def freshness(store: Store) -> pd.DataFrame:
    """Per source: last successful load and last failure."""
    return reads.last_loads(store.engine)


def page_data_unavailable() -> tuple[Reference, pd.DataFrame]:
    """An empty gazetteer and no freshness: what a page shows while the store is away."""
    places = pd.DataFrame(columns=PLACE_COLUMNS)
    members = pd.DataFrame(columns=["area_pcode", "member_pcode"])
    loads = pd.DataFrame(columns=["source", "last_loaded", "last_failed"])
    return Reference(places, members, None, None), loads
