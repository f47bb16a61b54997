"""The pack model: the facts of one view, read once from the store, in no language yet.

Every number in it is a `Cited`: a stored figure (or the total the page's own rules show,
one publisher's reports), with its qualifier, its dates and its publication.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from dashboard import boundaries, charts, data, figure_table, frame_rows, parts, rules, table_filter
from dashboard.boundaries import Shape
from dashboard.state import ViewState
from etl.store import Store
from schemas.enums import Qualifier, Role
from schemas.figures import RECOMMENDED_KEY, UNKNOWN_PUBLISHER, organisation


class BriefError(ValueError):
    """A pack that cannot be made for what was asked, said in words."""


@dataclass(frozen=True)
class Cited:
    """One number of the pack and what it rests on."""

    metric: str
    value: int
    qualifier: str
    publication: str | None
    url: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    # More than one: the sum of one publisher's non-overlapping reports, as the page shows it.
    reports: int = 1
    # Two or more: the place has no figure of its own and this is the sum of one
    # publication's units below it for one date (`parts.chosen_sum`), at `units_level`.
    units: int = 0
    units_level: int | None = None
    units_of: str | None = None  # the place whose units they are
    # A stock's change since the same organisation's previous report, and that report's
    # date, as the page's card says it (`rules.change`).
    change: float | None = None
    change_since: pd.Timestamp | None = None
    # A disaggregated figure's sex (f, m) and age group; None: everyone.
    sex: str | None = None
    age_group: str | None = None

    @property
    def org(self) -> str:
        """Who published it."""
        return organisation(self.publication)

    @property
    def title(self) -> str:
        """The publication's title: the citation that follows the number."""
        return publication_title(self.publication)


def publication_title(publication: str | None) -> str:
    """The title part of a "Publisher, Title (date)" provenance string (all of it if none)."""
    if not isinstance(publication, str) or not publication.strip():
        return UNKNOWN_PUBLISHER
    _, _, rest = publication.partition(",")
    return rest.strip() or publication.strip()


@dataclass(frozen=True)
class Share:
    """The share of the population displaced, from two cited stocks."""

    value: float
    exact: bool


@dataclass(frozen=True)
class PartReports:
    """What a place's parts report for a card the place has no figure of, nor a sum for:
    the largest few, each its own figure (`units_of` the part), and how many report."""

    figures: tuple[Cited, ...]
    reporting: int
    # The level of the parts (their admin level; None: the members of an area).
    level: int | None
    place: str


@dataclass(frozen=True)
class Cards:
    """The four headline cards' facts."""

    population: Cited | None
    idps: Cited | None
    new: Cited | None
    share: Share | None
    # Per card metric without a figure or a sum: what the parts report (`parts.part_cards`).
    parts: dict[str, PartReports] = field(default_factory=dict)


@dataclass(frozen=True)
class Dispute:
    """Several publishers' figures for the same place, metric and period, far apart."""

    pcode: str
    metric: str
    origin_pcode: str | None
    figures: tuple[Cited, ...]
    triangulation: tuple[bool, ...]


@dataclass(frozen=True)
class Line:
    """One drawn series of the time series, as the page draws it."""

    metric: str
    kind: str  # stock, flow or cumulative
    org: str
    triangulation: bool
    run_start: pd.Timestamp | None
    starts: tuple[pd.Timestamp, ...]
    ends: tuple[pd.Timestamp, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class Source:
    """One publication used by the view."""

    publication: str
    url: str | None


@dataclass
class Pack:
    """Everything one briefing pack says, before words."""

    pcode: str
    name: str
    name_ar: str | None
    date_from: dt.date | None
    date_to: dt.date | None
    generated: dt.datetime
    loads: list[tuple[str, pd.Timestamp | None]]
    table_filter: str
    cards: Cards
    lines: list[Line]
    events: list[tuple[pd.Timestamp, str]]
    # The breakdown's rows (pcode, name, name_ar, idps, idps_text, new, new_text, share) and
    # the map's points (the same with lat, lon): the page's charts' data.
    breakdown: pd.DataFrame
    points: pd.DataFrame
    disputes: list[Dispute]
    sources: list[Source]
    count: int
    cited: list[Cited] = field(default_factory=list)
    # The figures table as the page shows it under its filter: the newest `TABLE_ROWS`, each
    # with its place (`units_of`), and how many the table holds.
    table: list[Cited] = field(default_factory=list)
    table_count: int = 0
    # The COD-AB outlines of the places within that have one: the map draws them as areas.
    areas: dict[str, Shape] = field(default_factory=dict)
    # English and Arabic names of the places the pack names (the gazetteer's).
    names: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def place_name(self, pcode: str, lang: str) -> str:
        """A place's name in the language, the English one where the gazetteer has no other."""
        english, arabic = self.names.get(pcode, (pcode, None))
        return arabic if lang == "ar" and arabic else english

    @property
    def empty(self) -> bool:
        """Whether the view has no figure at all."""
        return self.count == 0


def _cited(total: rules.Total | None, metric: str) -> Cited | None:
    if total is None:
        return None
    return Cited(
        metric,
        int(total.value),
        str(total.qualifier),
        total.publisher,
        total.source_url,
        pd.Timestamp(total.start),
        pd.Timestamp(total.end),
        int(total.reports),
    )


def _summed(total: parts.UnitSum | None, metric: str, pcode: str | None) -> Cited | None:
    if total is None:
        return None
    return Cited(
        metric,
        int(total.value),
        str(total.qualifier),
        total.publisher,
        total.source_url,
        pd.Timestamp(total.start),
        pd.Timestamp(total.end),
        units=int(total.units),
        units_level=int(total.admin_level),
        units_of=pcode,
    )


def part_reports(
    metric: str,
    place: pd.Series,
    kids: pd.DataFrame,
    below: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> PartReports | None:
    """Each part's own figure of `metric` as the page's card lists them (`parts.reports`),
    the largest `parts.PARTS_LISTED` of them; None when no part reports."""
    found = parts.reports(metric, kids, below, date_from, date_to)
    if not found:
        return None
    largest = sorted(found, key=lambda pair: -pair[1].value)[: parts.PARTS_LISTED]
    return PartReports(
        tuple(
            dataclasses.replace(_cited(t, metric), units_of=kid)  # type: ignore[arg-type]
            for kid, t in largest
        ),
        len(found),
        parts.parts_level(place, kids),
        str(place["pcode"]),
    )


def cards(
    own: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
    sums: pd.DataFrame | None = None,
    pcode: str | None = None,
    within: tuple[pd.Series, pd.DataFrame, pd.DataFrame] | None = None,
) -> Cards:
    """The headline cards' facts by the page's rules (`headline.headline_cards`): the place's
    own figures, else the one sum the page allows (one publication's units, `parts`), else
    what its parts report; `within` is (the place, its children, their figures)."""
    # The page's picks, once: the totals and each metric's counted figures (for the change).
    own_picked = rules.headline(own, date_from, date_to)
    population, idps, new = own_picked.population, own_picked.idps, own_picked.new
    share = None
    # A share is only ever of the place's own figures.
    if idps is not None and population is not None and population.value:
        exact = idps.qualifier == population.qualifier == Qualifier.EXACT.value
        share = Share(idps.value / population.value, exact)
    sums = sums if sums is not None else pd.DataFrame()

    def pick(own_total: rules.Total | None, metric: str) -> Cited | None:
        if own_total is not None:
            cited = _cited(own_total, metric)
            previous = (
                rules.previous_report(own_picked.of[metric], own_total)
                if metric != "new_displacements"
                else None
            )
            if cited is not None and previous is not None:
                before, when = previous
                change = (own_total.value - before) / before
                cited = dataclasses.replace(cited, change=change, change_since=when)
            return cited
        return _summed(parts.chosen_sum(sums, metric, date_from, date_to), metric, pcode)

    picked = {
        "population": pick(population, "population"),
        "idps": pick(idps, "idps"),
        "new_displacements": pick(new, "new_displacements"),
    }
    listed: dict[str, PartReports] = {}
    if within is not None and not within[2].empty:
        for metric, figure in picked.items():
            found = part_reports(metric, *within, date_from, date_to) if figure is None else None
            if found is not None:
                listed[metric] = found
    return Cards(picked["population"], picked["idps"], picked["new_displacements"], share, listed)


def lines(own: pd.DataFrame) -> list[Line]:
    """The time series' drawn series, split as the page splits them (`charts.drawn_rows`)."""
    rows, series = charts.drawn_rows(own)
    out = []
    for one in series:
        part = rows.iloc[one.start : one.stop]
        first = part.iloc[0]
        out.append(
            Line(
                str(first["metric"]),
                one.kind,
                one.publisher,
                first["role"] == Role.TRIANGULATION.value,
                pd.Timestamp(first["period_start"]) if one.kind == "cumulative" else None,
                tuple(pd.Timestamp(t) for t in part["period_start"]),
                tuple(pd.Timestamp(t) for t in part["period_end"]),
                tuple(float(v) for v in part["value"]),
            )
        )
    return out


def disputes(disputed: pd.DataFrame, threshold: float, limit: int) -> list[Dispute]:
    """The disagreements the page lists (`rules.disagreements`), with each figure cited."""
    if disputed.empty:
        return []
    frame = disputed.assign(org=disputed["publisher"].map(organisation))
    out: list[tuple[float, Dispute]] = []
    for _, group in frame.groupby(RECOMMENDED_KEY, dropna=False, sort=False):
        high = float(group["value"].max())
        if group["org"].nunique() < 2 or high <= 0:
            continue
        spread = (high - float(group["value"].min())) / high
        if spread <= threshold:
            continue
        ordered = group.sort_values("value", ascending=False, kind="stable")
        first = ordered.iloc[0]
        origin = first["origin_pcode"] if isinstance(first["origin_pcode"], str) else None
        out.append(
            (
                spread,
                Dispute(
                    str(first["pcode"]),
                    str(first["metric"]),
                    origin,
                    tuple(
                        Cited(
                            str(r.metric),
                            int(r.value),
                            str(r.qualifier),
                            r.publisher,
                            r.source_url,
                            pd.Timestamp(r.period_start),
                            pd.Timestamp(r.period_end),
                        )
                        for r in frame_rows.rows(ordered)
                    ),
                    tuple(r == Role.TRIANGULATION.value for r in ordered["role"]),
                ),
            )
        )
    out.sort(key=lambda pair: pair[0], reverse=True)
    return [d for _, d in out[:limit]]


def sources(figs: pd.DataFrame, cited: list[Cited]) -> list[Source]:
    """Every publication behind the view and every one the pack cites, with a link."""
    links: dict[str, str | None] = {}
    for publication, url in (
        zip(figs["publisher"], figs["source_url"], strict=True) if len(figs) else []
    ):
        if isinstance(publication, str) and not links.get(publication):
            links[publication] = url if isinstance(url, str) else None
    for c in cited:
        if isinstance(c.publication, str) and not links.get(c.publication):
            links[c.publication] = c.url
    return [Source(p, links[p]) for p in sorted(links, key=lambda p: (organisation(p), p))]


# The newest figures of the table a pack lists: the CSV export holds them all.
TABLE_ROWS = 10


def table_rows(shown: pd.DataFrame) -> list[Cited]:
    """The newest `TABLE_ROWS` figures of the table, in the table's order, each cited."""
    newest = figure_table.newest_first(shown).head(TABLE_ROWS)
    return [
        Cited(
            str(r.metric),
            int(r.value),
            str(r.qualifier),
            r.publisher if isinstance(r.publisher, str) else None,
            r.source_url if isinstance(r.source_url, str) else None,
            pd.Timestamp(r.period_start),
            pd.Timestamp(r.period_end),
            units_of=str(r.pcode),
            sex=r.sex if isinstance(r.sex, str) else None,
            age_group=r.age_group if isinstance(r.age_group, str) else None,
        )
        for r in frame_rows.rows(newest)
    ]


def _all_cited(cards_: Cards, disputes_: list[Dispute]) -> list[Cited]:
    shown = [c for c in (cards_.population, cards_.idps, cards_.new) if c is not None]
    shown += [c for listed in cards_.parts.values() for c in listed.figures]
    return shown + [c for d in disputes_ for c in d.figures]


def build(
    view: data.View,
    own_shown: pd.DataFrame,
    events: pd.DataFrame,
    figs: pd.DataFrame,
    loads: pd.DataFrame,
    places: pd.DataFrame,
    state: ViewState,
    threshold: float,
    now: dt.datetime,
    table_query: str = "",
    shapes: dict[str, Shape] | None = None,
) -> Pack:
    """The pack of one view from what the page reads for it (a pure function); `shapes`,
    the admin boundaries by P-code, give the map its areas."""
    start, end = state.date_from, state.date_to
    below = data.within(view)
    facts = cards(
        view.own, start, end, view.sums, str(view.place["pcode"]), (view.place, view.kids, below)
    )
    kids = data.breakdown(view, state)
    found = disputes(view.disputed, threshold, rules.DISAGREEMENTS_SHOWN)
    shown, applied = _filtered(figs, table_query)
    listed = table_rows(shown)
    cited = _all_cited(facts, found) + listed
    place = view.place
    return Pack(
        pcode=str(place["pcode"]),
        name=str(place["name"]),
        name_ar=place["name_ar"] if isinstance(place.get("name_ar"), str) else None,
        date_from=start,
        date_to=end,
        generated=now,
        loads=[
            (str(r.source), None if pd.isna(r.last_loaded) else pd.Timestamp(r.last_loaded))
            for r in frame_rows.rows(loads)
        ],
        table_filter=applied,
        cards=facts,
        lines=lines(own_shown),
        events=[(pd.Timestamp(e.date), str(e.title)) for e in frame_rows.rows(events)],
        breakdown=kids,
        points=located(kids, places),
        disputes=found,
        sources=sources(shown, cited),
        count=int(view.count),
        cited=cited,
        table=listed,
        table_count=len(shown),
        # Every part, with a figure or without (grey), as the page's map draws them.
        areas={p: (shapes or {})[p] for p in view.kids["pcode"] if p in (shapes or {})},
        names=_names(
            places,
            [
                str(place["pcode"]),
                *view.kids["pcode"],
                *_dispute_places(found),
                *[c.units_of for c in listed],
                *[c.units_of for listed in facts.parts.values() for c in listed.figures],
            ],
        ),
    )


def located(rows: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Breakdown rows with their places' coordinates, those without any left out: what the
    pack's map draws (the places within at their seat towns)."""
    coords = places[["pcode", "lat", "lon"]]
    return rows.merge(coords, on="pcode", how="left").dropna(subset=["lat", "lon"])


def _dispute_places(found: list[Dispute]) -> list[str]:
    return [p for d in found for p in (d.pcode, d.origin_pcode) if p]


def _names(places: pd.DataFrame, pcodes: list[str]) -> dict[str, tuple[str, str | None]]:
    rows = places[places["pcode"].isin(set(pcodes))]
    return {
        str(r.pcode): (str(r.name), r.name_ar if isinstance(r.name_ar, str) and r.name_ar else None)
        for r in frame_rows.rows(rows)
    }


def _filtered(figs: pd.DataFrame, query: str) -> tuple[pd.DataFrame, str]:
    """The figures under the table's filter and the filter applied ("" when none or bad)."""
    try:
        conditions = table_filter.parse_filter(query)
        return table_filter.apply_filter(figs, conditions), query if conditions else ""
    except table_filter.FilterError:
        return figs, ""


def check_request(ref: data.Reference, state: ViewState) -> None:
    """Refuse a view the store cannot show, in words: unknown place, dates reversed."""
    if state.selected not in ref.known:
        raise BriefError(f"unknown place {state.selected!r}: use a P-code of the gazetteer")
    if state.date_from and state.date_to and state.date_from > state.date_to:
        raise BriefError(
            f"the dates are reversed: {state.date_from.isoformat()} is after "
            f"{state.date_to.isoformat()}"
        )


def load(
    store: Store,
    state: ViewState,
    threshold: float,
    now: dt.datetime,
    table_query: str = "",
) -> Pack:
    """Read one view from the store and build its pack; `BriefError` for a bad request."""
    ref = data.reference(store)
    check_request(ref, state)
    # The gazetteer knows a district by its governorate: the page's state has both.
    v = data.view(store, ref, state, threshold)
    line = data.timeline(store, ref, state)
    return build(
        v,
        data.shown(line.own, state.date_from),
        line.events,
        data.figures(store, ref, state),
        data.freshness(store),
        ref.places,
        state,
        threshold,
        now,
        table_query,
        # The page's map draws the same shipped boundaries (`boundaries.SHIPPED`).
        boundaries.load(),
    )
