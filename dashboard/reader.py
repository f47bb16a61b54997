"""The store's reads the page draws from, each through the query cache when there is one."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
from flask_caching import Cache

from dashboard import data
from dashboard.cache import cached, peek
from dashboard.packed import PackedPlaces
from dashboard.settings import DashboardSettings
from dashboard.state import ViewState
from etl.store import Store, StoreError, reads

T = TypeVar("T")


@dataclass(frozen=True)
class Reader:
    """What a callback reads: the gazetteer, a place's figures, a view, a view's figures.

    Without a cache (a test, the command line) every read goes to the store; with `packed`,
    a place's figures are opened from there when they are packed, and packed when read.
    """

    store: Store
    settings: DashboardSettings
    cache: Cache | None = None
    packed: PackedPlaces | None = None

    def _cached(self, key: str, compute: Callable[[], T]) -> T:
        if self.cache is None:
            return compute()
        return cached(self.cache, self.store, key, compute)

    @property
    def threshold(self) -> float:
        """How far apart two publishers' figures must be to be shown as disagreeing."""
        return self.settings.disagreement_threshold

    def reference(self) -> data.Reference:
        """The gazetteer as the page needs it."""
        return self._cached("reference", lambda: data.reference(self.store))

    def reference_or_empty(self) -> data.Reference:
        """The gazetteer, or an empty one while the store is away (the page then says so)."""
        try:
            return self.reference()
        except StoreError:
            return data.page_data_unavailable()[0]

    def place_figures(self, pcode: str, below: list[str]) -> data.PlaceFigures:
        """A place's figures whatever the dates: a new range is cut from them in memory."""
        return self._cached(f"place|{pcode}", lambda: self._place_figures(pcode, below))

    def _place_figures(self, pcode: str, below: list[str]) -> data.PlaceFigures:
        def read() -> data.PlaceFigures:
            return data.place_figures(self.store, pcode, below)

        if self.packed is None:
            return read()
        return self.packed.read(reads.data_version(self.store.engine), pcode, read)

    def pack_place(self, pcode: str, below: list[str]) -> None:
        """Pack a place's figures unless they are (without opening them here)."""
        if self.packed is None:
            return
        version = reads.data_version(self.store.engine)
        if not self.packed.has(version, pcode):
            self.packed.put(version, pcode, data.place_figures(self.store, pcode, below))

    def place_sums(self, place: pd.Series) -> pd.DataFrame:
        """A place's unit sums at every date: each range is cut from them in memory."""
        return self._cached(f"sums|{place['pcode']}", lambda: data.place_sums(self.store, place))

    def view(self, s: ViewState) -> data.View:
        """What the page draws for one state."""
        return self._cached(
            f"view|{s}",
            lambda: data.view(
                self.store,
                self.reference(),
                s,
                self.threshold,
                self.place_figures,
                self.place_sums,
            ),
        )

    def within(self, s: ViewState) -> data.Within:
        """What the map of one state draws: from the state's view where this process has it
        (the cards' callback often came first), else read on its own, which costs less than
        a whole view."""
        if self.cache is not None:
            v = peek(self.cache, self.store, f"view|{s}")
            if v is not None:
                return data.within_of(v, s)
        return self._cached(
            f"within|{s}",
            lambda: data.within_view(self.store, self.reference(), s, self.place_figures),
        )

    def timeline(self, s: ViewState) -> data.Timeline:
        """What the time series of one state draws: its own figures taken from the state's
        view where this process has it (the cards' callback often came first)."""
        if self.cache is not None:
            v = peek(self.cache, self.store, f"view|{s}")
            if v is not None:
                return data.timeline_of(self.store, v, s)
        return data.timeline(self.store, self.reference(), s, self.place_figures)

    def figures(self, s: ViewState) -> pd.DataFrame:
        """Every figure behind a view: its filtered table and its exports."""
        return self._cached(f"figures|{s}", lambda: data.figures(self.store, self.reference(), s))

    def table_page(
        self, s: ViewState, page: object, size: int, sort_by: object
    ) -> tuple[list[dict[str, str]], int, int]:
        """One page of the unfiltered figures table, sorted and cut in the store."""
        return data.table_page(self.store, self.reference(), s, page, size, sort_by)

    def freshness(self) -> pd.DataFrame:
        """Per source: last successful load and last failure. Cached like every read: the
        runs it is read from are what the data version counts, so a run makes it anew."""
        return self._cached("freshness", lambda: data.freshness(self.store))

    def page_data(self) -> tuple[data.Reference, pd.DataFrame]:
        """The gazetteer and freshness a page starts from; empty while the store is away.

        Through the cache: the landing view is worked out over every figure, a second at a
        million of them, and every page load needs it.
        """
        try:
            return self.reference(), self.freshness()
        except StoreError:
            return data.page_data_unavailable()
