"""The connectors' ratios land in latest.json beside the other benchmarks', and a run of
`python -m bench` keeps them."""

import json
from pathlib import Path

from bench.connectors import into_latest
from bench.run import _keep_connectors


def _results(ratio: float) -> dict:
    row = {"source": "dtm", "fixture": "dtm_v3.json", "kind": "real", "ratio": ratio}
    return {
        "sources": [{**row, "met": ratio <= 2.0}],
        "isimm_archive": {"seconds": 1.99, "met": True},
    }


def test_the_connectors_summary_joins_latest_json_and_keeps_the_rest(tmp_path: Path):
    latest = tmp_path / "latest.json"
    latest.write_text(json.dumps({"etl": {"1000000": {"ratio": 1.17}}}))
    into_latest(_results(3.83), latest)
    data = json.loads(latest.read_text())
    assert data["etl"] == {"1000000": {"ratio": 1.17}}
    assert data["connectors"]["ratios"] == {
        "dtm/dtm_v3.json": {"kind": "real", "ratio": 3.83, "met": False}
    }
    assert data["connectors"]["isimm_archive_s"] == 1.99
    assert data["connectors"]["met"] is False
    into_latest(_results(1.5), latest)
    assert json.loads(latest.read_text())["connectors"]["met"] is True


def test_a_bench_run_keeps_the_connectors_ratios_it_did_not_measure(tmp_path: Path):
    latest = tmp_path / "latest.json"
    into_latest(_results(1.5), latest)
    fresh: dict = {"etl": {}}
    _keep_connectors(latest, fresh)
    assert fresh["connectors"]["ratios"]["dtm/dtm_v3.json"]["ratio"] == 1.5
    alone: dict = {}
    _keep_connectors(tmp_path / "absent.json", alone)
    assert alone == {}
