"""What a view of a date range reads: the figures of the range, and the latest earlier reports
of each stock (so the stock as of the range, and its change, are right), on both backends."""

import datetime as dt

import pandas as pd

from dashboard import data, headline, ranges
from dashboard.state import ViewState
from etl.store import Store, reads, writes
from schemas.figures import COLUMNS
from tests import oracles
from tests.factories import figure_frame, figure_record

FROM, TO = dt.date(2020, 3, 1), dt.date(2020, 3, 31)


def _stock(day: str, value: int, **fields: object) -> dict[str, object]:
    return figure_record(period_start=day, period_end=day, value=value, **fields)


def _load(store: Store, *records: dict[str, object]) -> None:
    writes.replace_figures(store.engine, "hxl", "test.csv", figure_frame(*records))


def _ids(frame: pd.DataFrame) -> set[tuple[str, str, int]]:
    return {
        (r.metric, r.period_end.date().isoformat(), int(r.value))
        for r in frame.itertuples(index=False)
    }


def _earlier_read_and_cut(store: Store) -> list[pd.DataFrame]:
    """The range with earlier stocks as the store reads it, and as cut from the place's
    figures read once (what the dashboard does): both must agree."""
    read = oracles.figures_with_earlier_stocks(store.engine, ["SY07"], FROM, TO, COLUMNS)
    every = data.place_figures(store, "SY07", []).own
    return [read, ranges.with_earlier_stocks(every, FROM, TO, ranges.EARLIER_STOCKS)]


def test_a_range_reads_its_figures_and_the_two_latest_earlier_stocks(store: Store) -> None:
    _load(
        store,
        _stock("2020-01-10", 100),
        _stock("2020-01-20", 200),
        _stock("2020-02-10", 300),
        _stock("2020-03-15", 400),
        _stock("2020-04-15", 500),  # after the range
        _stock("2020-01-05", 9_000, metric="population"),
        figure_record(
            metric="new_displacements",
            period_start="2020-02-01",
            period_end="2020-02-20",
            value=50,
        ),
        figure_record(
            metric="new_displacements",
            period_start="2020-02-25",
            period_end="2020-03-05",
            value=60,
        ),
    )
    for found in _earlier_read_and_cut(store):
        assert _ids(found) == {
            ("idps", "2020-01-20", 200),
            ("idps", "2020-02-10", 300),
            ("idps", "2020-03-15", 400),
            ("population", "2020-01-05", 9_000),
            ("new_displacements", "2020-03-05", 60),  # overlaps the range; the earlier flow not
        }
    plain = reads.figures(store.engine, pcodes=["SY07"], date_from=FROM, date_to=TO)
    assert _ids(plain) == {("idps", "2020-03-15", 400), ("new_displacements", "2020-03-05", 60)}


def test_earlier_stocks_are_kept_per_publisher_and_role(store: Store) -> None:
    _load(
        store,
        _stock("2020-01-10", 100, publisher="OCHA"),
        _stock("2020-01-10", 150, publisher="CCCM Cluster"),
        _stock("2020-01-11", 160, publisher="CCCM Cluster", role="triangulation"),
        _stock("2019-12-10", 90, publisher="OCHA"),
        _stock("2019-11-10", 80, publisher="OCHA"),  # third before the range: not needed
    )
    for found in _earlier_read_and_cut(store):
        assert sorted(found["value"].astype(int)) == [90, 100, 150, 160]


def test_an_organisations_reports_under_different_titles_are_one_series(store: Store) -> None:
    _load(
        store,
        _stock("2020-02-10", 300, publisher="OCHA, Flash Update 5 (2020-02-10)"),
        _stock("2020-01-20", 200, publisher="OCHA, Flash Update 4 (2020-01-20)"),
        _stock("2020-01-10", 100, publisher="OCHA, Flash Update 3 (2020-01-10)"),  # not needed
        _stock("2020-01-05", 150, publisher="CCCM Cluster, ISIMM (2020-01-05)"),
    )
    for found in _earlier_read_and_cut(store):
        assert sorted(found["value"].astype(int)) == [150, 200, 300]


def test_a_view_of_a_range_says_the_stock_as_of_it_and_the_change_since(store: Store) -> None:
    _load(store, _stock("2020-01-20", 200), _stock("2020-02-10", 300))
    ref = data.reference(store)
    view = data.view(store, ref, ViewState("SY07", None, FROM, TO), threshold=0.1)
    cards = {c.key: c for c in headline.headline_cards(view.own, FROM, TO)}
    assert cards["idps"].text == "300"
    assert cards["idps"].detail == "as of 2020-02-10 · +50% since 2020-01-20"
    assert view.count == 0  # nothing reported within the range itself


def test_a_place_read_looks_its_names_up_as_the_joins_give_them(store: Store) -> None:
    _load(
        store,
        _stock("2020-01-10", 100),
        _stock("2020-01-20", 200, origin_pcode="SY02"),
        _stock("2020-01-20", 300, origin_pcode="SY0299"),  # an origin the gazetteer lacks
        _stock("2020-01-20", 400, pcode="SY0799"),  # a place the gazetteer lacks
    )
    f = reads.tables.figures
    for pcodes in (["SY07"], ["SY07", "SY0799"], ["SY0799"], ["nowhere"]):
        where = f.c.pcode.in_(pcodes)
        joined = reads.figure_frame(
            store.engine, reads.figure_select(reads.VIEW_COLUMNS).where(where)
        )
        looked_up = reads.figure_frame(
            store.engine, reads.figure_select(reads.VIEW_COLUMNS, names_joined=False).where(where)
        )
        pd.testing.assert_frame_equal(looked_up, joined)
    names = reads.figures(store.engine, pcodes=["SY07", "SY0799"], columns=reads.VIEW_COLUMNS)
    assert names["place_name"].notna().sum() == 3
    assert names["origin_name"].notna().sum() == 1
