"""Fixtures shared by the unit and integration tests.

Every test that touches the store runs twice, on SQLite and on PostgreSQL: a test that asks
for `store` or `backend`, or that calls `make_store`/`store_url` (itself or in a fixture it
uses), is parametrized over `backend`. PostgreSQL needs TEST_POSTGRES_URL (tests/factories.py):
in CI its tests fail without it, elsewhere they are skipped with a message saying how to start
the server.
"""

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.store import Store
from tests import factories
from tests.factories import BACKENDS, make_store

# A test or fixture that calls one of these makes a store of the selected backend.
STORE_MAKERS = {"make_store", "store_url"}


def _wants_backend(func: object) -> bool:
    """True for a function that asks for `backend` or calls make_store/store_url."""
    func = inspect.unwrap(func)  # type: ignore[arg-type]
    code = getattr(func, "__code__", None)
    if code is None:
        return False
    return "backend" in code.co_varnames[: code.co_argcount] or not STORE_MAKERS.isdisjoint(
        code.co_names
    )


def _uses_store(metafunc: pytest.Metafunc) -> bool:
    if _wants_backend(metafunc.function):
        return True
    # Private, but the only way to see the fixtures a test pulls in (`store` asks for backend).
    fixturedefs = getattr(metafunc, "_arg2fixturedefs", {})
    return any(
        _wants_backend(d.func)
        for name, defs in fixturedefs.items()
        if name != "backend"
        for d in defs
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test of the store on both backends (unless it parametrizes backend itself)."""
    chosen = any(
        m.name == "parametrize" and "backend" in str(m.args[0])
        for m in metafunc.definition.iter_markers()
    )
    if not chosen and _uses_store(metafunc):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The store's backend for this test: `sqlite` unless parametrized (see above)."""
    name = getattr(request, "param", "sqlite")
    server = factories.postgres_server() if name == "postgresql" else None
    made_before = len(server.created) if server else 0
    factories.use_backend(name)
    try:
        yield name
    finally:
        factories.use_backend("sqlite")
        if server is not None:
            server.drop(server.created[made_before:])


@pytest.fixture(scope="session", autouse=True)
def _postgres_databases() -> Iterator[None]:
    """Drop the session's PostgreSQL databases at the end, if it made any."""
    yield
    factories.close_postgres_server()


@pytest.fixture
def store(tmp_path: Path, backend: str) -> Iterator[Store]:
    """A store on a SQLite file under tmp_path, or a fresh PostgreSQL database, with the
    fixture gazetteer loaded."""
    made = make_store(tmp_path, backend=backend)
    yield made
    made.dispose()


@pytest.fixture
def upstream():
    """A scripted upstream API on a free loopback port."""
    from tests.upstream import FakeUpstream

    with FakeUpstream() as fake:
        yield fake
