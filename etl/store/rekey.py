"""Give every stored figure the id its natural key has under `etl.figure_ids` today.

Run by the migration that changed how ids are made; stable ids (a reload finds its rows)
need the stored ones made the same way as new ones.
"""

import numpy as np
import sqlalchemy as sa

from etl.figure_ids import figure_ids
from schemas.figures import NATURAL_KEY

# Rows read, and ids changed, at a time: the keys of a million figures never sit in memory at
# once, their old and new ids do (two strings a figure, about 130 MB at a million).
CHUNK = 50_000
# The figures table as far as ids go: the key's columns, all there since the first revision.
_FIGURES = sa.table("figures", sa.column("figure_id"), *(sa.column(c) for c in NATURAL_KEY))


def rekey_figures(conn: sa.Connection) -> int:
    """Recompute each stored figure's id from its key, in `conn`'s transaction; how many
    changed."""
    f = _FIGURES
    olds: list[str] = []
    news: list[str] = []
    after: str | None = None
    while True:
        stmt = sa.select(f.c.figure_id, *(f.c[c] for c in NATURAL_KEY)).order_by(f.c.figure_id)
        if after is not None:
            stmt = stmt.where(f.c.figure_id > after)
        rows = conn.execute(stmt.limit(CHUNK)).all()
        if not rows:
            break
        after = rows[-1][0]
        columns = list(zip(*rows, strict=True))
        stored = np.asarray(columns[0], dtype=object)
        new = figure_ids(dict(zip(NATURAL_KEY, columns[1:], strict=True)))
        changed = new != stored
        olds += stored[changed].tolist()
        news += new[changed].tolist()
    update = (
        sa.update(f)
        .where(f.c.figure_id == sa.bindparam("old"))
        .values(figure_id=sa.bindparam("new"))
    )
    for start in range(0, len(olds), CHUNK):
        pairs = zip(olds[start : start + CHUNK], news[start : start + CHUNK], strict=True)
        conn.execute(update, [{"old": old, "new": new} for old, new in pairs])
    return len(olds)
