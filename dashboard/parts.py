"""What a place's parts report when it has no figure of its own, for its headline cards.

Figures of different publishers or dates are never added to make one. The one sum there is:
when a publication gives only lower-level figures (ISIMM's sites summed per district, DTM's
wards), a parent may show the sum of that one publication's units for one period, labelled as
a sum with the count of units. Otherwise a card says the place has no figure and lists what
its parts report, each with its own publisher and date.

The sums are made in the store (`etl.store.aggregates.unit_sums`, the one home of that rule);
this module only chooses which of them a card shows (`chosen_sum`) and says it in words.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard import rules
from dashboard.formatting import format_date, format_period, format_value, publisher_name
from dashboard.headline import Card
from schemas.pcodes import country_of

# One publication, one metric, one period, one level of units: what a sum may span.
SUM_KEY = [
    "source",
    "dataset",
    "publisher",
    "metric",
    "period_start",
    "period_end",
    "admin_level",
]
CARD_LABELS = {
    "population": ("population", "Population"),
    "idps": ("idps", "People displaced"),
    "new_displacements": ("new", "Newly displaced in range"),
}
FLOW = "new_displacements"
# How many parts a card lists before "+N more".
PARTS_LISTED = 3
# Syria's names for its admin levels (COD-AB); other countries' units are named by level.
_SYRIA_LEVELS = {0: "country", 1: "governorate", 2: "district", 3: "sub-district"}


def level_name(pcode: str, level: object, plural: bool = False) -> str:
    """What a unit of this admin level is called ("governorate", "districts", "admin 2 units")."""
    if pd.isna(level):  # type: ignore[call-overload]
        return "areas" if plural else "area"
    n = int(level)  # type: ignore[call-overload]
    name = _SYRIA_LEVELS.get(n) if country_of(pcode) == "SY" else None
    name = name or ("country" if n == 0 else f"admin {n} unit")
    if not plural:
        return name
    return "countries" if name == "country" else name + "s"


@dataclass(frozen=True)
class UnitSum:
    """One publication's units added up for one period: a number and what it rests on."""

    value: int
    qualifier: str
    units: int
    admin_level: int
    publisher: str | None
    source_url: str | None
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def text(self) -> str:
        """The sum as its parts were published ("955,000+")."""
        return format_value(self.value, self.qualifier)


def chosen_sum(
    sums: pd.DataFrame, metric: str, date_from: dt.date | None, date_to: dt.date | None
) -> UnitSum | None:
    """The sum a card shows: of a stock, the latest as of `date_to`; of a flow, the latest
    whose period lies within the range. Each publication counts at the widest level of units
    it reports for the period (its districts, not also their sub-districts); a "sum" of one
    unit is that unit's own figure, listed rather than summed."""
    if sums.empty:
        return None
    rows = sums[sums["metric"] == metric]
    if date_to is not None:
        rows = rows[rows["period_end"] <= pd.Timestamp(date_to)]
    if metric == FLOW and date_from is not None:
        rows = rows[rows["period_start"] >= pd.Timestamp(date_from)]
    if rows.empty:
        return None
    publication = [k for k in SUM_KEY if k != "admin_level"]
    widest = rows.groupby(publication, dropna=False)["admin_level"].transform("min")
    rows = rows[(rows["admin_level"] == widest) & (rows["units"] >= 2)]
    if rows.empty:
        return None
    # The latest; on one date, the sum of the widest units (closest to the place), then of
    # the most of them.
    last = rows.assign(
        depth=-rows["admin_level"].astype("int64"), publisher_key=rows["publisher"].fillna("")
    ).sort_values(
        ["period_end", "depth", "units", "value", "source", "dataset", "publisher_key"],
        kind="stable",
    )
    r = last.iloc[-1]
    return UnitSum(
        int(r["value"]),
        str(r["qualifier"]),
        int(r["units"]),
        int(r["admin_level"]),
        r["publisher"] if isinstance(r["publisher"], str) else None,
        r["source_url"] if isinstance(r["source_url"], str) else None,
        r["period_start"],
        r["period_end"],
    )


def _scope(place: pd.Series) -> str:
    """ "governorate-wide", "country-wide", "area-wide": what the place's own figure would be."""
    return level_name(str(place["pcode"]), place["admin_level"]) + "-wide"


def parts_level(place: pd.Series, kids: pd.DataFrame) -> int | None:
    """The admin level of a place's parts when they share one; None for an area's members
    (or parts of mixed levels)."""
    if pd.isna(place["admin_level"]) or kids.empty:
        return None
    levels = kids["admin_level"].dropna().unique()
    return int(levels[0]) if len(levels) == 1 else None


def _kids_word(place: pd.Series, kids: pd.DataFrame) -> str:
    """What the place's parts are called: its districts, or the members of an area."""
    if pd.isna(place["admin_level"]) or kids.empty:
        return "member units"
    level = parts_level(place, kids)
    return level_name(str(place["pcode"]), level, plural=True) if level is not None else "parts"


def _listed(reports: list[tuple[int, str]]) -> str:
    """The largest reports first, a few of them, and how many more there are."""
    reports = sorted(reports, key=lambda r: -r[0])
    shown = "; ".join(text for _, text in reports[:PARTS_LISTED])
    more = len(reports) - PARTS_LISTED
    return shown + (f"; +{more} more" if more > 0 else "")


def reports(
    metric: str,
    kids: pd.DataFrame,
    below: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> list[tuple[str, rules.Total]]:
    """Each part's own latest stock, or its flows of the range by the page's rules, as
    (pcode, total): what a card lists for a place without a figure of its own."""
    if metric == FLOW:
        # The counted flows once, then each part's: filtering the frame per part cost more
        # than the rest of a view (`rules.breakdown` does the same).
        totals = rules.flow_totals(below, metric, date_from, date_to)
    else:
        totals = {p: t for (p, _), t in rules.latest_stocks(below, [metric], date_to).items()}
    return [(str(p), totals[p]) for p in kids["pcode"] if p in totals]


def _reports(
    metric: str,
    kids: pd.DataFrame,
    below: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> list[tuple[int, str]]:
    """`reports` in words, as (value, "Name 1,234 (who, when)")."""
    names = dict(zip(kids["pcode"], kids["name"], strict=True))
    out = []
    for pcode, total in reports(metric, kids, below, date_from, date_to):
        when = format_period(total.start, total.end) if metric == FLOW else format_date(total.end)
        who = publisher_name(total.publisher)
        out.append((total.value, f"{names[pcode]} {total.text} ({who}, {when})"))
    return out


def part_cards(
    place: pd.Series,
    kids: pd.DataFrame,
    below: pd.DataFrame,
    sums: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
    metrics: Sequence[str] | None = None,
) -> dict[str, Card]:
    """Per card metric (of `metrics`, by default all): the card of a place without a figure
    of its own, from its parts.

    `below` holds the children's figures (their latest stocks, their flows of the range),
    `sums` the sums of one publication's units below the place (`unit_sums`). A metric whose
    parts report nothing has no card here (the place's card then says there is no report).
    """
    cards: dict[str, Card] = {}
    scope = _scope(place)
    for metric, (key, label) in CARD_LABELS.items():
        if metrics is not None and metric not in metrics:
            continue
        total = chosen_sum(sums, metric, date_from, date_to)
        if total is not None:
            when = (
                format_date(total.end) if metric != FLOW else format_period(total.start, total.end)
            )
            units = level_name(str(place["pcode"]), total.admin_level, plural=True)
            who = publisher_name(total.publisher)
            cards[metric] = Card(
                key,
                label,
                total.text,
                f"no {scope} figure; sum of {total.units} {units}, {who}, {when}",
                who,
                total.source_url,
            )
            continue
        reports = _reports(metric, kids, below, date_from, date_to) if not below.empty else []
        if reports:
            cards[metric] = Card(
                key,
                label,
                "–",
                f"no {scope} figure; its {_kids_word(place, kids)} report: {_listed(reports)}",
            )
    return cards


def missing_metrics(
    own: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
    picked: rules.Headline | None = None,
) -> list[str]:
    """The card metrics a place has no counted figure of, as the cards would pick them
    (`picked`: `rules.headline` of these figures and dates, when the caller has it)."""
    picked = picked or rules.headline(own, date_from, date_to)
    return [metric for metric in CARD_LABELS if picked.total(metric) is None]
