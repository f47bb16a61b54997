"""`python -m etl` driven through typer's CliRunner on a store of each backend (SQLite file
under tmp_path, or a throwaway PostgreSQL database)."""

import csv
import dataclasses
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from etl import sources
from etl.cli import app
from etl.lock import run_lock
from etl.store import open_store
from etl.store.writes import Changes
from tests.factories import (
    GOOD_FIGURES,
    GOOD_FIRST_ROW,
    VALUE_COLUMN,
    copy_reference,
    figure_summary,
    good_file,
    good_rows,
    runs,
    store_url,
    write_hxl,
)


class Cli:
    """Runs the ETL command line against one temporary store, data folder and lock."""

    def __init__(self, tmp_path: Path, backend: str) -> None:
        self.tmp_path = tmp_path
        self.lock = tmp_path / "locks" / "etl.lock"
        self.data_dir = copy_reference(tmp_path / "data")
        good_file(self.data_dir / "bundled", name="good.csv")
        self.sources = tmp_path / "sources.toml"
        self.sources.write_text('[hxl]\nenabled = true\nfiles = ["bundled/good.csv"]\n')
        self.env = {
            "DATABASE_URL": store_url(tmp_path, "etl.db", backend=backend),
            "DATA_DIR": str(self.data_dir),
            "SOURCES_CONFIG": str(self.sources),
            "ETL_LOCK_PATH": str(self.lock),
            "ETL_MAX_REJECTED_SHARE": "0.25",
        }

    def __call__(self, *args: str) -> Result:
        result = CliRunner().invoke(app, list(args), env=self.env)
        # Every outcome is a deliberate exit: never an exception escaping as a traceback.
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        assert "Traceback" not in result.output
        return result

    def store(self):  # type: ignore[no-untyped-def]
        return open_store(self.env["DATABASE_URL"])

    def input_file(self, rows: Sequence[Sequence[str]] | None = None, name: str = "in.csv") -> Path:
        return good_file(self.tmp_path / "inputs", rows, name=name)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str) -> Cli:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    runner = Cli(tmp_path, backend)
    assert runner("refresh").exit_code == 0  # the gazetteer, and the bundled file
    return runner


def _error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def test_refresh_loads_reference_and_bundled_inputs(
    tmp_path: Path, monkeypatch, backend: str
) -> None:
    monkeypatch.chdir(tmp_path)
    cli = Cli(tmp_path, backend)
    result = cli("refresh")
    assert result.exit_code == 0, result.output
    assert "reference: 10 places loaded" in result.stdout
    assert "hxl: good.csv: loaded 5 figures (5 added" in result.stdout
    store = cli.store()
    assert figure_summary(store) == GOOD_FIGURES
    assert [(r["dataset"], r["status"]) for r in runs(store)] == [("good.csv", "loaded")]


def test_refresh_twice_changes_nothing(cli: Cli) -> None:
    result = cli("refresh")
    assert result.exit_code == 0
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in result.stdout


def test_refresh_with_a_broken_bundled_file_exits_1(cli: Cli) -> None:
    (cli.data_dir / "bundled" / "good.csv").write_text("no,tags\n1,2\n", encoding="utf-8")
    result = cli("refresh")
    assert result.exit_code == 1
    assert "FAILED" in result.stderr
    assert figure_summary(cli.store()) == GOOD_FIGURES  # the last good data stays


def test_refresh_refuses_a_configured_file_over_the_input_limit(cli: Cli) -> None:
    good_file(cli.data_dir / "bundled", good_rows() * 40, name="good.csv")  # about 9 KB
    cli.env["ETL_MAX_INPUT_MB"] = "0.001"
    result = cli("refresh")
    assert result.exit_code == 1
    assert "over the 0.001 MB limit (ETL_MAX_INPUT_MB)" in result.stderr
    assert figure_summary(cli.store()) == GOOD_FIGURES  # the last good data stays
    assert runs(cli.store())[-1]["status"] == "failed"


def test_refresh_unknown_source_is_a_usage_error(cli: Cli) -> None:
    result = cli("refresh", "--source", "nope")
    assert result.exit_code == 2
    assert "unknown source nope" in _error_line(result)


def test_import_good_file(cli: Cli) -> None:
    result = cli("import", "--source", "hxl", str(cli.input_file()))
    assert result.exit_code == 0, result.output
    assert "hxl: in.csv: loaded 5 figures (5 added, 0 changed, 0 removed" in result.stdout
    summary = figure_summary(cli.store())
    assert len(summary) == 5  # in.csv and good.csv hold the same figures: a set of 5
    assert summary == GOOD_FIGURES
    assert [r["dataset"] for r in runs(cli.store())] == ["good.csv", "in.csv"]


def test_import_with_one_bad_row_lists_it(cli: Cli) -> None:
    rows = good_rows()
    rows[3][VALUE_COLUMN["idps"]] = "lots"
    result = cli("import", "--source", "hxl", str(cli.input_file(rows)))
    assert result.exit_code == 0, result.output
    assert "loaded 4 figures" in result.stdout
    assert "1 rejected" in result.stdout
    bad_row = GOOD_FIRST_ROW + 3
    assert (
        f"rejected row {bad_row}, column #affected+idps: not a whole number (got 'lots')"
        in result.stdout
    )


def test_import_missing_file_is_one_error_line(cli: Cli) -> None:
    missing = cli.tmp_path / "missing.csv"
    result = cli("import", "--source", "hxl", str(missing))
    assert result.exit_code == 1
    line = _error_line(result)
    assert "no such file" in line
    assert str(missing) in line


def test_import_csv_without_hxl_tags_fails(cli: Cli) -> None:
    path = write_hxl(cli.tmp_path, [["Governorate", "Date", "IDPs"], ["SY07", "2020-01-28", "5"]])
    result = cli("import", "--source", "hxl", str(path))
    assert result.exit_code == 1
    assert "no row of HXL hashtags" in _error_line(result)
    assert runs(cli.store())[-1]["status"] == "failed"


def test_import_unknown_source_is_a_usage_error(cli: Cli) -> None:
    result = cli("import", "--source", "nope", str(cli.input_file()))
    assert result.exit_code == 2
    assert "unknown source nope (known: " in _error_line(result)
    assert "hxl" in _error_line(result)
    assert len(runs(cli.store())) == 1  # nothing ran


def test_import_without_source_is_a_usage_error(cli: Cli) -> None:
    result = cli("import", str(cli.input_file()))
    assert result.exit_code == 2
    assert "--source" in result.output


def test_export_writes_the_rows(cli: Cli) -> None:
    out = cli.tmp_path / "out" / "figures.csv"
    out.parent.mkdir()
    result = cli("export", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote 5 figures to {out}" in result.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {(r["pcode"], r["metric"], r["value"], r["qualifier"]) for r in rows} == {
        (f[0], f[1], str(f[2]), f[3]) for f in GOOD_FIGURES
    }


def test_export_filters_and_hxl_row(cli: Cli) -> None:
    out = cli.tmp_path / "idleb.csv"
    result = cli("export", "--pcode", "SY07", "--metric", "population", "--hxl", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[1][0] == "#meta+figure_id"
    assert len(rows) == 3
    # Each value sits under its HXL dictionary hashtag: the population under #population+ind.
    record = dict(zip(rows[0], rows[2], strict=True))
    assert rows[1][rows[0].index("population")] == "#population+ind"
    assert (record["pcode"], record["population"]) == ("SY07", "3000000")


def test_export_date_range(cli: Cli) -> None:
    out = cli.tmp_path / "december.csv"
    result = cli("export", "--from", "2019-12-01", "--to", "2019-12-31", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["pcode"], r["metric"]) for r in rows] == [("SY07", "new_displacements")]


def test_export_bad_date_is_a_usage_error(cli: Cli) -> None:
    out = cli.tmp_path / "never.csv"
    result = cli("export", "--from", "not-a-date", "-o", str(out))
    assert result.exit_code == 2
    assert "--from 'not-a-date': not an ISO date" in _error_line(result)
    assert not out.exists()


def test_export_to_an_unwritable_place_fails(cli: Cli) -> None:
    result = cli("export", "-o", str(cli.tmp_path / "no" / "such" / "folder.csv"))
    assert result.exit_code == 1
    assert "No such file or directory" in _error_line(result)


def test_status_lists_runs(cli: Cli) -> None:
    rows = good_rows()
    for row in rows:
        row[6] = "28/01/2020"
    assert cli("import", "--source", "hxl", str(cli.input_file(rows))).exit_code == 1
    result = cli("status")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout
    newest, why, oldest = lines
    assert newest.split()[2:] == ["hxl", "failed", "0", "loaded", "5", "rejected", "in.csv"]
    assert "every figure was rejected (5 records)" in why
    assert oldest.split()[2:] == ["hxl", "loaded", "5", "loaded", "0", "rejected", "good.csv"]


def test_status_without_runs(tmp_path: Path, monkeypatch, backend: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = Cli(tmp_path, backend)("status")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no runs yet: try `python -m etl refresh`"


def test_held_lock_exits_3(cli: Cli) -> None:
    before = figure_summary(cli.store())
    rows = good_rows()
    rows[3][VALUE_COLUMN["idps"]] = "470,000"
    with run_lock(cli.lock, cli.env["DATABASE_URL"]):
        refreshed = cli("refresh")
        imported = cli("import", "--source", "hxl", str(cli.input_file(rows)))
    for result in (refreshed, imported):
        assert result.exit_code == 3
        assert "another ETL run holds the lock" in _error_line(result)
    assert figure_summary(cli.store()) == before
    assert len(runs(cli.store())) == 1
    # Released, the same import runs.
    assert cli("import", "--source", "hxl", str(cli.input_file(rows))).exit_code == 0


def test_changes_are_reported_on_reimport(cli: Cli) -> None:
    path = cli.input_file()
    cli("import", "--source", "hxl", str(path))
    result = cli("import", "--source", "hxl", str(path))
    c = Changes(added=0, changed=0, removed=0, unchanged=5)
    expected = (
        f"({c.added} added, {c.changed} changed, {c.removed} removed, {c.unchanged} unchanged)"
    )
    assert expected in result.stdout


def test_refresh_without_gazetteer_is_one_error_line(
    tmp_path: Path, monkeypatch, backend: str
) -> None:
    monkeypatch.chdir(tmp_path)
    cli = Cli(tmp_path, backend)
    (cli.data_dir / "places.csv").unlink()
    result = cli("refresh")
    assert result.exit_code == 1
    assert "places.csv: no such file" in _error_line(result)


def test_python_dash_m_etl_reports_errors_without_traceback(cli: Cli) -> None:
    missing = cli.tmp_path / "missing.csv"
    done = subprocess.run(
        [sys.executable, "-m", "etl", "import", "--source", "hxl", str(missing)],
        env={**os.environ, **cli.env},
        cwd=cli.tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: hxl: missing.csv: FAILED: {missing}: no such file"
    ]


def test_an_error_no_check_foresaw_is_one_line_and_changes_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = figure_summary(cli.store())

    def unreadable(_fetched: object) -> None:
        raise ValueError("Error tokenizing data. C error: Expected 1 fields in line 4, saw 2")

    broken = dataclasses.replace(sources.REGISTRY["hxl"], read=unreadable)
    monkeypatch.setitem(sources.REGISTRY, "hxl", broken)
    result = cli("import", "--source", "hxl", str(good_file(tmp_path, name="odd.csv")))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: odd.csv: cannot be read (ValueError: Error tokenizing data. C error: "
        "Expected 1 fields in line 4, saw 2)"
    ]
    refreshed = cli("refresh")
    assert refreshed.exit_code == 1
    assert "hxl: cannot be read (ValueError: Error tokenizing data." in refreshed.output
    assert figure_summary(cli.store()) == before
