"""The dashboard's reads of the store, shaped for one view."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard.state import ViewState
from dashboard.views import children
from etl.store import Store, reads


@dataclass
class View:
    """Everything one state of the page needs."""

    place: pd.Series
    figures: pd.DataFrame  # the selected place and its children, up to the end date
    kids: pd.DataFrame
    events: pd.DataFrame


@dataclass
class Reference:
    """The gazetteer as the page needs it."""

    places: pd.DataFrame
    members: pd.DataFrame
    date_from: dt.date | None
    date_to: dt.date | None

    @property
    def known(self) -> set[str]:
        """Every place id."""
        return set(self.places["pcode"])


def reference(store: Store) -> Reference:
    """The gazetteer, area members and the dates the store covers."""
    start, end = reads.date_extent(store.engine)
    return Reference(reads.places(store.engine), reads.place_members(store.engine), start, end)


def view(store: Store, ref: Reference, state: ViewState) -> View:
    """The figures, child places and events for one state of the page."""
    places = ref.places.set_index("pcode", drop=False)
    pcode = state.selected if state.selected in places.index else "SY"
    kids = children(ref.places, ref.members, pcode)
    figs = reads.figures(store.engine, pcodes=[pcode, *kids["pcode"]], date_to=state.date_to)
    events = reads.events(store.engine, state.date_from, state.date_to)
    return View(places.loc[pcode], figs, kids, events)


def shown(figs: pd.DataFrame, date_from: dt.date | None) -> pd.DataFrame:
    """The figures a view lists: those whose period reaches into the range."""
    if date_from is None or figs.empty:
        return figs
    return figs[figs["period_end"] >= pd.Timestamp(date_from)]


def freshness(store: Store) -> pd.DataFrame:
    """Per source: last successful load and last failure."""
    return reads.last_loads(store.engine)
