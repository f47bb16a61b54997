"""The number rules, as pure functions of figure frames: what counts and how it adds up.

Rules that keep every number honest: only `recommended` figures count; a stock is the
latest report as of the end of the range; flows are summed for one publisher only, never
over overlapping periods (a cumulative run counts once, by its latest report); a figure
reported for an area stays on that area.
"""

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard import frame_rows, ranges
from dashboard.formatting import (
    METRIC_LABELS,
    format_date,
    format_period,
    format_value,
    organisations,
    publisher_name,
)
from schemas.enums import Qualifier, Role
from schemas.figures import COUNTED_ROLE, COUNTED_UNIT, RECOMMENDED_KEY


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


def counted(figs: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Recommended, undisaggregated figures in people (of `metrics`), with the rule columns."""
    if figs.empty:
        return figs
    # On the columns' arrays: each pandas operation costs more than the few hundred rows of a
    # view's frame, and a view asks this many times.
    keep = (
        (figs["role"].to_numpy() == COUNTED_ROLE)
        & pd.isna(figs["sex"].to_numpy())
        & pd.isna(figs["age_group"].to_numpy())
        & (figs["unit"].to_numpy() == COUNTED_UNIT)
    )
    if metrics is not None:
        keep &= np.isin(figs["metric"].to_numpy(), list(metrics))
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
    # One pass over plain records: a view's stocks are a few rows, and a sort and a group-by
    # cost pandas far more than walking them.
    latest: dict[tuple[str, str], dict] = {}
    for r in frame_rows.records(rows) if not rows.empty else []:
        key = (r["pcode"], r["metric"])
        best = latest.get(key)
        if best is None or (r["period_end"], r["figure_id"]) > (
            best["period_end"],
            best["figure_id"],
        ):
            latest[key] = r
    return {key: _total(r) for key, r in latest.items()}


def by_metric(rows: pd.DataFrame, metrics: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Counted figures split by metric (an empty frame stays whole: it may lack columns)."""
    if rows.empty:
        return dict.fromkeys(metrics, rows)
    column = rows["metric"].to_numpy()
    return {m: rows[column == m] for m in metrics}


def latest_stock(figs: pd.DataFrame, metric: str, date_to: dt.date | None) -> Total | None:
    """The latest recommended stock reported as of `date_to`."""
    return latest_counted(counted(figs, [metric]), date_to)


def latest_counted(rows: pd.DataFrame, date_to: dt.date | None) -> Total | None:
    """`latest_stock` over the counted figures of one metric."""
    if date_to is not None and not rows.empty:
        rows = rows[rows["period_end"] <= pd.Timestamp(date_to)]
    if rows.empty:
        return None
    # The last by (period_end, figure_id): the rows of the latest day, then the highest id.
    ends = rows["period_end"].to_numpy()
    last_day = rows[ends == ends.max()]
    return _total(frame_rows.records(last_day.iloc[[last_day["figure_id"].to_numpy().argmax()]])[0])


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
    return flow_sum(_flow_records(figs, metric, date_from, date_to))


def flow_totals(
    figs: pd.DataFrame, metric: str, date_from: dt.date | None, date_to: dt.date | None
) -> dict[str, Total]:
    """`flow_total` of each place of the figures, from one pass over them."""
    return totals_by_place(_flow_records(figs, metric, date_from, date_to))


def totals_by_place(records: list[dict]) -> dict[str, Total]:
    """`flow_sum` of each place's counted flows (`counted_flows`' records)."""
    flows_of: dict[str, list[dict]] = {}
    for record in records:
        flows_of.setdefault(record["pcode"], []).append(record)
    totals = {pcode: flow_sum(records) for pcode, records in flows_of.items()}
    return {pcode: total for pcode, total in totals.items() if total is not None}


@dataclass(frozen=True)
class FlowRecords:
    """A place's counted flows of one metric as `counted_flows` gives them, for any range:
    made once per place, so that each range picks its records instead of making them (on a
    national view, most of the breakdown's time)."""

    records: list[dict]
    starts: np.ndarray  # each record's first and last day, as datetime64
    ends: np.ndarray

    def inside(self, date_from: dt.date | None, date_to: dt.date | None) -> list[dict]:
        """The records whose whole period lies within the range (`ranges.inside`)."""
        keep = np.ones(len(self.records), dtype=bool)
        if date_from is not None:
            keep &= self.starts >= pd.Timestamp(date_from).to_datetime64()
        if date_to is not None:
            keep &= self.ends <= pd.Timestamp(date_to).to_datetime64()
        return [self.records[i] for i in np.flatnonzero(keep).tolist()]


def flow_records(figs: pd.DataFrame, metric: str) -> FlowRecords:
    """The counted flows of `metric` among the figures, for `FlowRecords.inside`."""
    rows = counted(figs, [metric])
    if rows.empty:
        none = np.array([], dtype="datetime64[us]")
        return FlowRecords([], none, none)
    return FlowRecords(
        counted_flows(rows, None, None),
        rows["period_start"].to_numpy(),
        rows["period_end"].to_numpy(),
    )


def _flow_records(
    figs: pd.DataFrame, metric: str, date_from: dt.date | None, date_to: dt.date | None
) -> list[dict]:
    """Counted flows that lie within the range, as plain records with their `org`."""
    return counted_flows(counted(figs, [metric]), date_from, date_to)


def counted_flows(
    rows: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None
) -> list[dict]:
    """`_flow_records` over the counted figures of one metric."""
    if rows.empty:
        return []
    rows = ranges.inside(rows, date_from, date_to)
    # Days as plain numbers: the rule compares and subtracts periods thousands of times on a
    # national view, and Timestamps are slow at both; `flow_sum` gives dates back.
    days = {
        c: rows[c].to_numpy().astype("datetime64[D]").astype("int64")
        for c in ("period_start", "period_end")
    }
    return frame_rows.records(rows[_FLOW_COLUMNS].assign(org=organisations(rows), **days))


_FLOW_COLUMNS = ["pcode", "origin_pcode", "value", "qualifier", "publisher", "source_url"]


def _day(number: int) -> pd.Timestamp:
    return pd.Timestamp(number, unit="D")


def flow_sum(records: list[dict]) -> Total | None:
    """`flow_total` over counted flows as plain records (`counted_flows`: days as numbers),
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


CARD_METRICS = ["population", "idps", "new_displacements"]


@dataclass(frozen=True)
class Headline:
    """A place's counted figures by card metric, and the totals its cards show."""

    of: dict[str, pd.DataFrame]
    population: Total | None
    idps: Total | None
    new: Total | None

    def total(self, metric: str) -> Total | None:
        """The card total of one metric."""
        return {"population": self.population, "idps": self.idps}.get(metric, self.new)


def headline(figs: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None) -> Headline:
    """The latest stocks and the flows of the range a place's cards show, from its counted
    figures picked once."""
    of = by_metric(counted(figs, CARD_METRICS), CARD_METRICS)
    return Headline(
        of,
        latest_counted(of["population"], date_to),
        latest_counted(of["idps"], date_to),
        flow_sum(counted_flows(of["new_displacements"], date_from, date_to)),
    )


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
    return breakdown_of(figs, figs, kids, date_from, date_to)


def breakdown_of(
    stocks_of: pd.DataFrame,
    flows_of: pd.DataFrame,
    kids: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
    made: FlowRecords | None = None,
) -> pd.DataFrame:
    """`breakdown` with the stocks and the flows in frames of their own (a view reads them
    apart): the same rows as `breakdown` of the two together. `made`: the flows' records of
    `BREAKDOWN_FLOW` made once for any range (`flow_records` of the frame `flows_of` is cut
    from), which this range's are picked from."""
    stocks = latest_stocks(stocks_of, BREAKDOWN_STOCKS, date_to)
    if made is None:
        flows = flow_totals(flows_of, BREAKDOWN_FLOW, date_from, date_to)
    else:
        flows = totals_by_place(made.inside(date_from, date_to))
    rows = []
    for kid in frame_rows.rows(kids):
        idps = stocks.get((kid.pcode, "idps"))
        population = stocks.get((kid.pcode, "population"))
        new = flows.get(kid.pcode)
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


def change_since_previous(figs: pd.DataFrame, metric: str, total: Total | None) -> str:
    """How a stock moved since the previous report of the same publisher ("+12% since ...")."""
    return change(counted(figs, [metric]), total) if total is not None else ""


def previous_report(rows: pd.DataFrame, total: Total) -> tuple[int, pd.Timestamp] | None:
    """The same organisation's report before `total` among the counted figures of one metric:
    (its value, its date); None when there is none, or it is 0 (no change can be said)."""
    if rows.empty:
        return None
    ends = rows["period_end"].to_numpy()
    same = (organisations(rows).to_numpy() == publisher_name(total.publisher)) & (
        ends < pd.Timestamp(total.end).to_datetime64()
    )
    if not same.any():
        return None
    # The latest earlier report; of several that day, the last listed.
    at = np.flatnonzero(same & (ends == ends[same].max()))[-1]
    before = int(rows["value"].iloc[at])
    return (before, pd.Timestamp(ends[at])) if before else None


def change(rows: pd.DataFrame, total: Total) -> str:
    """`change_since_previous` over the counted figures of one metric."""
    previous = previous_report(rows, total)
    if previous is None:
        return ""
    before, when = previous
    return f"{(total.value - before) / before:+.0%} since {format_date(when)}"


# A briefing needs the widest disagreements, not thousands.
DISAGREEMENTS_SHOWN = 50


def _missing(value: object) -> bool:
    """True for any of the missing values a frame's records hold."""
    return value is None or value is pd.NA or value is pd.NaT or value != value


def _largest_first(record: dict) -> float:
    return float("inf") if _missing(record["value"]) else -int(record["value"])


def disagreements(
    figs: pd.DataFrame, threshold: float = 0.10, limit: int = DISAGREEMENTS_SHOWN
) -> pd.DataFrame:
    """Same place, metric, period and disaggregation from several publishers, far apart.

    The `limit` widest spreads, widest first: a briefing needs the worst, not thousands.
    """
    columns = ["pcode", "place", "metric", "period", "spread", "values"]
    if figs.empty:
        return pd.DataFrame(columns=columns)
    # The figures that should agree: the store's key of one recommended figure.
    keys = RECOMMENDED_KEY
    wanted = [*keys, "value", "qualifier", "role", "publisher", "place_name", "origin_name"]
    # Plain records grouped in one pass: a view's disputed figures are a few hundred, and
    # pandas' group-bys cost more than walking them.
    groups: dict[tuple, list[dict]] = {}
    for record in frame_rows.records(figs[wanted].assign(org=organisations(figs))):
        key = tuple(None if _missing(record[k]) else record[k] for k in keys)
        groups.setdefault(key, []).append(record)
    spreads: list[tuple[float, list[dict]]] = []
    for group in groups.values():
        values = [int(r["value"]) for r in group if not _missing(r["value"])]
        if not values:
            continue
        high, low = max(values), min(values)
        spread = (high - low) / high if high > 0 else 0.0
        if len({r["org"] for r in group}) >= 2 and spread > threshold:
            spreads.append((spread, group))
    # Widest first; equal spreads in the order the figures came (a stable sort).
    spreads.sort(key=lambda pair: -pair[0])
    rows = []
    for spread, unordered in spreads[:limit]:
        group = sorted(unordered, key=_largest_first)
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


def sort_breakdown(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Order child places by people displaced, newly displaced, or share of population."""
    column = by if by in ("idps", "new", "share") else "idps"
    return rows.sort_values(column, ascending=True, na_position="first")
