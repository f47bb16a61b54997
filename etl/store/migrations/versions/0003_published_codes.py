"""Codes as published, and causes apart: each figure keeps the place code its publisher wrote
(`figures.published_pcode`, where it differs from the gazetteer's), each place added from a
publication says which (`places.added_from`), and a dispute is per cause too (a figure split by
cause is one figure per cause), so the disputes are recomputed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from etl.store import disputes

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns, empty for what is already stored, and recompute the disputes."""
    op.add_column("figures", sa.Column("published_pcode", sa.String))
    op.add_column("places", sa.Column("added_from", sa.String))
    op.add_column("disputes", sa.Column("cause", sa.String))
    disputes.refresh(op.get_bind())


def downgrade() -> None:
    """Drop them again (the disputes stay per cause until recomputed)."""
    with op.batch_alter_table("disputes") as batch:
        batch.drop_column("cause")
    with op.batch_alter_table("places") as batch:
        batch.drop_column("added_from")
    with op.batch_alter_table("figures") as batch:
        batch.drop_column("published_pcode")
