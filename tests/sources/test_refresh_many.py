"""A refresh with one failing source loads the others and exits 1."""

from pathlib import Path

from typer.testing import CliRunner

from etl.cli import app
from etl.store import open_store, reads
from tests.factories import copy_reference, good_file
from tests.upstream import Reply


def test_one_failing_source_does_not_stop_the_others(tmp_path: Path, upstream) -> None:
    data = copy_reference(tmp_path / "data")
    good_file(data / "bundled", name="good.csv")
    upstream.script("/isimm/ISIMM_2020Jan.csv", Reply(503))
    config = tmp_path / "sources.toml"
    config.write_text(
        '[hxl]\nenabled = true\nfiles = ["bundled/good.csv"]\n\n'
        "[cccm-isimm]\nenabled = true\n"
        f'base_url = "{upstream.base}/isimm/"\nfiles = ["ISIMM_2020Jan.csv"]\n',
        encoding="utf-8",
    )
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'many.db'}",
        "DATA_DIR": str(data),
        "SOURCES_CONFIG": str(config),
        "ETL_LOCK_PATH": str(tmp_path / "etl.lock"),
        "HTTP_RETRIES": "1",
        "HTTP_BACKOFF": "0.01",
    }
    result = CliRunner().invoke(app, ["refresh"], env=env)
    assert result.exit_code == 1, result.output
    assert "cccm-isimm" in result.output and "HTTP 503" in result.output
    store = open_store(env["DATABASE_URL"])
    runs = reads.runs(store.engine)
    assert dict(zip(runs["source"], runs["status"], strict=True)) == {
        "hxl": "loaded",
        "cccm-isimm": "failed",
    }
    assert len(reads.figures(store.engine, sources=["hxl"])) == 5
    store.dispose()
