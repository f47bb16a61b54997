"""What the dashboard aggregates in the database: a covering index to count a view's figures,
a partial index of the figures with an origin, and the `disputes` table, filled from the
figures already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from etl.store import disputes

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_ORIGIN = sa.text("origin_pcode IS NOT NULL")
# The recommended key as this revision's disputes table has it (0003 adds the cause).
KEY = ["metric", "pcode", "origin_pcode", "period_start", "period_end", "sex", "age_group", "unit"]


def upgrade() -> None:
    """Add the indexes and the disputes of every figure stored."""
    op.create_index("ix_figures_span", "figures", ["pcode", "period_end", "period_start"])
    op.create_index(
        "ix_figures_moves",
        "figures",
        ["pcode", "period_end"],
        sqlite_where=HAS_ORIGIN,
        postgresql_where=HAS_ORIGIN,
    )
    op.create_table(
        "disputes",
        sa.Column("pcode", sa.String, nullable=False),
        sa.Column("origin_pcode", sa.String),
        sa.Column("metric", sa.String, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("sex", sa.String),
        sa.Column("age_group", sa.String),
        sa.Column("unit", sa.String, nullable=False),
        sa.Column("organisations", sa.Integer, nullable=False),
        sa.Column("high", sa.BigInteger, nullable=False),
        sa.Column("low", sa.BigInteger, nullable=False),
        sa.Column("spread", sa.Float, nullable=False),
    )
    op.create_index("ix_disputes_place", "disputes", ["pcode", "period_end"])
    disputes.refresh(op.get_bind(), key=KEY)


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_disputes_place", table_name="disputes")
    op.drop_table("disputes")
    op.drop_index("ix_figures_moves", table_name="figures")
    op.drop_index("ix_figures_span", table_name="figures")
