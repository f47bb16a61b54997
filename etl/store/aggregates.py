"""Reads that aggregate in the database for one view: only what the page draws leaves it.

A view of a governorate covers tens of thousands of figures; its cards, breakdown, map and
disagreements rest on a few hundred of them. These queries pick those few with indexes (the
latest stock of each place, the counted flows and the figures with an origin, the widest
disputes, a count, the sums of one publication's units), on both backends. Each returns the
`VIEW_COLUMNS` of its figures, or the sums.

Where a rule is applied here for speed and again by the dashboard to the frames it returns
(the latest stock, the disputes), the dashboard's is the rule and this is a narrowing that
never changes its answer: `tests/integration/test_view_aggregates.py` holds the two equal.
Date ranges of flows and moves are cut in memory (`dashboard.ranges`); the unit sums are
made only here.
"""

import datetime as dt
import functools
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from etl.store.expressions import counted, overlapping, starts_with
from etl.store.reads import VIEW_COLUMNS, figure_frame, figure_select, query_frame
from schemas import tables
from schemas.enums import Qualifier
from schemas.figures import COUNTED_ROLE, RECOMMENDED_KEY


def _latest_id(metric: str, dated: bool) -> sa.ScalarSelect:
    """The id of a place's latest counted `metric` (ties: the last id); `dated`: as of the
    bound `date_to`."""
    p = tables.places
    ends, ids = tables.figures.alias("ends"), tables.figures.alias("ids")

    def series(f: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        return [f.c.pcode == p.c.pcode, f.c.metric == metric, *counted(f)]

    # Walking the (pcode, metric, period_end) index backwards stops at the first match; the
    # tie on that day is broken among its few rows.
    by_date = [ends.c.period_end <= sa.bindparam("date_to", type_=sa.Date)] if dated else []
    last_day = (
        sa.select(ends.c.period_end)
        .where(*series(ends), *by_date)
        .order_by(ends.c.period_end.desc())
        .limit(1)
        .correlate(p)
        .scalar_subquery()
    )
    return (
        sa.select(sa.func.max(ids.c.figure_id))
        .where(*series(ids), ids.c.period_end == last_day)
        .correlate(p)
        .scalar_subquery()
    )


@functools.cache
def _latest_ids(metrics: tuple[str, ...], dated: bool) -> sa.Select:
    """Per place of the bound `pcodes`, the id of its latest counted stock of each metric.

    Built once per metrics: its correlated subqueries took longer to build than to run, at
    every view and map of a range.
    """
    p = tables.places
    return sa.select(*[_latest_id(m, dated).label(m) for m in metrics]).where(
        p.c.pcode.in_(sa.bindparam("pcodes", expanding=True))
    )


def latest_stocks(
    engine: sa.Engine, pcodes: Sequence[str], metrics: Sequence[str], date_to: dt.date | None
) -> pd.DataFrame:
    """Per place and metric: the latest counted stock reported as of `date_to`."""
    dated = date_to is not None
    stmt = _latest_ids(tuple(metrics), dated)
    params: dict[str, object] = {"pcodes": list(pcodes), **({"date_to": date_to} if dated else {})}
    with engine.connect() as conn:
        ids = {i for row in conn.execute(stmt, params) for i in row if i is not None}
    f = tables.figures
    return figure_frame(engine, figure_select(VIEW_COLUMNS).where(f.c.figure_id.in_(sorted(ids))))


def flows(engine: sa.Engine, pcodes: Sequence[str], metric: str) -> pd.DataFrame:
    """Every counted flow of `metric` of the places: each range is cut from them in memory
    (`dashboard.ranges.inside`)."""
    f = tables.figures
    where = [f.c.pcode.in_(list(pcodes)), f.c.metric == metric, *counted(f)]
    return figure_frame(engine, figure_select(VIEW_COLUMNS, names_joined=False).where(*where))


def moves(engine: sa.Engine, pcodes: Sequence[str]) -> pd.DataFrame:
    """Recommended figures with an origin (people moving from one place to another): each
    range is cut from them in memory (`dashboard.ranges.reaching`)."""
    f = tables.figures
    where = [f.c.pcode.in_(list(pcodes)), f.c.origin_pcode.is_not(None), f.c.role == COUNTED_ROLE]
    return figure_frame(engine, figure_select(VIEW_COLUMNS, names_joined=False).where(*where))


def disputed(
    engine: sa.Engine,
    pcodes: Sequence[str],
    date_from: dt.date | None,
    date_to: dt.date | None,
    threshold: float,
    limit: int,
) -> pd.DataFrame:
    """Every figure of the `limit` widest disputes of these places in the range whose lowest
    value is more than `threshold` below the highest."""
    d, f = tables.disputes, tables.figures
    widest = (
        sa.select(*[d.c[k] for k in RECOMMENDED_KEY])
        .where(
            d.c.pcode.in_(list(pcodes)),
            d.c.spread > threshold,
            *overlapping(d, date_from, date_to),
        )
        .order_by(d.c.spread.desc(), d.c.pcode, d.c.metric, d.c.period_end, d.c.period_start)
        .limit(limit)
        .subquery()
    )
    # Equality where a key is never empty lets either backend use an index or a hash join.
    same = [
        f.c[k] == widest.c[k] if not f.c[k].nullable else f.c[k].is_not_distinct_from(widest.c[k])
        for k in RECOMMENDED_KEY
    ]
    return figure_frame(engine, figure_select(VIEW_COLUMNS).join(widest, sa.and_(*same)))


def count_figures(
    engine: sa.Engine, pcodes: Sequence[str], date_from: dt.date | None, date_to: dt.date | None
) -> int:
    """How many figures of these places reach into the range."""
    f = tables.figures
    stmt = sa.select(sa.func.count()).where(
        f.c.pcode.in_(list(pcodes)), *overlapping(f, date_from, date_to)
    )
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


# What a sum of one publication's units says about each group (`unit_sums`).
UNIT_SUM_COLUMNS = [
    "source",
    "dataset",
    "publisher",
    "metric",
    "period_start",
    "period_end",
    "admin_level",
    "value",
    "units",
    "qualifier",
    "source_url",
]


def unit_sums(
    engine: sa.Engine,
    pcode: str,
    level: int,
    metrics: Sequence[str],
    date_to: dt.date | None,
) -> pd.DataFrame:
    """One publication's units below a place, added up: the only sum of places there is.

    Per publication (source, dataset, publisher), metric, period and admin level: the sum of
    the counted figures without an origin of the admin units below `pcode` (at level
    `level`), how many units it adds, and how exact it is (exact only if every part is; one
    kind of inexact part gives that kind; mixed kinds, approximately). Never across
    publications, periods, metrics or levels. Periods end by `date_to`. Which group a card
    shows (the shallowest level, the latest period) is the dashboard's choice.
    """
    f = tables.figures
    exact = Qualifier.EXACT.value
    inexact = sa.case((f.c.qualifier != exact, f.c.qualifier))
    kinds = sa.func.count(sa.distinct(inexact))
    qualifier = sa.case(
        (kinds == 0, sa.literal(exact)),
        (kinds == 1, sa.func.max(inexact)),
        else_=sa.literal(Qualifier.APPROXIMATELY.value),
    )
    group = [
        f.c.source,
        f.c.dataset,
        f.c.publisher,
        f.c.metric,
        f.c.period_start,
        f.c.period_end,
        f.c.admin_level,
    ]
    where = [
        *starts_with(f.c.pcode, pcode, narrow=level > 0),
        f.c.admin_level > level,
        f.c.metric.in_(list(metrics)),
        f.c.origin_pcode.is_(None),
        *counted(f),
        *([f.c.period_end <= date_to] if date_to else []),
    ]
    stmt = (
        sa.select(
            *group,
            sa.func.sum(f.c.value).label("value"),
            sa.func.count(sa.distinct(f.c.pcode)).label("units"),
            qualifier.label("qualifier"),
            sa.func.min(f.c.source_url).label("source_url"),
        )
        .where(*where)
        .group_by(*group)
        .order_by(*group)
    )
    frame = query_frame(engine, stmt, dates=["period_start", "period_end"])
    for col in ("value", "units", "admin_level"):
        frame[col] = frame[col].astype("Int64")
    return frame[UNIT_SUM_COLUMNS]


def freshest(engine: sa.Engine, metrics: Sequence[str]) -> pd.DataFrame:
    """Per place and metric: the end of its latest counted figure, and the earliest start
    among the figures that end then (where a range must begin to hold the latest flow)."""
    f = tables.figures
    last = (
        sa.select(f.c.pcode, f.c.metric, sa.func.max(f.c.period_end).label("latest"))
        .where(f.c.metric.in_(list(metrics)), *counted(f))
        .group_by(f.c.pcode, f.c.metric)
        .subquery()
    )
    stmt = (
        sa.select(
            f.c.pcode,
            f.c.metric,
            sa.func.min(f.c.period_start).label("period_start"),
            last.c.latest.label("period_end"),
        )
        .join(
            last,
            sa.and_(
                f.c.pcode == last.c.pcode,
                f.c.metric == last.c.metric,
                f.c.period_end == last.c.latest,
            ),
        )
        .where(*counted(f))
        .group_by(f.c.pcode, f.c.metric, last.c.latest)
        .order_by(f.c.pcode, f.c.metric)
    )
    return query_frame(engine, stmt, dates=["period_start", "period_end"])
