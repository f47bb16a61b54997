"""A view aggregated in the store says exactly what the headline rules say over every figure
of the view, on both backends: the breakdown, quality flags, map arrows, disagreements and
count of many views of a synthetic store with disaggregations, triangulation, origins and
overlapping publishers; and the `disputes` table stays in step with every load."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import data, figure_table, map_figure, notices, ranges, rules
from dashboard.formatting import with_hovers, with_organisations
from dashboard.state import ViewState
from etl.pipeline import import_hxl
from etl.reference import load_reference
from etl.store import Store, disputes, open_store, writes
from etl.synth import generate, write_synth
from schemas import tables
from schemas.figures import COLUMNS, RECOMMENDED_KEY
from tests import oracles
from tests.factories import figure_frame, figure_record, store_url

THRESHOLD = 0.10
RANGES = [
    (None, None),
    (dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
    (dt.date(2020, 3, 10), dt.date(2020, 6, 20)),
    (dt.date(2021, 2, 1), dt.date(2021, 2, 14)),
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    path = folder / "synthetic.csv"
    write_synth(generate(6_000, 40, 4, seed=7, years=3), path)
    return path


@pytest.fixture
def synth_store(tmp_path: Path, backend: str, synthetic: Path) -> Store:
    store = open_store(store_url(tmp_path, backend=backend))
    load_reference(store, synthetic.parent)
    import_hxl(store, synthetic)
    yield store
    store.dispose()


def _everything(store: Store, ref: data.Reference, state: ViewState) -> pd.DataFrame:
    """Every figure of the view, as the dashboard read it before aggregating in the store."""
    place, kids = data.selected(ref, state)
    pcodes = [str(place["pcode"]), *kids["pcode"]]
    return oracles.figures_with_earlier_stocks(
        store.engine, pcodes, state.date_from, state.date_to, COLUMNS
    )


def _states(ref: data.Reference) -> list[ViewState]:
    places = ref.places
    tops = places[(places["admin_level"] <= 1) | (places["kind"] == "area")]["pcode"]
    districts = places[places["admin_level"] == 2]["pcode"].head(5)
    chosen = [*tops, *districts]
    assert len(chosen) >= 8
    return [ViewState(p, None, start, end) for p in chosen for start, end in RANGES]


def test_an_aggregated_view_says_what_the_rules_say_over_all_its_figures(
    synth_store: Store,
) -> None:
    ref = data.reference(synth_store)
    compared = {"disputes": 0, "moves": 0, "children": 0}
    for state in _states(ref):
        view = data.view(synth_store, ref, state, THRESHOLD)
        every = _everything(synth_store, ref, state)
        shown = data.shown(every, state.date_from)
        own = every[every["pcode"] == view.place["pcode"]]
        start, end = state.date_from, state.date_to
        where = f"{state.place} {start} to {end}"

        assert view.count == len(shown), where
        pd.testing.assert_frame_equal(
            rules.breakdown(data.within(view), view.kids, start, end),
            rules.breakdown(every, view.kids, start, end),
            obj=where,
        )
        name = str(view.place["name"])
        assert notices.quality_flags(view.own, view.stocks, view.kids, name, end) == (
            notices.quality_flags(own, every, view.kids, name, end)
        ), where
        pd.testing.assert_frame_equal(
            map_figure.map_flows(view.moves, ref.places),
            map_figure.map_flows(shown, ref.places),
            obj=where,
        )
        found = rules.disagreements(view.disputed, THRESHOLD)
        expected = rules.disagreements(shown, THRESHOLD)
        # Equal spreads may come in another order; the set shown and its order by spread match.
        assert list(found["spread"]) == list(expected["spread"]), where
        assert sorted(map(tuple, found.to_numpy())) == sorted(map(tuple, expected.to_numpy()))
        compared["disputes"] += len(found)
        compared["moves"] += len(view.moves)
        compared["children"] += len(rules.breakdown(every, view.kids, start, end))
    # The synthetic store has every kind of figure the aggregates pick: the test compared some.
    assert min(compared.values()) > 20, compared


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, empty as None: a column the range leaves empty comes back
    from the store untyped, and cut from the place's other figures as empty text."""
    frame = frame.reset_index(drop=True).astype(object)
    return frame.where(frame.notna(), None)


def test_a_place_read_once_cuts_every_range_as_the_store_would(synth_store: Store) -> None:
    ref = data.reference(synth_store)
    engine = synth_store.engine
    cut = 0
    for state in _states(ref):
        place, kids = data.selected(ref, state)
        pcode, below = str(place["pcode"]), list(kids["pcode"])
        start, end = state.date_from, state.date_to
        figs = data.place_figures(synth_store, pcode, below)
        assert figs.order is not None
        own = oracles.figures_with_earlier_stocks(engine, [pcode], start, end)
        flows = oracles.flows_within(engine, below, rules.BREAKDOWN_FLOW, start, end)
        moves = oracles.moves(engine, [pcode, *below], start, end)
        where = f"{pcode} {start} to {end}"
        for found, expected in (
            (ranges.with_earlier_stocks(figs.own, start, end, ranges.EARLIER_STOCKS), own),
            # The same cut from the stock order the place's read keeps.
            (
                ranges.with_earlier_stocks(figs.own, start, end, ranges.EARLIER_STOCKS, figs.order),
                own,
            ),
            (ranges.inside(figs.flows, start, end), flows),
            (ranges.reaching(figs.moves, start, end), moves),
        ):
            expected = with_organisations(expected)
            if "hover" in found.columns:
                expected = with_hovers(expected)
            pd.testing.assert_frame_equal(_plain(found), _plain(expected), obj=where)
        cut += len(own) - len(ranges.reaching(figs.own, start, end))
    # Some ranges started after stocks were reported: the earlier reports were cut too.
    assert cut > 20


def test_at_most_the_widest_disagreements_leave_the_store(synth_store: Store) -> None:
    ref = data.reference(synth_store)
    state = ViewState("XS", None, None, None)
    everything = data.shown(_everything(synth_store, ref, state), None)
    assert len(rules.disagreements(everything, 0.0, limit=10_000)) > 5
    view = data.view(synth_store, ref, state, 0.0)
    groups = view.disputed.groupby(RECOMMENDED_KEY, dropna=False).ngroups
    assert groups == rules.DISAGREEMENTS_SHOWN


def _disputes(store: Store) -> list[tuple]:
    """(place, organisations, high, low, spread) of each stored dispute, checked against a
    fresh grouping of the figures."""
    d = tables.disputes
    with store.engine.connect() as conn:
        stored = sorted(tuple(r) for r in conn.execute(sa.select(d)))
        grouped = disputes.grouped([]).subquery()
        in_order = sa.select(*[grouped.c[c.name] for c in d.columns])
        fresh = sorted(tuple(r) for r in conn.execute(in_order))
    assert stored == fresh
    names = [c.name for c in d.columns]
    picked = ["pcode", "organisations", "high", "low", "spread"]
    return [tuple(row[names.index(n)] for n in picked) for row in stored]


def test_every_load_keeps_the_disputes_in_step(store: Store) -> None:
    def load(dataset: str, *stocks: tuple[str, int, str]) -> None:
        records = [
            figure_record(
                dataset=dataset,
                publisher=publisher,
                role=role,
                period_start="2020-02-01",
                period_end="2020-02-01",
                value=value,
            )
            for publisher, value, role in stocks
        ]
        writes.replace_figures(store.engine, "hxl", dataset, figure_frame(*records))

    ocha = ("OCHA, Flash Update 1", 1_000, "recommended")
    load("ocha.csv", ocha)
    assert _disputes(store) == []  # one organisation: nothing to dispute
    load("cccm.csv", ("CCCM Cluster, Snapshot", 1_500, "triangulation"))
    (row,) = _disputes(store)
    assert row == ("SY07", 2, 1_500, 1_000, pytest.approx(1 / 3))
    # The CCCM figure now agrees with OCHA's; a second OCHA report does not: still disputed.
    load("ocha.csv", ocha, ("OCHA, Flash Update 2", 1_200, "triangulation"))
    load("cccm.csv", ("CCCM Cluster, Snapshot", 1_000, "triangulation"))
    assert [r[1:] for r in _disputes(store)] == [(2, 1_200, 1_000, pytest.approx(1 / 6))]
    # The CCCM dataset withdrawn: one organisation is left, and nothing to dispute.
    load("cccm.csv")
    assert _disputes(store) == []


@pytest.mark.parametrize(
    "sort",
    [None, ("period", "asc"), ("place", "desc"), ("value", "desc"), ("origin", "asc")],
)
def test_a_table_page_cut_in_the_store_is_the_page_of_all_the_figures(
    synth_store: Store, sort: tuple[str, str] | None
) -> None:
    ref = data.reference(synth_store)
    state = ViewState("XS01", None, dt.date(2019, 6, 1), dt.date(2020, 12, 31))
    sort_by = [{"column_id": sort[0], "direction": sort[1]}] if sort else None
    every = data.figures(synth_store, ref, state)
    key = figure_table.TABLE_SORT[sort[0]] if sort else "period_end"
    size = 25
    pages_seen = 0
    for page in (0, 1, 7, 10_000):
        found, pages, current = data.table_page(synth_store, ref, state, page, size, sort_by)
        expected, expected_pages, _ = figure_table.table_page(every, page, size, sort_by)
        assert (pages, len(found)) == (expected_pages, len(expected))
        assert current == min(page, pages - 1)

        def keys(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
            # Rows equal in every ordering key may come in either order; their keys may not.
            return [
                (r[sort[0]] if sort else "", r["period"], r["pcode"], r["metric"]) for r in rows
            ]

        assert keys(found) == keys(expected), (sort, page, key)
        pages_seen += bool(found)
    assert pages_seen == 4 and len(every) > 10 * size


def test_parts_of_a_figure_split_by_cause_are_no_dispute(store: Store) -> None:
    records = [
        figure_record(
            dataset="dtm.json",
            publisher=publisher,
            cause=cause,
            period_start="2020-02-01",
            period_end="2020-02-01",
            value=value,
        )
        for publisher, cause, value in [
            ("IOM DTM, round 24", "conflict", 221_543),
            ("IOM DTM, round 24", "disaster", 4_146),
            ("OCHA, Flash Update 2", "disaster", 4_000),
        ]
    ]
    report = writes.replace_figures(store.engine, "dtm", "dtm.json", figure_frame(*records))
    assert report.added == 3
    # Conflict and disaster are two figures; only the disaster parts of two organisations differ.
    assert _disputes(store) == [("SY07", 2, 4_146, 4_000, pytest.approx(146 / 4_146))]
