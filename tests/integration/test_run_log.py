"""The run log and the rejections, read back from a real store, match their schemas."""

import pandas as pd
import pandera.pandas as pa
import pytest

from etl.pipeline import import_hxl
from etl.store import reads
from schemas.runs import EtlRunModel, RejectionModel
from tests.factories import good_file, good_rows


def _runs(store) -> pd.DataFrame:
    frame = reads.runs(store.engine)
    for col in ("started_at", "finished_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def test_runs_and_rejections_follow_their_models(store, tmp_path) -> None:
    rows = good_rows()
    rows[1][7] = "not a number"
    path = good_file(tmp_path, rows)
    report = import_hxl(store, path, max_rejected_share=0.9)
    assert report.ok, report.message
    runs = EtlRunModel.validate(_runs(store))
    assert list(runs["status"]) == ["loaded"]
    rejected = reads.rejections(store.engine, report.run_id)
    rejected["row_number"] = rejected["row_number"].astype("Int64")
    assert len(RejectionModel.validate(rejected)) == len(report.rejections) == 1


def test_a_run_with_an_unknown_status_is_refused() -> None:
    runs = pd.DataFrame(
        {
            "run_id": ["r1"],
            "source": ["hxl"],
            "dataset": ["in.csv"],
            "started_at": pd.to_datetime(["2020-01-01"]),
            "finished_at": pd.to_datetime(["2020-01-01"]),
            "status": ["half-done"],
            "rows_fetched": [1],
            "rows_loaded": [1],
            "rows_rejected": [0],
            "message": ["m"],
        }
    )
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        EtlRunModel.validate(runs, lazy=True)
    cases = caught.value.failure_cases
    assert set(cases.loc[cases["column"] == "status", "failure_case"]) == {"half-done"}
