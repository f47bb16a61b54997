"""The store: the only code that talks to the database."""

from dataclasses import dataclass

import sqlalchemy as sa

from etl.store import reads, writes
from etl.store.connection import DATA_DIR, default_url, make_engine
from schemas import tables

__all__ = ["DATA_DIR", "Store", "StoreError", "default_url", "open_store", "reads", "writes"]


@dataclass
class Store:
    """A store at one database URL; reads and writes go through `reads` and `writes`."""

    url: str
    engine: sa.Engine

    def create(self) -> None:
        """Create the tables that do not exist yet."""
        tables.metadata.create_all(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open (and by default create) the store at `url`, or the default SQLite file."""
    target = url or default_url()
    store = Store(target, make_engine(target))
    if create:
        store.create()
    return store


# What a reader catches when the database is gone, locked or broken.
StoreError = sa.exc.SQLAlchemyError
