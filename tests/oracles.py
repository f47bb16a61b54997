"""The test oracles: a second, independent way to compute what one home computes for the page.

Each rule of the page lives once in the project: the date-range cuts in memory
(`dashboard.ranges`), the sums of one publication's units in the store
(`etl.store.aggregates.unit_sums`). The tests hold each to a copy written the other way,
here: the ranges as the store's own queries of that range, the unit sums over every figure
in memory.
"""

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from dashboard import parts, rules
from dashboard.ranges import EARLIER_STOCKS
from etl.store.aggregates import UNIT_SUM_COLUMNS
from etl.store.expressions import counted, organisation, overlapping
from etl.store.reads import VIEW_COLUMNS, figure_frame, figure_select
from schemas import tables
from schemas.enums import FLOW_METRICS
from schemas.figures import COUNTED_ROLE, COUNTED_UNIT


def _earlier_stocks(where: list[sa.ColumnElement[bool]], date_from: dt.date) -> sa.Select:
    """The ids of the EARLIER_STOCKS latest stocks per series reported before `date_from`."""
    f = tables.figures
    # A series is one organisation's reports, whatever each report's title, as the cards
    # group them.
    series = [
        f.c.pcode,
        f.c.metric,
        organisation(f.c.publisher),
        f.c.role,
        f.c.sex,
        f.c.age_group,
        f.c.unit,
    ]
    ranked = (
        sa.select(
            f.c.figure_id,
            sa.func.row_number()
            .over(partition_by=series, order_by=[f.c.period_end.desc(), f.c.figure_id.desc()])
            .label("rank"),
        )
        .where(
            *where,
            f.c.period_end < date_from,
            f.c.metric.not_in(sorted(m.value for m in FLOW_METRICS)),
        )
        .subquery()
    )
    return sa.select(ranked.c.figure_id).where(ranked.c.rank <= EARLIER_STOCKS)


def figures_with_earlier_stocks(
    engine: sa.Engine,
    pcodes: Sequence[str],
    date_from: dt.date | None,
    date_to: dt.date | None,
    columns: Sequence[str] = VIEW_COLUMNS,
) -> pd.DataFrame:
    """`ranges.with_earlier_stocks` as one query: the figures reaching into the range, and
    the latest earlier reports of each stock series."""
    f = tables.figures
    where: list[sa.ColumnElement[bool]] = [f.c.pcode.in_(list(pcodes))]
    if date_to:
        where.append(f.c.period_start <= date_to)
    stmt = figure_select(columns).where(*where)
    if date_from:
        earlier = _earlier_stocks(where, date_from)
        stmt = stmt.where(sa.or_(f.c.period_end >= date_from, f.c.figure_id.in_(earlier)))
    return figure_frame(engine, stmt)


def flows_within(
    engine: sa.Engine,
    pcodes: Sequence[str],
    metric: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> pd.DataFrame:
    """`ranges.inside` of the counted flows as one query: whole periods within the range."""
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
    """`ranges.reaching` of the figures with an origin as one query."""
    f = tables.figures
    where = [
        f.c.pcode.in_(list(pcodes)),
        f.c.origin_pcode.is_not(None),
        f.c.role == COUNTED_ROLE,
        *overlapping(f, date_from, date_to),
    ]
    return figure_frame(engine, figure_select(VIEW_COLUMNS).where(*where))


def unit_sums(
    figs: pd.DataFrame, pcode: str, level: int, metrics: Sequence[str], date_to: dt.date | None
) -> pd.DataFrame:
    """One publication's units below a place, added up per period in memory.

    Counted figures (recommended, in people, for everyone) without an origin, of the admin
    units below `pcode` (at level `level`), ending by `date_to`; per publication, metric,
    period and level of the units: their sum, how many units, and how exact.
    """
    if figs.empty:
        return pd.DataFrame(columns=UNIT_SUM_COLUMNS)
    keep = (
        (figs["role"] == COUNTED_ROLE)
        & (figs["unit"] == COUNTED_UNIT)
        & figs["sex"].isna()
        & figs["age_group"].isna()
        & figs["origin_pcode"].isna()
        & figs["metric"].isin(list(metrics))
        & figs["pcode"].astype(str).str.startswith(pcode)
        & (figs["admin_level"].astype("Float64") > level).fillna(False)
    )
    if date_to is not None:
        keep &= figs["period_end"] <= pd.Timestamp(date_to)
    rows = figs[keep]
    if rows.empty:
        return pd.DataFrame(columns=UNIT_SUM_COLUMNS)
    grouped = rows.groupby(parts.SUM_KEY, dropna=False, sort=True)
    out = grouped.agg(
        value=("value", "sum"),
        units=("pcode", "nunique"),
        qualifier=("qualifier", lambda q: rules.combine_qualifiers(list(q))),
        source_url=("source_url", "min"),
    ).reset_index()
    for col in ("value", "units", "admin_level"):
        out[col] = out[col].astype("Int64")
    return out[UNIT_SUM_COLUMNS]
