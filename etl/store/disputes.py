"""The `disputes` table: groups of figures that organisations report differently.

Kept in step with `figures` inside every load's transaction (and filled once by the migration
that made it), so a view reads its widest disagreements instead of grouping all its figures.
"""

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from etl.store.expressions import organisation
from schemas import tables
from schemas.figures import RECOMMENDED_KEY

# Places recomputed per statement: a bound list this long stays well within SQLite's limit.
CHUNK = 500


def grouped(where: list[sa.ColumnElement[bool]], key: Sequence[str] = RECOMMENDED_KEY) -> sa.Select:
    """Per recommended key: organisations, highest and lowest value, and their spread."""
    f = tables.figures
    keys = [f.c[k] for k in key]
    high, low = sa.func.max(f.c.value), sa.func.min(f.c.value)
    organisations = sa.func.count(sa.distinct(organisation(f.c.publisher)))
    return (
        sa.select(
            *keys,
            organisations.label("organisations"),
            high.label("high"),
            low.label("low"),
            (sa.cast(high - low, sa.Float) / sa.cast(high, sa.Float)).label("spread"),
        )
        .where(*where)
        .group_by(*keys)
        # Two organisations or more, apart: equal values, or all zero, are no disagreement.
        .having(organisations >= 2, high > low, high > 0)
    )


def refresh(
    conn: sa.Connection, pcodes: Iterable[str] | None = None, key: Sequence[str] = RECOMMENDED_KEY
) -> None:
    """Recompute the disputes of these places (every place when None) from their figures.

    `key` is for a migration that fills the table as its revision had it.
    """
    d, f = tables.disputes, tables.figures
    columns = [*key, "organisations", "high", "low", "spread"]
    if pcodes is None:
        conn.execute(d.delete())
        conn.execute(d.insert().from_select(columns, grouped([], key)))
        return
    places = sorted(set(pcodes))
    for start in range(0, len(places), CHUNK):
        chunk = places[start : start + CHUNK]
        conn.execute(d.delete().where(d.c.pcode.in_(chunk)))
        conn.execute(d.insert().from_select(columns, grouped([f.c.pcode.in_(chunk)], key)))
