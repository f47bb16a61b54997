"""Alembic environment of the store: run by etl.store.migrate, never by an alembic.ini.

The caller passes an open connection (in a transaction) as `config.attributes["connection"]`,
or a URL as the `sqlalchemy.url` main option; the target schema is schemas.tables.metadata.
"""

import sqlalchemy as sa
from alembic import context

from schemas.tables import metadata

target_metadata = metadata


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters a table by copying it: later revisions get that for free.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    """Emit the SQL instead of running it (`alembic upgrade --sql`)."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the caller's connection, or on one to the configured URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(
        context.config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
