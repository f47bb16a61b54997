"""Fixtures shared by the unit and integration tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.store import Store
from tests.factories import make_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store on a SQLite file under tmp_path with the fixture gazetteer loaded."""
    made = make_store(tmp_path)
    yield made
    made.dispose()


@pytest.fixture
def upstream():
    """A scripted upstream API on a free loopback port."""
    from tests.upstream import FakeUpstream

    with FakeUpstream() as fake:
        yield fake
