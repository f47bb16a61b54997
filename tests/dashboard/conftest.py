"""Small canonical frames for the dashboard's pure functions."""

import pandas as pd
import pytest

from etl.figure_ids import figure_id
from etl.frames import to_figure_frame


def make_figures(*overrides: dict) -> pd.DataFrame:
    """Figures with every canonical column (defaults: an exact OCHA idps stock in Idleb)."""
    records = []
    for i, change in enumerate(overrides):
        record = {
            "source": "hxl",
            "dataset": "t.csv",
            "source_record_id": None,
            "publisher": "OCHA, Sitrep",
            "metric": "idps",
            "pcode": "SY07",
            "admin_level": 1,
            "origin_pcode": None,
            "period_start": pd.Timestamp("2020-01-31"),
            "period_end": pd.Timestamp("2020-01-31"),
            "value": 1000 + i,
            "qualifier": "exact",
            "cause": "conflict",
            "sex": None,
            "age_group": None,
            "unit": "people",
            "role": "recommended",
            "excerpt": None,
            "source_url": "https://example.org/r",
            "retrieved_at": pd.Timestamp("2026-01-01", tz="UTC"),
            "run_id": "r1",
        }
        record.update(change)
        for col in ("period_start", "period_end"):
            record[col] = pd.Timestamp(record[col])
        if "period_end" not in change and record["metric"] in ("idps", "population"):
            record["period_end"] = record["period_start"]
        record["figure_id"] = figure_id(record)
        records.append(record)
    frame = to_figure_frame(records)
    frame["place_name"] = frame["pcode"]
    frame["place_name_ar"] = None
    frame["origin_name"] = frame["origin_pcode"]
    return frame


@pytest.fixture
def figures():
    """The factory, as a fixture."""
    return make_figures
