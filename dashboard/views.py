"""What the page shows, as pure functions of figure frames: headline cards and breakdowns.

Rules that keep every number honest: only `recommended` figures count; a stock is the
latest report as of the end of the range; flows are summed for one publisher only, never
over overlapping periods (a cumulative run counts once, by its latest report); a figure
reported for an area stays on that area.
"""

import bisect
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard import ranges
from dashboard.formatting import (
    METRIC_LABELS,
    format_date,
    format_period,
    format_share,
    format_value,
    organisations,
    publisher_name,
)
from dashboard.state import DEFAULT_PLACE
from schemas.enums import Qualifier, Role
from schemas.figures import COUNTED_ROLE, COUNTED_UNIT, UNKNOWN_PUBLISHER
from schemas.pcodes import country_of


@dataclass(frozen=True)
class Total:
    """A number on screen and what it rests on."""

    value: int
    qualifier: str
    publisher: str | None
    source_url: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    reports: int = 1

    @property
    def text(self) -> str:
        """The number as published ("1,000+")."""
        return format_value(self.value, self.qualifier)


@dataclass(frozen=True)
class Card:
    """One headline card."""

    key: str
    label: str
    text: str
    detail: str
    source: str | None = None
    source_url: str | None = None


# The columns the headline rules read: narrowing to them first keeps every later step cheap.
_RULE_COLUMNS = [
    "figure_id",
    "pcode",
    "metric",
    "origin_pcode",
    "period_start",
    "period_end",
    "value",
    "qualifier",
    "publisher",
    "source_url",
    "org",
]


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows of a frame as plain dicts, as `to_dict("records")` gives them, faster."""
    # Column by column: to_dict boxes every cell through a generic path, several times slower
    # on the thousands of flows of a national view.
    columns = list(frame.columns)
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def counted(figs: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Recommended, undisaggregated figures in people (of `metrics`), with the rule columns."""
    if figs.empty:
        return figs
    keep = (
        (figs["role"] == COUNTED_ROLE)
        & figs["sex"].isna()
        & figs["age_group"].isna()
        & (figs["unit"] == COUNTED_UNIT)
    )
    if metrics is not None:
        keep &= figs["metric"].isin(list(metrics))
    return figs.loc[keep, [c for c in _RULE_COLUMNS if c in figs.columns]]


def combine_qualifiers(qualifiers: list[str]) -> str:
    """The qualifier of a sum: exact only if every part is exact."""
    kinds = set(qualifiers) - {Qualifier.EXACT.value}
    if not kinds:
        return Qualifier.EXACT.value
    if len(kinds) == 1:
        return kinds.pop()
    return Qualifier.APPROXIMATELY.value


def _total(row: dict) -> Total:
    return Total(
        int(row["value"]),
        row["qualifier"],
        row["publisher"],
        row["source_url"],
        row["period_start"],
        row["period_end"],
    )


def latest_stocks(
    figs: pd.DataFrame, metrics: Sequence[str], date_to: dt.date | None
) -> dict[tuple[str, str], Total]:
    """Per (place, metric): the latest recommended stock reported as of `date_to`."""
    rows = counted(figs, metrics)
    if date_to is not None and not rows.empty:
        rows = rows[rows["period_end"] <= pd.Timestamp(date_to)]
    if rows.empty:
        return {}
    last = rows.sort_values(["period_end", "figure_id"]).groupby(["pcode", "metric"]).tail(1)
    return {(r["pcode"], r["metric"]): _total(r) for r in records(last)}


def _by_metric(rows: pd.DataFrame, metrics: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Counted figures split by metric (an empty frame stays whole: it may lack columns)."""
    return {m: rows[rows["metric"] == m] if not rows.empty else rows for m in metrics}


def latest_stock(figs: pd.DataFrame, metric: str, date_to: dt.date | None) -> Total | None:
    """The latest recommended stock reported as of `date_to`."""
    return _latest(counted(figs, [metric]), date_to)


def _latest(rows: pd.DataFrame, date_to: dt.date | None) -> Total | None:
    """`latest_stock` over the counted figures of one metric."""
    if date_to is not None and not rows.empty:
        rows = rows[rows["period_end"] <= pd.Timestamp(date_to)]
    if rows.empty:
        return None
    return _total(rows.sort_values(["period_end", "figure_id"]).iloc[-1].to_dict())


def _non_overlapping(rows: list[dict]) -> list[dict]:
    """Longest periods first, then any period that does not overlap one already taken."""
    # A cumulative run (same start, later ends) counts once, by its latest report.
    latest: dict[object, dict] = {}
    for row in sorted(rows, key=lambda r: r["period_end"]):
        latest[row["period_start"]] = row
    by_length = sorted(
        latest.values(),
        key=lambda r: (r["period_end"] - r["period_start"], r["period_end"]),
        reverse=True,
    )
    # The periods taken never overlap, so sorted by start only the one starting last at or
    # before a new period's end can overlap it: one bisection per period, not a scan.
    starts: list[object] = []
    ends: list[object] = []
    taken: list[dict] = []
    for row in by_length:
        start, end = row["period_start"], row["period_end"]
        at = bisect.bisect_right(starts, end)
        if at and ends[at - 1] >= start:
            continue
        starts.insert(at, start)
        ends.insert(at, end)
        taken.append(row)
    return taken


def flow_total(
    figs: pd.DataFrame, metric: str, date_from: dt.date | None, date_to: dt.date | None
) -> Total | None:
    """Flows within the range, summed for one publisher without double counting."""
    return _flow_total(_flow_records(figs, metric, date_from, date_to))


def _flow_records(
    figs: pd.DataFrame, metric: str, date_from: dt.date | None, date_to: dt.date | None
) -> list[dict]:
    """Counted flows that lie within the range, as plain records with their `org`."""
    return _flows_within(counted(figs, [metric]), date_from, date_to)


def _flows_within(
    rows: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None
) -> list[dict]:
    """`_flow_records` over the counted figures of one metric."""
    if rows.empty:
        return []
    rows = ranges.inside(rows, date_from, date_to)
    # Days as plain numbers: the rule compares and subtracts periods thousands of times on a
    # national view, and Timestamps are slow at both; `_flow_total` gives dates back.
    days = {
        c: rows[c].to_numpy().astype("datetime64[D]").astype("int64")
        for c in ("period_start", "period_end")
    }
    return records(rows[_FLOW_COLUMNS].assign(org=organisations(rows), **days))


_FLOW_COLUMNS = ["pcode", "origin_pcode", "value", "qualifier", "publisher", "source_url"]


def _day(number: int) -> pd.Timestamp:
    return pd.Timestamp(number, unit="D")


def _flow_total(records: list[dict]) -> Total | None:
    """`flow_total` over counted flows as plain records (`_flows_within`: days as numbers),
    each with its `org`."""
    # One place's flows are few: plain records are faster to walk than frames per group.
    by_org: dict[str, list[dict]] = {}
    for record in records:
        by_org.setdefault(record["org"], []).append(record)
    best: Total | None = None
    # One organisation's reports may be summed with each other, never with another's.
    for org in sorted(by_org):
        group = by_org[org]
        # Arrivals from named origins are parts of an all-origins figure: use one or the other.
        totals = [r for r in group if not isinstance(r["origin_pcode"], str)]
        parts: dict[object, list[dict]] = {}
        for r in group if not totals else []:
            parts.setdefault(r["origin_pcode"], []).append(r)
        chosen = [
            r for part in ([totals] if totals else parts.values()) for r in _non_overlapping(part)
        ]
        last = max(chosen, key=lambda r: r["period_end"])
        total = Total(
            int(sum(int(r["value"]) for r in chosen)),
            combine_qualifiers([r["qualifier"] for r in chosen]),
            last["publisher"],
            last["source_url"],
            _day(min(r["period_start"] for r in chosen)),
            _day(max(r["period_end"] for r in chosen)),
            len(chosen),
        )
        if best is None or (total.end, total.value) > (best.end, best.value):
            best = total
    return best


def headline_cards(
    figs: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
    parts: Mapping[str, Card] | None = None,
) -> list[Card]:
    """The four headline cards for the figures of one place.

    `parts`, per metric (`parts.part_cards`): the card to show when the place has no figure
    of its own, from what its parts report. The share is only ever of the place's own figures.
    """
    parts = parts or {}
    # The rules pick from the counted figures once, then from each metric's share of them.
    of = _by_metric(counted(figs), ["population", "idps", "new_displacements"])
    population = _latest(of["population"], date_to)
    idps = _latest(of["idps"], date_to)
    new = _flow_total(_flows_within(of["new_displacements"], date_from, date_to))
    cards = [
        _stock_card("population", "Population", population, of["population"], parts),
        _stock_card("idps", "People displaced", idps, of["idps"], parts),
    ]
    if new is None:
        cards.append(
            parts.get("new_displacements")
            or Card("new", "Newly displaced in range", "–", "no report in this period")
        )
    else:
        reports = f" ({new.reports} reports)" if new.reports > 1 else ""
        cards.append(
            Card(
                "new",
                "Newly displaced in range",
                new.text,
                f"{format_period(new.start, new.end)}{reports}",
                new.publisher,
                new.source_url,
            )
        )
    cards.append(_share_card(idps, population))
    return cards


def _stock_card(
    metric: str,
    label: str,
    total: Total | None,
    rows: pd.DataFrame,
    parts: Mapping[str, Card] | None = None,
) -> Card:
    """A stock's card; `rows` are the counted figures of its metric (for the change), `parts`
    the cards of what the place's parts report, for a place without a figure of its own."""
    key = metric
    if total is None:
        return (parts or {}).get(metric) or Card(key, label, "–", "no report as of this date")
    change = _change(rows, total)
    return Card(
        key,
        label,
        total.text,
        f"as of {format_date(total.end)}" + (f" · {change}" if change else ""),
        total.publisher,
        total.source_url,
    )


def _share_card(idps: Total | None, population: Total | None) -> Card:
    if idps is None or population is None or population.value == 0:
        return Card("share", "Share of population displaced", "–", "needs both figures")
    exact = idps.qualifier == population.qualifier == Qualifier.EXACT.value
    publishers = {publisher_name(t.publisher) for t in (idps, population) if t.publisher}
    source = " / ".join(sorted(publishers)) or None
    detail = f"{idps.text} of {population.text}"
    if len(publishers) > 1:
        detail += " (two publishers)"
    return Card(
        "share",
        "Share of population displaced",
        format_share(idps.value / population.value, exact),
        detail,
        source,
    )


def within_countries(places: pd.DataFrame, countries: set[str]) -> pd.DataFrame:
    """The places of the countries that have figures (of Syria, the default, when none has)."""
    keep = countries or {DEFAULT_PLACE}
    return places[places["pcode"].map(country_of).isin(keep)].reset_index(drop=True)


def menu_places(places: pd.DataFrame) -> pd.DataFrame:
    """The places the place menu offers: each country, its governorates and the response areas."""
    return places[(places["admin_level"].isin([0, 1])) | (places["kind"] == "area")]


def children(places: pd.DataFrame, members: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """The places one level below: admin children, or the members of an area."""
    if pcode in set(members["area_pcode"]):
        inside = members.loc[members["area_pcode"] == pcode, "member_pcode"]
        return places[places["pcode"].isin(inside)]
    return places[places["parent_pcode"] == pcode]


# What the breakdown shows of each child place: its latest stocks, and its flows in the range.
BREAKDOWN_STOCKS = ["idps", "population"]
BREAKDOWN_FLOW = "new_displacements"


def breakdown(
    figs: pd.DataFrame,
    kids: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> pd.DataFrame:
    """Per child place: the latest people displaced and the newly displaced in the range."""
    stocks = latest_stocks(figs, BREAKDOWN_STOCKS, date_to)
    flows_of: dict[str, list[dict]] = {}
    for record in _flow_records(figs, BREAKDOWN_FLOW, date_from, date_to):
        flows_of.setdefault(record["pcode"], []).append(record)
    rows = []
    for kid in kids.itertuples(index=False):
        idps = stocks.get((kid.pcode, "idps"))
        population = stocks.get((kid.pcode, "population"))
        new = _flow_total(flows_of[kid.pcode]) if kid.pcode in flows_of else None
        if idps is None and new is None:
            continue
        rows.append(
            {
                "pcode": kid.pcode,
                "name": kid.name,
                "name_ar": kid.name_ar,
                "idps": idps.value if idps else None,
                "idps_text": idps.text if idps else "–",
                "new": new.value if new else None,
                "new_text": new.text if new else "–",
                "share": idps.value / population.value
                if idps and population and population.value
                else None,
            }
        )
    return pd.DataFrame(
        rows, columns=["pcode", "name", "name_ar", "idps", "idps_text", "new", "new_text", "share"]
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
    for r in ordered.itertuples(index=False):
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


def change_since_previous(figs: pd.DataFrame, metric: str, total: Total | None) -> str:
    """How a stock moved since the previous report of the same publisher ("+12% since ...")."""
    return _change(counted(figs, [metric]), total) if total is not None else ""


def _change(rows: pd.DataFrame, total: Total) -> str:
    """`change_since_previous` over the counted figures of one metric."""
    same = rows[
        (organisations(rows) == publisher_name(total.publisher)) & (rows["period_end"] < total.end)
    ]
    if same.empty:
        return ""
    prev = same.sort_values("period_end").iloc[-1]
    before = int(prev["value"])
    if before == 0:
        return ""
    change = (total.value - before) / before
    return f"{change:+.0%} since {format_date(prev['period_end'])}"


# A briefing needs the widest disagreements, not thousands.
DISAGREEMENTS_SHOWN = 50


def disagreements(
    figs: pd.DataFrame, threshold: float = 0.10, limit: int = DISAGREEMENTS_SHOWN
) -> pd.DataFrame:
    """Same place, metric, period and disaggregation from several publishers, far apart.

    The `limit` widest spreads, widest first: a briefing needs the worst, not thousands.
    """
    columns = ["pcode", "place", "metric", "period", "spread", "values"]
    if figs.empty:
        return pd.DataFrame(columns=columns)
    keys = [
        "pcode",
        "origin_pcode",
        "metric",
        "period_start",
        "period_end",
        "sex",
        "age_group",
        "unit",
        "cause",
    ]
    wanted = [*keys, "value", "qualifier", "role", "publisher", "place_name", "origin_name"]
    data = figs[wanted].assign(org=organisations(figs))
    # One vectorised pass finds the disputed keys; strings are built for the shown ones only.
    data["group"] = data.groupby(keys, dropna=False, sort=False).ngroup()
    stats = data.groupby("group").agg(
        orgs=("org", "nunique"), high=("value", "max"), low=("value", "min")
    )
    high = stats["high"].astype("float")
    stats["spread"] = (high - stats["low"].astype("float")) / high.where(high > 0)
    shown = stats[(stats["orgs"] >= 2) & (stats["spread"] > threshold)]
    shown = shown.sort_values("spread", ascending=False).head(limit)
    # The disputed rows as plain records, sorted once: per-group frames cost more than the rest.
    disputed: dict[int, list[dict]] = {}
    ordered = data[data["group"].isin(shown.index)].sort_values(
        ["group", "value"], ascending=[True, False], kind="stable"
    )
    for record in records(ordered):
        disputed.setdefault(record["group"], []).append(record)
    rows = []
    for group_id, spread in shown["spread"].items():
        group = disputed[group_id]
        first = group[0]
        origin = first["origin_pcode"]
        origin_name = first["origin_name"] if isinstance(first["origin_name"], str) else None
        rows.append(
            {
                "pcode": first["pcode"],
                "place": first["place_name"]
                if isinstance(first["place_name"], str)
                else first["pcode"],
                "metric": METRIC_LABELS.get(first["metric"], first["metric"])
                + (f" from {origin_name or origin}" if isinstance(origin, str) else ""),
                "period": format_period(first["period_start"], first["period_end"]),
                "spread": float(spread),
                "values": "; ".join(
                    f"{r['org']}: {format_value(r['value'], r['qualifier'])}"
                    + (" (triangulation)" if r["role"] == Role.TRIANGULATION.value else "")
                    for r in group
                ),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def quality_flags(
    own: pd.DataFrame,
    figs: pd.DataFrame,
    kids: pd.DataFrame,
    place_name: str,
    date_to: dt.date | None,
) -> list[str]:
    """Published figures that cannot all be right: said, not hidden."""
    flags = []
    rows = counted(own, ["idps", "population"])
    idps = _latest(rows[rows["metric"] == "idps"] if not rows.empty else rows, date_to)
    population = _latest(rows[rows["metric"] == "population"] if not rows.empty else rows, date_to)
    if idps and population and idps.value > population.value:
        flags.append(
            f"People displaced in {place_name} ({idps.text}, {publisher_name(idps.publisher)}) "
            f"exceed its population ({population.text}, {publisher_name(population.publisher)})."
        )
    if idps is not None:
        stocks = latest_stocks(figs, ["idps"], date_to)
        for kid in kids.itertuples(index=False):
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
    for row in loads.itertuples(index=False):
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


def breadcrumb(places: pd.DataFrame, pcode: str) -> list[tuple[str, str]]:
    """(pcode, name) from the country down to the place; an area sits under its country."""
    index = places.set_index("pcode")
    trail = []
    current: str | None = pcode
    while isinstance(current, str) and current in index.index:
        row = index.loc[current]
        trail.append((current, str(row["name"])))
        parent = row["parent_pcode"]
        if not isinstance(parent, str) and row["kind"] == "area":
            parent = current.split("-")[0] if current.split("-")[0] in index.index else None
        current = parent if isinstance(parent, str) else None
    return list(reversed(trail))


def sort_breakdown(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Order child places by people displaced, newly displaced, or share of population."""
    column = by if by in ("idps", "new", "share") else "idps"
    return rows.sort_values(column, ascending=True, na_position="first")


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
