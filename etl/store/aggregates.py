"""Reads that aggregate in the database for one view: only what the page draws leaves it.

A view of a governorate covers tens of thousands of figures; its cards, breakdown, map and
disagreements rest on a few hundred of them. These queries pick those few with indexes (the
latest stock of each place, the flows of the range, the figures with an origin, the widest
disputes, a count), by the same rules the dashboard applies to frames, on both backends.
Each returns the `VIEW_COLUMNS` of its figures.
"""

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from etl.store.expressions import counted, overlapping
from etl.store.reads import VIEW_COLUMNS, figure_frame, figure_select
from schemas import tables
from schemas.figures import COUNTED_ROLE, RECOMMENDED_KEY


def _latest_id(metric: str, date_to: dt.date | None) -> sa.ScalarSelect:
    """The id of a place's latest counted `metric` as of `date_to` (ties: the last id)."""
    p = tables.places
    ends, ids = tables.figures.alias("ends"), tables.figures.alias("ids")

    def series(f: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        return [f.c.pcode == p.c.pcode, f.c.metric == metric, *counted(f)]

    # Walking the (pcode, metric, period_end) index backwards stops at the first match; the
    # tie on that day is broken among its few rows.
    last_day = (
        sa.select(ends.c.period_end)
        .where(*series(ends), *([ends.c.period_end <= date_to] if date_to else []))
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


def latest_stocks(
    engine: sa.Engine, pcodes: Sequence[str], metrics: Sequence[str], date_to: dt.date | None
) -> pd.DataFrame:
    """Per place and metric: the latest counted stock reported as of `date_to`."""
    p = tables.places
    stmt = sa.select(*[_latest_id(m, date_to).label(m) for m in metrics]).where(
        p.c.pcode.in_(list(pcodes))
    )
    with engine.connect() as conn:
        ids = {i for row in conn.execute(stmt) for i in row if i is not None}
    f = tables.figures
    return figure_frame(engine, figure_select(VIEW_COLUMNS).where(f.c.figure_id.in_(sorted(ids))))


def flows_within(
    engine: sa.Engine,
    pcodes: Sequence[str],
    metric: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> pd.DataFrame:
    """Counted flows of `metric` whose whole period lies within the range."""
    f = tables.figures
    where = [f.c.pcode.in_(list(pcodes)), f.c.metric == metric, *counted(f)]
    if date_from:
        where.append(f.c.period_start >= date_from)
    if date_to:
        where.append(f.c.period_end <= date_to)
    return figure_frame(engine, figure_select(VIEW_COLUMNS).where(*where))


def moves(
    engine: sa.Engine, pcodes: Sequence[str], date_from: dt.date | None, date_to: dt.date | None
) -> pd.DataFrame:
    """Recommended figures with an origin (people moving from one place to another)."""
    f = tables.figures
    where = [
        f.c.pcode.in_(list(pcodes)),
        f.c.origin_pcode.is_not(None),
        f.c.role == COUNTED_ROLE,
        *overlapping(f, date_from, date_to),
    ]
    return figure_frame(engine, figure_select(VIEW_COLUMNS).where(*where))


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
