"""IOM DTM API v3 as it really answers: Chad, admin 1 (../shared/data/real/dtm/).

The figures asserted are the ones ../shared/data/real/README.md gives: TD07 (Lac) on
2025-01-31, round 24, baseline assessment: 221,543 (Conflict) and 4,146 (Natural disaster),
225,689 in all; on 2017-09-30 the same 147,032 as BA and as SA, which counts once. CI has the
real folder; there a missing file fails the test, elsewhere it skips.
"""

from pathlib import Path

import pandas as pd
import pytest

from etl.pipeline import import_file
from etl.store import reads
from tests.factories import SHARED_DATA, one_row, shared_file, world_store

REAL = SHARED_DATA / "real"
DTM_ADMIN1 = "dtm/dtm_v3_admin1_TCD.json"


def real(name: str) -> Path:
    """A real file beside the repository: a failure in CI when missing, else a skip."""
    return shared_file(REAL / name)


@pytest.fixture
def loaded(tmp_path: Path, backend: str) -> pd.DataFrame:
    """The real Chad admin 1 response imported end to end (on each backend); its figures."""
    path = real(DTM_ADMIN1)
    store = world_store(tmp_path, backend=backend)
    report = import_file(store, "dtm", path)
    assert report.ok, report.message
    # Nothing in this file is unreadable: no record is refused.
    assert report.rejections == []
    assert report.dataset == "admin1"  # told by its fields, not by its file name
    figures = reads.figures(store.engine, sources=["dtm"])
    store.dispose()
    return figures


def test_every_record_loads_with_its_null_splits_missing(loaded: pd.DataFrame) -> None:
    # 56 records, each a total; rounds 18 to 24 (19 records) add a male and a female figure.
    # The other 37 records have null numberMales/numberFemales: no figure, never a 0.
    assert len(loaded) == 56 + 19 + 19
    assert loaded["sex"].fillna("all").value_counts().to_dict() == {"all": 56, "m": 19, "f": 19}
    assert (loaded["value"] > 0).all()
    assert set(loaded["pcode"]) == {"TD07"}
    assert set(loaded["admin_level"]) == {1}


def test_a_round_split_by_reason_keeps_every_part_with_its_cause(loaded: pd.DataFrame) -> None:
    day = loaded[(loaded["period_end"] == pd.Timestamp("2025-01-31")) & loaded["sex"].isna()]
    parts = dict(zip(day["cause"], day["value"].astype(int), strict=True))
    assert parts == {"conflict": 221_543, "disaster": 4_146}
    assert sum(parts.values()) == 225_689
    assert "Natural disaster" in one_row(day, cause="disaster")["excerpt"]
    males = loaded[(loaded["period_end"] == pd.Timestamp("2025-01-31")) & (loaded["sex"] == "m")]
    assert sorted(males["value"].astype(int)) == [1_710, 93_236]
    # Round 16 has four reasons, one of them "No reason for displacement reported".
    r16 = loaded[(loaded["period_end"] == pd.Timestamp("2021-09-30")) & loaded["sex"].isna()]
    assert sorted(r16["value"].astype(int)) == [652, 8_223, 16_115, 432_958]
    assert len(set(r16["figure_id"])) == 4


def test_ba_and_sa_of_the_same_date_count_once(loaded: pd.DataFrame) -> None:
    totals = loaded[loaded["sex"].isna()]
    first = totals[totals["period_end"] == pd.Timestamp("2017-09-30")]
    roles = dict(zip(first["publisher"], first["role"], strict=True))
    assert roles == {
        "IOM DTM, Lake Chad Basin Crisis, baseline assessment": "recommended",
        "IOM DTM, Lake Chad Basin Crisis, site assessment": "triangulation",
    }
    assert set(first["value"]) == {147_032}
    # Wherever a baseline counts a date, no site assessment of that date is counted, even
    # when DTM gives the SA row an origin and the BA row none (2018-07-30, 2018-11-30).
    for day, rows in totals.groupby("period_end"):
        kinds = rows["publisher"].str.contains("baseline")
        if kinds.any():
            assert (rows.loc[~kinds, "role"] == "triangulation").all(), day
    # A date only a site assessment covers keeps it recommended (2018-02-28: 121,325).
    only_sa = one_row(totals, period_end=pd.Timestamp("2018-02-28"))
    assert (only_sa["value"], only_sa["role"]) == (121_325, "recommended")


def test_each_cause_counts_and_the_round_adds_up_to_dtms_total(loaded: pd.DataFrame) -> None:
    counted = loaded[(loaded["role"] == "recommended") & loaded["sex"].isna()]
    per_day = counted.groupby("period_end")["value"].sum().astype(int)
    # Each cause of a split is recommended: the round's parts add up to its total.
    assert per_day[pd.Timestamp("2025-01-31")] == 225_689
    assert per_day[pd.Timestamp("2017-09-30")] == 147_032  # BA and SA: once
    assert per_day[pd.Timestamp("2019-09-30")] == 169_003  # BA's two parts; SA's sum aside
    # Round 16 gives four reasons, each its own cause ("Insecurity" is not folded into
    # "Conflict", "No reason for displacement reported" is not_reported): every part counts,
    # and they add up to the 457,948 HAPI publishes for the round.
    r16 = loaded[(loaded["period_end"] == pd.Timestamp("2021-09-30")) & loaded["sex"].isna()]
    assert dict(zip(r16["cause"], r16["value"].astype(int), strict=True)) == {
        "conflict": 432_958,
        "insecurity": 8_223,
        "disaster": 652,
        "not_reported": 16_115,
    }
    assert set(r16["role"]) == {"recommended"}
    assert per_day[pd.Timestamp("2021-09-30")] == 457_948
    assert "not available" not in {str(o).lower() for o in loaded["origin_pcode"]}
