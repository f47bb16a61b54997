"""Every case of the hostile corpus (tests/hostile/cases.py) through the real command line,
into a real store holding earlier data: the outcome the manifest states, one clear `error:`
line or rejections naming row and column, and the earlier data untouched by any failure.

The big cases run `python -m etl` in a subprocess under a 1.5 GB address-space limit and a
timeout: reading them must stay bounded whatever the file claims.
"""

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from etl.cli import app
from etl.store import Store
from tests.factories import good_file, runs, stored_figures
from tests.hostile.cases import CASES, Case, Fails, Loads

MEMORY_LIMIT = 1536 * 2**20
TIMEOUT = 300


@dataclass
class Outcome:
    """What one run of the command line did."""

    exit_code: int
    stdout: str
    stderr: str


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run(args: list[str], env: dict[str, str], limited: bool, cwd: Path) -> Outcome:
    if limited:
        done = subprocess.run(
            [sys.executable, "-m", "etl", *args],
            env={**os.environ, **env},
            cwd=cwd,
            preexec_fn=_limits,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)
    result = CliRunner().invoke(app, args, env=env)
    # Every outcome is a deliberate exit, never an exception escaping.
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    return Outcome(result.exit_code, result.stdout, result.stderr)


def _rejected_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if line.startswith("  rejected ")]


def _check_rejections(stdout: str, expected: tuple[tuple[int, str, str], ...]) -> None:
    lines = _rejected_lines(stdout)
    assert len(lines) == len(expected), stdout
    for (row, column, words), line in zip(expected, lines, strict=True):
        assert line.startswith(f"rejected row {row}, column {column}: "), (line, stdout)
        assert words in line, (words, line)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, store: Store, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {
        "DATABASE_URL": store.url,
        "ETL_LOCK_PATH": str(tmp_path / "etl.lock"),
        "ETL_MAX_REJECTED_SHARE": "0.25",
        **case.env,
    }
    baseline = good_file(tmp_path / "earlier", name="baseline.csv")
    first = _run(
        ["import", "--source", "hxl", str(baseline)],
        {**env, **{"ETL_MAX_INPUT_MB": "100"}},
        False,
        tmp_path,
    )
    assert first.exit_code == 0, first
    before = stored_figures(store)
    runs_before = len(runs(store))
    path = case.path(tmp_path / "input")

    outcome = _run(["import", "--source", "hxl", str(path)], env, case.limited, tmp_path)

    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome
    after = stored_figures(store)
    log = runs(store)
    assert len(log) == runs_before + 1, log  # the run is recorded, loaded or failed
    if isinstance(case.outcome, Fails):
        assert outcome.exit_code == 1, outcome
        lines = outcome.stderr.strip().splitlines()
        assert len(lines) == 1, outcome.stderr
        assert lines[0].startswith("error: "), lines[0]
        assert case.outcome.words in lines[0], lines[0]
        _check_rejections(outcome.stdout, case.outcome.rejected)
        assert after == before  # nothing lost, nothing let in
        assert log[-1]["status"] == "failed"
        assert case.outcome.words in (log[-1]["message"] or ""), log[-1]
        return
    expected: Loads = case.outcome
    assert outcome.exit_code == 0, outcome
    assert outcome.stderr == "", outcome.stderr
    assert f"loaded {len(expected.figures)} figures" in outcome.stdout, outcome.stdout
    assert expected.stdout in outcome.stdout
    _check_rejections(outcome.stdout, expected.rejected)
    mine = [r for r in after if r["dataset"] == path.name]
    assert {
        (
            r["pcode"],
            r["metric"],
            r["value"],
            r["qualifier"],
            r["admin_level"],
            r["origin_pcode"],
            r["period_start"].isoformat(),
            r["period_end"].isoformat(),
        )
        for r in mine
    } == expected.figures
    assert len(mine) == len(expected.figures)
    for column, values in expected.texts.items():
        assert {r[column] for r in mine if r[column] is not None} == values, column
    assert [r for r in after if r["dataset"] != path.name] == before
    assert log[-1]["status"] == "loaded"


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        ("ETL_MAX_INPUT_MB", "abc", "setting ETL_MAX_INPUT_MB: Input should be a valid number"),
        ("ETL_MAX_INPUT_MB", "0", "setting ETL_MAX_INPUT_MB: Input should be greater than 0"),
        ("ETL_MAX_REJECTED_SHARE", "2", "setting ETL_MAX_REJECTED_SHARE: Input should be less"),
    ],
)
def test_a_hostile_setting_is_one_usage_error_line(
    tmp_path: Path, monkeypatch, setting: str, value: str, words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ETL_LOCK_PATH": str(tmp_path / "etl.lock"),
        setting: value,
    }
    path = good_file(tmp_path, name="good.csv")
    outcome = _run(["import", "--source", "hxl", str(path)], env, False, tmp_path)
    assert outcome.exit_code == 2, outcome
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith(f"error: {words}"), lines[0]
    assert not (tmp_path / "store.db").exists()  # refused before the store was opened
