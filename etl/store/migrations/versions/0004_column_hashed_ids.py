"""Figure ids made column by column: each key column's distinct values hashed once and the
columns folded in numpy (`etl.figure_ids`), where one SHA-1 of each figure's joined key cost
a microsecond and a half apiece. Every stored figure gets the id its key has now, so a reload
still finds its rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from etl.store.rekey import rekey_figures

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Recompute every stored figure's id."""
    rekey_figures(op.get_bind())


def downgrade() -> None:
    """Nothing to undo in the schema; the earlier ids are not made again (code of that
    revision, loading its sources once more, writes them)."""
