"""The store: the only code that talks to the database."""

from dataclasses import dataclass

import sqlalchemy as sa

from etl.store import aggregates, migrate, reads, writes
from etl.store.connection import DATA_DIR, backend, default_url, display_url, make_engine
from etl.store.migrate import MigrationError

__all__ = [
    "DATA_DIR",
    "MigrationError",
    "Store",
    "StoreError",
    "aggregates",
    "backend",
    "default_url",
    "display_url",
    "migrate",
    "open_store",
    "reads",
    "writes",
]


@dataclass
class Store:
    """A store at one database URL; reads and writes go through `reads` and `writes`."""

    url: str
    engine: sa.Engine

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def create(self) -> None:
        """Bring the schema to the latest migration (a new database gets every table)."""
        migrate.ensure_current(self.engine, self.url)

    def revision(self) -> str | None:
        """The schema's migration revision; None for a database never migrated."""
        return migrate.current_revision(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open the store at `url` (default: the SQLite file under data/).

    With `create` (the default) the schema is first brought to the latest migration, so a new
    or older database works with no separate step.
    """
    target = url or default_url()
    store = Store(target, make_engine(target))
    if create:
        store.create()
    return store


# What a reader catches when the database is gone, locked, broken or of an unknown schema.
StoreError = sa.exc.SQLAlchemyError
