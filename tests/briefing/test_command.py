"""`python -m dashboard brief`: the file by its extension, clear refusals, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _brief(store, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": store.url}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "brief", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_writes_the_deck_named_on_the_command_line(bundled_store, tmp_path):
    out = tmp_path / "idleb.pptx"
    done = _brief(
        bundled_store,
        "--place",
        "SY07",
        "--from",
        "2019-12-01",
        "--to",
        "2020-03-05",
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:2] == b"PK"
    assert "idleb.pptx" in done.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--place", "XX99", "-o", "x.pptx"], 1, "unknown place 'XX99'"),
        (
            ["--place", "SY07", "--from", "2020-03-05", "--to", "2019-12-01", "-o", "x.pptx"],
            1,
            "reversed",
        ),
        (["--place", "SY07", "-o", "x.docx"], 1, ".pptx or .pdf"),
        (["--place", "SY07", "--from", "5/3/2020", "-o", "x.pptx"], 2, "is not a date"),
        (["--place", "SY07", "--lang", "fr", "-o", "x.pptx"], 2, "invalid choice"),
    ],
)
def test_a_bad_request_gets_a_clear_message_and_no_traceback(
    bundled_store, tmp_path, args, code, message
):
    done = _brief(bundled_store, *[str(tmp_path / a) if a.startswith("x.") else a for a in args])
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())


def test_serving_still_parses_its_own_options():
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert "--port" in done.stdout
