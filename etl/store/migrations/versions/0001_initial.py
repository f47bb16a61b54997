"""The store as it was before migrations: figures, places, events, the run log.

Exactly the tables and indexes schemas/tables.py defined when migrations were introduced; a
SQLite file made then by `create_all` (tables, no alembic_version) is stamped at this revision.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables of this revision, for etl.store.migrate to recognise a store made before it.
TABLES = ("figures", "places", "place_members", "events", "etl_runs", "rejections")


def upgrade() -> None:
    """Create the tables and their indexes."""
    op.create_table(
        "figures",
        sa.Column("figure_id", sa.String(16), primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("dataset", sa.String, nullable=False),
        sa.Column("source_record_id", sa.String),
        sa.Column("publisher", sa.String),
        sa.Column("metric", sa.String, nullable=False),
        sa.Column("pcode", sa.String, nullable=False),
        sa.Column("admin_level", sa.Integer),
        sa.Column("origin_pcode", sa.String),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("qualifier", sa.String, nullable=False),
        sa.Column("cause", sa.String),
        sa.Column("sex", sa.String),
        sa.Column("age_group", sa.String),
        sa.Column("unit", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("excerpt", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("retrieved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String, nullable=False),
    )
    op.create_index("ix_figures_source_dataset", "figures", ["source", "dataset"])
    op.create_index("ix_figures_pcode_metric", "figures", ["pcode", "metric", "period_end"])

    op.create_table(
        "places",
        sa.Column("pcode", sa.String, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_ar", sa.String),
        sa.Column("admin_level", sa.Integer),
        sa.Column("parent_pcode", sa.String),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
    )

    op.create_table(
        "place_members",
        sa.Column("area_pcode", sa.String, primary_key=True),
        sa.Column("member_pcode", sa.String, primary_key=True),
    )

    op.create_table(
        "events",
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("pcode", sa.String, nullable=False),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
    )

    op.create_table(
        "etl_runs",
        sa.Column("run_id", sa.String, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("dataset", sa.String),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("rows_fetched", sa.Integer, nullable=False),
        sa.Column("rows_loaded", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_etl_runs_source", "etl_runs", ["source", "started_at"])

    op.create_table(
        "rejections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("row_number", sa.Integer),
        sa.Column("record", sa.Text),
        sa.Column("column", sa.String),
        sa.Column("check", sa.String, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_rejections_run", "rejections", ["run_id"])


def downgrade() -> None:
    """Drop every table of the store."""
    for index, table in (
        ("ix_rejections_run", "rejections"),
        ("ix_etl_runs_source", "etl_runs"),
        ("ix_figures_pcode_metric", "figures"),
        ("ix_figures_source_dataset", "figures"),
    ):
        op.drop_index(index, table_name=table)
    for table in reversed(TABLES):
        op.drop_table(table)
