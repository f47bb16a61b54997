"""Codes as published: each figure keeps the place code its publisher wrote
(`figures.published_pcode`, where it differs from the gazetteer's), and each place added from a
publication says which (`places.added_from`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two columns, empty for what is already stored."""
    op.add_column("figures", sa.Column("published_pcode", sa.String))
    op.add_column("places", sa.Column("added_from", sa.String))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("places") as batch:
        batch.drop_column("added_from")
    with op.batch_alter_table("figures") as batch:
        batch.drop_column("published_pcode")
