"""A store holding the bundled reference case, and the packs made from it."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.pipeline import import_file, import_hxl
from etl.reference import load_reference
from etl.store import DATA_DIR, Store, open_store
from tests.factories import BACKENDS, postgres_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "briefing"
IDLEB = ("SY07", dt.date(2019, 12, 1), dt.date(2020, 3, 5))
NOW = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session", params=BACKENDS)
def bundled_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A store with the bundled gazetteer, the north-west Syria reference case and the ISIMM
    months (as `make run` loads them), on SQLite
    and on PostgreSQL: a pack reads through the same store code the page does."""
    if request.param == "postgresql":
        store = open_store(postgres_server().world_database())
    else:
        store = open_store(f"sqlite:///{tmp_path_factory.mktemp('brief') / 'bundled.db'}")
        load_reference(store, DATA_DIR)
    report = import_hxl(store, DATA_DIR / "bundled" / "nw_syria_2019_2020.csv")
    assert report.ok, report.message
    # What `make run` loads beside it: the ISIMM months, people in sites per district.
    for month in sorted((DATA_DIR / "bundled" / "isimm").glob("*.csv")):
        report = import_file(store, "cccm-isimm", month)
        assert report.ok, report.message
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the packs and their page images are kept for a reader to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
