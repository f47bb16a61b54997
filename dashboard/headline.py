"""The headline cards of one place: its own figures by the number rules (`rules`), else what
its parts report (`parts`)."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from dashboard import rules
from dashboard.formatting import (
    format_date,
    format_period,
    format_share,
    publisher_name,
)
from schemas.enums import Qualifier


@dataclass(frozen=True)
class Card:
    """One headline card."""

    key: str
    label: str
    text: str
    detail: str
    source: str | None = None
    source_url: str | None = None


def headline_cards(
    figs: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
    parts: Mapping[str, Card] | None = None,
    picked: rules.Headline | None = None,
) -> list[Card]:
    """The four headline cards for the figures of one place.

    `parts`, per metric (`parts.part_cards`): the card to show when the place has no figure
    of its own, from what its parts report. The share is only ever of the place's own figures.
    `picked`: `rules.headline` of these figures and dates, when the caller has it already.
    """
    parts = parts or {}
    picked = picked or rules.headline(figs, date_from, date_to)
    of, population, idps, new = picked.of, picked.population, picked.idps, picked.new
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
    total: rules.Total | None,
    rows: pd.DataFrame,
    parts: Mapping[str, Card] | None = None,
) -> Card:
    """A stock's card; `rows` are the counted figures of its metric (for the change), `parts`
    the cards of what the place's parts report, for a place without a figure of its own."""
    key = metric
    if total is None:
        return (parts or {}).get(metric) or Card(key, label, "–", "no report as of this date")
    since = rules.change(rows, total)
    return Card(
        key,
        label,
        total.text,
        f"as of {format_date(total.end)}" + (f" · {since}" if since else ""),
        total.publisher,
        total.source_url,
    )


def _share_card(idps: rules.Total | None, population: rules.Total | None) -> Card:
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
