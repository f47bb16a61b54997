"""SQL table definitions of the store (SQLAlchemy Core metadata, no I/O)."""

import sqlalchemy as sa

metadata = sa.MetaData()

figures = sa.Table(
    "figures",
    metadata,
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
    sa.Column("published_pcode", sa.String),
    sa.Index("ix_figures_source_dataset", "source", "dataset"),
    sa.Index("ix_figures_pcode_metric", "pcode", "metric", "period_end"),
    # A view counts its figures from this index alone, without reading a row.
    sa.Index("ix_figures_span", "pcode", "period_end", "period_start"),
    # The few figures with an origin (the map's arrows), found without scanning the rest.
    sa.Index(
        "ix_figures_moves",
        "pcode",
        "period_end",
        sqlite_where=sa.text("origin_pcode IS NOT NULL"),
        postgresql_where=sa.text("origin_pcode IS NOT NULL"),
    ),
)

# Derived from `figures` in the same transaction as every load, never written otherwise: each
# group of figures on the same place, metric, period and disaggregation (the recommended key)
# that two organisations or more report with different values. The dashboard reads its widest
# disagreements from here instead of grouping every figure of a view.
disputes = sa.Table(
    "disputes",
    metadata,
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
    sa.Column("cause", sa.String),
    sa.Index("ix_disputes_place", "pcode", "period_end"),
)

places = sa.Table(
    "places",
    metadata,
    sa.Column("pcode", sa.String, primary_key=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("name_ar", sa.String),
    sa.Column("admin_level", sa.Integer),
    sa.Column("parent_pcode", sa.String),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("added_from", sa.String),
)

place_members = sa.Table(
    "place_members",
    metadata,
    sa.Column("area_pcode", sa.String, primary_key=True),
    sa.Column("member_pcode", sa.String, primary_key=True),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("pcode", sa.String, nullable=False),
    sa.Column("title", sa.String, nullable=False),
    sa.Column("source_url", sa.Text, nullable=False),
)

etl_runs = sa.Table(
    "etl_runs",
    metadata,
    sa.Column("run_id", sa.String, primary_key=True),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("dataset", sa.String),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("rows_fetched", sa.Integer, nullable=False, default=0),
    sa.Column("rows_loaded", sa.Integer, nullable=False, default=0),
    sa.Column("rows_rejected", sa.Integer, nullable=False, default=0),
    sa.Column("message", sa.Text),
    sa.Index("ix_etl_runs_source", "source", "started_at"),
)

rejections = sa.Table(
    "rejections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("row_number", sa.Integer),
    sa.Column("record", sa.Text),
    sa.Column("column", sa.String),
    sa.Column("check", sa.String, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_rejections_run", "run_id"),
)
