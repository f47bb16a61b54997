"""A store that cannot take the load: the disk is full, or the database is read-only.

Both are made by SQLite itself on every connection the command line opens, so they hold as
root (who ignores file modes) and as anyone else: `PRAGMA max_page_count` caps the file a
little above the data already in it, so the next load hits SQLITE_FULL ("database or disk is
full") exactly as a full disk does; `PRAGMA query_only` refuses every write as a read-only
file does. The run must fail with one `error:` line and exit 1, be recorded in `etl_runs`
where the store can still take that much, and leave the earlier figures exactly as they were.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from etl.cli import app
from etl.reference import load_reference
from etl.store import Store, open_store
from tests.factories import (
    REFERENCE_DIR,
    copy_reference,
    good_file,
    runs,
    stored_figures,
    write_hxl,
)


class Cli:
    """The ETL command line on one SQLite file under tmp_path."""

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "store.db"
        self.url = f"sqlite:///{self.path}"
        self.env = {
            "DATABASE_URL": self.url,
            "ETL_LOCK_PATH": str(tmp_path / "etl.lock"),
            "ETL_MAX_REJECTED_SHARE": "0.25",
        }

    def __call__(self, *args: str) -> Result:
        result = CliRunner().invoke(app, list(args), env=self.env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        assert "Traceback" not in result.output
        return result


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    runner = Cli(tmp_path)
    store = open_store(runner.url)
    load_reference(store, REFERENCE_DIR)
    store.dispose()
    earlier = good_file(tmp_path / "earlier", name="earlier.csv")
    assert runner("import", "--source", "hxl", str(earlier)).exit_code == 0
    yield runner


def _many_figures(tmp_path: Path, count: int = 3000) -> Path:
    """A good HXL file of `count` figures (one place, one a day from 2000 on)."""
    start = dt.date(2000, 1, 1)
    rows: list[list[object]] = [["#adm1+code", "#date", "#affected+idps"]]
    rows += [["SY07", (start + dt.timedelta(days=i)).isoformat(), i + 1] for i in range(count)]
    return write_hxl(tmp_path / "new", rows, name="many.csv")


class SqlitePragma:
    """Runs one PRAGMA on every new SQLite connection while active (any engine)."""

    def __init__(self, pragma: str) -> None:
        self.pragma = pragma

    def _on_connect(self, dbapi_conn: object, _record: object) -> None:
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute(self.pragma)
        cursor.close()

    def __enter__(self) -> "SqlitePragma":
        sa.event.listen(sa.engine.Engine, "connect", self._on_connect)
        return self

    def __exit__(self, *_exc: object) -> None:
        sa.event.remove(sa.engine.Engine, "connect", self._on_connect)


def _page_count(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        count = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    engine.dispose()
    return count


def _store(cli: Cli) -> Store:
    return open_store(cli.url)


def _one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def test_a_full_disk_fails_the_load_cleanly_and_keeps_the_old_data(
    cli: Cli, tmp_path: Path
) -> None:
    store = _store(cli)
    before = stored_figures(store)
    runs_before = runs(store)
    many = _many_figures(tmp_path)
    # Room for the run log's row, not for 3,000 figures.
    with SqlitePragma(f"PRAGMA max_page_count = {_page_count(cli.url) + 2}"):
        result = cli("import", "--source", "hxl", str(many))
    assert result.exit_code == 1, result.output
    assert "database or disk is full" in _one_error_line(result)
    assert stored_figures(store) == before
    log = runs(store)
    assert log[: len(runs_before)] == runs_before
    # The run was recorded when it started; the store had room to say how it ended.
    assert len(log) == len(runs_before) + 1
    assert log[-1]["status"] == "failed"
    assert "database or disk is full" in log[-1]["message"]
    # With room again, the same file loads: nothing was left half-written.
    assert cli("import", "--source", "hxl", str(many)).exit_code == 0
    assert len(stored_figures(store)) == len(before) + 3000
    store.dispose()


def test_a_read_only_store_fails_the_load_cleanly_and_keeps_the_old_data(
    cli: Cli, tmp_path: Path
) -> None:
    store = _store(cli)
    before = stored_figures(store)
    runs_before = runs(store)
    many = _many_figures(tmp_path, 10)
    with SqlitePragma("PRAGMA query_only = ON"):
        result = cli("import", "--source", "hxl", str(many))
        status = cli("status")
    assert result.exit_code == 1, result.output
    assert "readonly database" in _one_error_line(result)
    assert status.exit_code == 0  # reading still works
    assert stored_figures(store) == before
    # A read-only store cannot record the run: the log is as it was.
    assert runs(store) == runs_before
    store.dispose()


@pytest.mark.parametrize("command", ["import", "refresh"])
def test_running_out_of_memory_is_one_error_line_and_keeps_the_old_data(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    store = _store(cli)
    before = stored_figures(store)
    runs_before = runs(store)
    many = _many_figures(tmp_path, 10)

    def exhausted(*_args: object, **_kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("etl.pipeline.validate_figures", exhausted)
    if command == "import":
        result = cli("import", "--source", "hxl", str(many))
    else:
        config = tmp_path / "sources.toml"
        config.write_text(f'[hxl]\nenabled = true\nfiles = ["{many}"]\n', encoding="utf-8")
        data = copy_reference(tmp_path / "data")
        cli.env |= {"SOURCES_CONFIG": str(config), "DATA_DIR": str(data)}
        result = cli("refresh")
    assert result.exit_code == 1, result.output
    assert "out of memory" in _one_error_line(result)
    assert stored_figures(store) == before
    log = runs(store)
    assert log[: len(runs_before)] == runs_before
    assert log[-1]["status"] == "failed"
    assert log[-1]["message"].startswith("out of memory (MemoryError)")
    store.dispose()
