"""The view a visitor lands on: the place and dates whose headline cards all show a number.

A page that opens on a place with no figure of its own opens on four dashes. The landing view
is instead the place whose own recommended figures fill the most cards (population, people
displaced, newly displaced, and the share, which needs the first two), and among those the
freshest: the one whose oldest card figure is the most recent. Its dates run from the start
of its latest flow report (so that report lies within the range and its card counts it) to
the store's last date.
"""

import datetime as dt

import pandas as pd

from dashboard.state import DEFAULT_PLACE, ViewState
from schemas.pcodes import ancestor_at

# The metrics of the headline cards (`headline.headline_cards`); the share needs the first two.
STOCKS = ("population", "idps")
FLOW = "new_displacements"
CARD_METRICS = (*STOCKS, FLOW)


def _rank(metrics: dict[str, pd.Series], level: float) -> tuple:
    """How well a place fills the cards: more cards, fresher figures, a wider place first."""
    cards = len(metrics) + (1 if all(m in metrics for m in STOCKS) else 0)
    oldest = min(row["period_end"] for row in metrics.values())
    return (cards, oldest, -level)


def landing_state(
    freshest: pd.DataFrame,
    places: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> ViewState:
    """The landing view, from each place's latest counted figure per card metric
    (`aggregates.freshest`: pcode, metric, period_start, period_end).

    Only places of `places` (the page's gazetteer) are candidates; with none, the view is the
    country default over every date.
    """
    fallback = ViewState(DEFAULT_PLACE, None, date_from, date_to)
    if freshest.empty or places.empty:
        return fallback
    levels = places.set_index("pcode")["admin_level"]
    rows = freshest[freshest["metric"].isin(CARD_METRICS) & freshest["pcode"].isin(levels.index)]
    best: tuple | None = None
    chosen: tuple[str, dict[str, pd.Series]] | None = None
    for pcode, group in sorted(rows.groupby("pcode"), key=lambda item: str(item[0])):
        metrics = {str(r["metric"]): r for _, r in group.iterrows()}
        level = levels.get(pcode)
        # An area (no admin level) ranks with its country's governorates.
        rank = _rank(metrics, 0.5 if pd.isna(level) else float(level))
        if best is None or rank > best:
            best, chosen = rank, (str(pcode), metrics)
    if chosen is None:
        return fallback
    pcode, metrics = chosen
    start = metrics[FLOW]["period_start"].date() if FLOW in metrics else date_from
    place, district = _placed(pcode, levels.get(pcode))
    return ViewState(place, district, start, date_to)


def _placed(pcode: str, level: object) -> tuple[str, str | None]:
    """(place, district) of the page's filters for a place: a unit below admin 1 sits under
    its governorate, as a click on it in the breakdown would put it."""
    if pd.isna(level) or int(level) <= 1:  # type: ignore[call-overload]
        return pcode, None
    return ancestor_at(pcode, 1) or pcode, pcode
