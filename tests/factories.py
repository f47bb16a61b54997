"""Small factories for tests: a store on a real database, HXL files, canonical figures.

A store is a SQLite file under tmp_path, or a throwaway database on the PostgreSQL server of
TEST_POSTGRES_URL, by the backend the `backend` fixture (tests/conftest.py) selects.
"""

import atexit
import csv
import datetime as dt
import hashlib
import itertools
import os
import shutil
import socket
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from etl.figure_ids import figure_id
from etl.frames import to_figure_frame
from etl.reference import load_reference
from etl.store import DATA_DIR, Store, open_store
from schemas import tables

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE_DIR = FIXTURES / "reference"

# Every place of tests/fixtures/reference/places.csv.
KNOWN_PLACES = frozenset(
    {
        "SY",
        "SY02",
        "SY07",
        "SY0700",
        "SY0702",
        "SY070003",
        "SY070200",
        "SY070299",
        "SY-NW",
        "SY-NW-OPP",
    }
)
# The fixture place whose name a spreadsheet would run as a formula.
FORMULA_PLACE = "SY070299"
FORMULA_NAME = '=HYPERLINK("http://example.invalid","test place")'

RETRIEVED_AT = dt.datetime(2020, 2, 1, 12, 0, tzinfo=dt.UTC)

# A good HXL file: a title row, a row of column titles, the hashtags, then five figures.
GOOD_TITLE = ["North-west Syria: displacement and population, January 2020"]
GOOD_TITLES = [
    "Governorate",
    "District",
    "Sub-district",
    "Response area",
    "Came from",
    "Since",
    "As of",
    "IDPs",
    "Newly displaced",
    "Population",
    "Source",
    "Link",
]
GOOD_TAGS = [
    "#adm1+code",
    "#adm2+code",
    "#adm3+code",
    "#loc+code",
    "#adm3+code+origin",
    "#date+start",
    "#date",
    "#affected+idps",
    "#affected+idps+new",
    "#population",
    "#meta+source",
    "#meta+url",
]
GOOD_ROWS = [
    ["SY07", "", "", "", "", "", "2020-01-28", "", "", "~3,000,000", "OCHA", "https://x.org"],
    ["", "", "", "SY-NW-OPP", "", "", "2020-01-28", "1,500,000", "", "", "OCHA", ""],
    ["SY07", "", "", "", "SY070200", "2019-12-01", "2020-01-28", "", "1,000+", "", "OCHA", ""],
    ["SY02", "", "", "", "", "", "2020-01-28", "464830", "", "", "CCCM", ""],
    ["SY07", "SY0700", "SY070003", "", "", "", "2020-01-28", "12,000", "", "", "CCCM", ""],
]
# The file rows of GOOD_ROWS: title row 1, column titles row 2, hashtags row 3.
GOOD_FIRST_ROW = 4
# What GOOD_ROWS load as: (pcode, metric, value, qualifier, admin_level, origin, start, end).
GOOD_FIGURES = {
    ("SY07", "population", 3_000_000, "approximately", 1, None, "2020-01-28", "2020-01-28"),
    ("SY-NW-OPP", "idps", 1_500_000, "exact", None, None, "2020-01-28", "2020-01-28"),
    ("SY07", "new_displacements", 1000, "more_than", 1, "SY070200", "2019-12-01", "2020-01-28"),
    ("SY02", "idps", 464_830, "exact", 1, None, "2020-01-28", "2020-01-28"),
    ("SY070003", "idps", 12_000, "exact", 3, None, "2020-01-28", "2020-01-28"),
}
VALUE_COLUMN = {"idps": 7, "new_displacements": 8, "population": 9}


def good_rows() -> list[list[str]]:
    """A fresh copy of GOOD_ROWS, safe to edit."""
    return [list(row) for row in GOOD_ROWS]


def good_file(tmp_path: Path, rows: Sequence[Sequence[str]] | None = None, **kwargs: Any) -> Path:
    """The good HXL file (or `rows` under its title rows and hashtags) written under tmp_path."""
    body = good_rows() if rows is None else rows
    return write_hxl(tmp_path, [GOOD_TITLE, GOOD_TITLES, GOOD_TAGS, *body], **kwargs)


def write_hxl(
    tmp_path: Path,
    rows: Sequence[Sequence[object]],
    name: str = "input.csv",
    *,
    encoding: str = "utf-8",
) -> Path:
    """Write `rows` (title rows, the hashtag row and data rows, as given) as a CSV file."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


BACKENDS = ("sqlite", "postgresql")
POSTGRES_HOWTO = (
    "PostgreSQL tests need a server: run `make test-pg-up` (or .ci/run), then "
    "export TEST_POSTGRES_URL=postgresql+psycopg://dashboard:dashboard@127.0.0.1:5432/postgres"
)


def postgres_admin_url() -> str:
    """TEST_POSTGRES_URL; without it the test fails in CI and is skipped elsewhere."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it")
        pytest.skip(POSTGRES_HOWTO)
    return url


class PostgresServer:
    """Throwaway databases on the test server, cloned from one migrated template per session.

    Each test gets a database of its own, made by CREATE DATABASE ... TEMPLATE (a file copy,
    no migration to run) and dropped after it. Both cost tens of ms of the server's fsyncs, so
    a background thread makes the next database while a test runs and drops the last one.
    Names are ddtest_<host>_<pid>_<n>: leftovers of a crashed session on this host are dropped.
    """

    SPARES = 3

    def __init__(self, admin_url: str) -> None:
        self.admin_url = sa.make_url(admin_url)
        self.admin = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        host = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
        self.prefix = f"ddtest_{host}_"
        self.session = f"{self.prefix}{os.getpid()}_"
        self.created: list[str] = []
        self._numbers = itertools.count(1)
        self._worker = ThreadPoolExecutor(max_workers=3, thread_name_prefix="pg-test-dbs")
        self._spares: list[Future[str]] = []
        self._drops: list[Future[None]] = []
        self._drop_leftovers()
        self.template = self._make_template()
        self._world: str | None = None

    def url(self, database: str) -> str:
        """The URL of `database` on this server, password included."""
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def _drop_leftovers(self) -> None:
        with self.admin.connect() as conn:
            names = conn.execute(
                sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)"),
                {"prefix": self.prefix},
            ).scalars()
            for name in list(names):
                pid = name.removeprefix(self.prefix).split("_")[0]
                if pid.isdigit() and not _alive(int(pid)):
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _make_template(self) -> str:
        """An empty database brought to the latest migration, as the application does it."""
        name = f"{self.session}template"
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{name}"')
        open_store(self.url(name)).dispose()
        return name

    def _create(self, migrated: bool) -> str:
        name = f"{self.session}{next(self._numbers)}"
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        self._execute(f'CREATE DATABASE "{name}"{template}')
        return name

    def world_database(self) -> str:
        """A fresh database holding the gazetteer `etl refresh` loads; returns its URL.

        The world's 33,000 places take seconds to load: they are loaded once, into a second
        template, and each test's database is a copy of it.
        """
        if self._world is None:
            world = f"{self.session}world"
            self._execute(f'DROP DATABASE IF EXISTS "{world}" WITH (FORCE)')
            self._execute(f'CREATE DATABASE "{world}" TEMPLATE "{self.template}"')
            store = open_store(self.url(world))
            load_reference(store, DATA_DIR)
            store.dispose()
            self._world = world
        name = f"{self.session}{next(self._numbers)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._world}"')
        self.created.append(name)
        return self.url(name)

    def _drop(self, name: str) -> None:
        # A throwaway database left behind costs nothing (the next session drops it, see
        # _drop_leftovers); a teardown that fails the suite for it would. So: retry, then warn.
        for attempt in range(3):
            try:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except sa.exc.DBAPIError as exc:
                error = exc
                time.sleep(0.5 * (attempt + 1))
        warnings.warn(f"could not drop test database {name}: {error}", stacklevel=1)

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh database of its own (at the latest migration, or empty); returns its URL."""
        if not migrated:
            name = self._create(False)
        else:
            while len(self._spares) <= self.SPARES:
                self._spares.append(self._worker.submit(self._create, True))
            name = self._spares.pop(0).result()
        self.created.append(name)
        return self.url(name)

    def drop(self, names: Sequence[str]) -> None:
        """Drop these databases (in the background), closing the sessions a test left open."""
        for name in names:
            self.created.remove(name)
            self._drops.append(self._worker.submit(self._drop, name))

    def close(self) -> None:
        """Drop every database of the session, the template last."""
        self.drop(list(self.created))
        for spare in self._spares:
            self._drops.append(self._worker.submit(self._drop, spare.result()))
        self._worker.shutdown(wait=True)
        for future in self._drops:
            future.result()  # a drop that failed says so
        if self._world is not None:
            self._drop(self._world)
        self._drop(self.template)
        self.admin.dispose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_server: PostgresServer | None = None
_backend = "sqlite"


def postgres_server() -> PostgresServer:
    """The session's PostgreSQL test server (skips or fails without TEST_POSTGRES_URL)."""
    global _server
    if _server is None:
        _server = PostgresServer(postgres_admin_url())
    return _server


def close_postgres_server() -> None:
    """Drop the session's databases, if it made any."""
    global _server
    if _server is not None:
        _server.close()
        _server = None


def use_backend(name: str) -> None:
    """Make `make_store` and `store_url` default to this backend (the `backend` fixture)."""
    global _backend
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}")
    _backend = name


def store_url(
    tmp_path: Path, name: str = "store.db", *, backend: str | None = None, migrated: bool = True
) -> str:
    """A URL for a new, empty store: a SQLite file under tmp_path or a fresh database.

    A PostgreSQL database is already at the latest migration (cloned from the session's
    template) unless `migrated` is False; a SQLite file is made by whoever opens it.
    """
    if (backend or _backend) == "postgresql":
        return postgres_server().new_database(migrated=migrated)
    return f"sqlite:///{tmp_path / name}"


def make_store(
    tmp_path: Path, *, name: str = "store.db", reference: bool = True, backend: str | None = None
) -> Store:
    """A store on a real database, with the fixture gazetteer loaded.

    A SQLite file under tmp_path, or a throwaway PostgreSQL database, by `backend` (default:
    the one the `backend` fixture selected for this test, SQLite outside it).
    """
    store = open_store(store_url(tmp_path, name, backend=backend))
    if reference:
        load_reference(store, REFERENCE_DIR)
    return store


_world_sqlite: Path | None = None


def world_store(tmp_path: Path, *, name: str = "store.db", backend: str | None = None) -> Store:
    """A store on a real database holding the gazetteer `etl refresh` loads (data/).

    A copy of one store loaded once per session: loading the world's places for every test
    would cost seconds each.
    """
    global _world_sqlite
    if (backend or _backend) == "postgresql":
        return open_store(postgres_server().world_database())
    if _world_sqlite is None:
        folder = tempfile.mkdtemp(prefix="world-store-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "world.db"
        store = open_store(f"sqlite:///{template}")
        load_reference(store, DATA_DIR)
        store.dispose()
        _world_sqlite = template
    target = tmp_path / name
    # The backup API copies a consistent database whatever the journal mode left beside it.
    with (
        closing(sqlite3.connect(_world_sqlite)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return open_store(f"sqlite:///{target}")


def copy_reference(target: Path) -> Path:
    """A copy of the fixture reference folder at `target`, to use as DATA_DIR."""
    shutil.copytree(REFERENCE_DIR, target)
    return target


# The real published files beside the repository (../shared/data), kept out of it for their
# licences.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(path: Path) -> Path:
    """A real file under ../shared/data: a failure in CI when missing, else a skip."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared/data/")
        pytest.skip(f"{path} not present on this machine")
    return path


def figure_record(**overrides: object) -> dict[str, object]:
    """A valid canonical figure (an idps stock in Idleb); `overrides` change any column."""
    record: dict[str, object] = {
        "source": "hxl",
        "dataset": "test.csv",
        "source_record_id": None,
        "publisher": "OCHA",
        "metric": "idps",
        "pcode": "SY07",
        "admin_level": 1,
        "origin_pcode": None,
        "period_start": "2020-01-28",
        "period_end": "2020-01-28",
        "value": 1000,
        "qualifier": "exact",
        "cause": "conflict",
        "sex": None,
        "age_group": None,
        "unit": "people",
        "role": "recommended",
        "excerpt": None,
        "source_url": "https://example.org/report",
        "retrieved_at": RETRIEVED_AT,
        "run_id": "run-1",
    }
    record.update(overrides)
    for col in ("period_start", "period_end"):
        record[col] = pd.Timestamp(record[col])  # type: ignore[arg-type]
    record["figure_id"] = figure_id(record)
    return record


def figure_frame(*records: dict[str, object]) -> pd.DataFrame:
    """Canonical figures as a frame, through etl.frames.to_figure_frame."""
    return to_figure_frame(list(records))


def table_rows(store: Store, table: sa.Table) -> list[dict[str, object]]:
    """Every row of `table`, as stored, in a stable order."""
    order = list(table.primary_key.columns) or list(table.columns)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(*order)).mappings()]


def stored_figures(store: Store) -> list[dict[str, object]]:
    """Every row of `figures`, as stored, ordered by figure_id."""
    return table_rows(store, tables.figures)


def figure_summary(store: Store) -> set[tuple[object, ...]]:
    """The stored figures as GOOD_FIGURES-style tuples."""
    return {
        (
            r["pcode"],
            r["metric"],
            r["value"],
            r["qualifier"],
            r["admin_level"],
            r["origin_pcode"],
            r["period_start"].isoformat(),  # type: ignore[union-attr]
            r["period_end"].isoformat(),  # type: ignore[union-attr]
        )
        for r in stored_figures(store)
    }


def runs(store: Store) -> list[dict[str, object]]:
    """Every row of etl_runs, oldest first."""
    with store.engine.connect() as conn:
        stmt = sa.select(tables.etl_runs).order_by(tables.etl_runs.c.started_at)
        return [dict(r) for r in conn.execute(stmt).mappings()]


def rejection_rows(store: Store, run_id: str | None = None) -> list[dict[str, object]]:
    """Rows of `rejections` (of one run, or all), in insertion order."""
    j = tables.rejections
    stmt = sa.select(j).order_by(j.c.id)
    if run_id is not None:
        stmt = stmt.where(j.c.run_id == run_id)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def one_row(figs: pd.DataFrame, **where: object) -> pd.Series:
    """The one row of `figs` matching every column given (None matches a missing value)."""
    rows = figs
    for column, value in where.items():
        rows = rows[rows[column].isna()] if value is None else rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]
