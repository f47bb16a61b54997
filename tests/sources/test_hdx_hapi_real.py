"""HDX HAPI's published table of IDPs (CSV), Chad, alone and beside IOM DTM's own answer.

The figures asserted are the ones ../shared/data/real/README.md gives: HAPI writes TCD07 for
DTM's TD07 and TCD0704 for TD0704, and gives DTM's round summed over displacement reasons
(TCD07 225,689 and TCD0704 Fouli 116,338 on 2025-01-31); the BA and SA rows of 2017-09-30 are
both present. CI has the real folder; there a missing file fails the test, elsewhere it skips.
"""

from pathlib import Path

import pandas as pd
import pytest

from dashboard.headline import headline_cards
from etl.pipeline import import_file
from etl.store import reads
from schemas.figures import COLUMNS, organisation
from tests.factories import one_row, world_store
from tests.sources.test_dtm_real import DTM_ADMIN1, real

HAPI_IDPS = "hapi/hapi_idps_TCD_slice.csv"
LAST = pd.Timestamp("2025-01-31")
FIRST = pd.Timestamp("2017-09-30")


@pytest.fixture
def loaded(tmp_path: Path, backend: str) -> pd.DataFrame:
    """The real HAPI table imported end to end (on each backend); its figures."""
    path = real(HAPI_IDPS)
    store = world_store(tmp_path, backend=backend)
    report = import_file(store, "hdx-hapi", path)
    assert report.ok, report.message
    assert report.rejections == []  # no row has an `error`; every row is readable
    assert report.dataset == "idps"  # told by its columns, not by its file name
    figures = reads.figures(store.engine, sources=["hdx-hapi"])
    store.dispose()
    return figures


def test_every_row_loads_under_the_gazetteers_codes(loaded: pd.DataFrame) -> None:
    assert len(loaded) == 145
    assert loaded["pcode"].value_counts().to_dict() == {
        "TD": 29,
        "TD07": 29,
        "TD0701": 29,
        "TD0703": 29,
        "TD0704": 29,
    }
    assert dict(zip(loaded["pcode"], loaded["admin_level"], strict=False)) == {
        "TD": 0,
        "TD07": 1,
        "TD0701": 2,
        "TD0703": 2,
        "TD0704": 2,
    }
    assert "PCode length TD07->TCD07" in one_row(loaded, pcode="TD07", period_end=LAST)["excerpt"]


def test_the_code_as_hapi_published_it_is_kept(tmp_path: Path, backend: str) -> None:
    assert "published_pcode" in COLUMNS
    store = world_store(tmp_path, backend=backend)
    assert import_file(store, "hdx-hapi", real(HAPI_IDPS)).ok
    figures = reads.figures(store.engine, sources=["hdx-hapi"])
    store.dispose()
    published = dict(zip(figures["pcode"], figures["published_pcode"], strict=False))
    assert published["TD07"] == "TCD07" and published["TD0704"] == "TCD0704"


def test_hapis_sum_over_reasons_is_one_figure(loaded: pd.DataFrame) -> None:
    last = loaded[loaded["period_end"] == LAST]
    assert one_row(last, pcode="TD07")["value"] == 225_689
    assert one_row(last, pcode="TD")["value"] == 225_689
    fouli = one_row(last, pcode="TD0704")
    assert (fouli["value"], fouli["role"]) == (116_338, "recommended")
    assert fouli["cause"] is None or pd.isna(fouli["cause"])  # every reason together
    assert {organisation(p) for p in loaded["publisher"]} == {"HDX HAPI"}


def test_ba_and_sa_of_the_same_date_count_once(loaded: pd.DataFrame) -> None:
    first = loaded[loaded["period_end"] == FIRST]
    for pcode, rows in first.groupby("pcode"):
        assert sorted(rows["role"]) == ["recommended", "triangulation"], pcode
        counted = one_row(rows, role="recommended")
        assert "baseline assessment" in counted["publisher"], pcode
        assert rows["value"].nunique() == 1, pcode
    # Rounds 1, 4, 5, 6 and 9 have both assessments at each of the five places.
    assert (loaded["role"] == "triangulation").sum() == 25


def test_hapi_and_dtm_together_are_never_added(tmp_path: Path, backend: str) -> None:
    store = world_store(tmp_path, backend=backend)
    assert import_file(store, "dtm", real(DTM_ADMIN1)).ok
    report = import_file(store, "hdx-hapi", real(HAPI_IDPS))
    assert report.ok and report.rejections == []
    figures = reads.figures(store.engine, pcodes=["TD07"])
    store.dispose()
    day = figures[(figures["period_end"] == LAST) & figures["sex"].isna()]
    by_org = day.groupby(day["publisher"].map(organisation))["value"].sum().astype(int)
    # DTM's parts and HAPI's sum stay under their own organisations: a sum of one
    # publication's parts is DTM's 225,689, and HAPI's figure is that same total once.
    assert by_org.to_dict() == {"HDX HAPI": 225_689, "IOM DTM": 225_689}
    [card] = [c for c in headline_cards(figures, None, None) if c.key == "idps"]
    # The headline is one stored figure (HAPI's total or one of DTM's parts), never a sum
    # of HAPI's total with DTM's parts (451,378).
    assert card.text in {f"{v:,}" for v in day["value"].astype(int)}, card


def test_dtm_and_hapi_agree_on_round_16_once_every_reason_counts(
    tmp_path: Path, backend: str
) -> None:
    """DTM splits round 16 (2021-09-30) by four reasons, HAPI publishes their sum: with each
    reason its own cause, DTM's counted parts add up to HAPI's figure for every unit."""
    store = world_store(tmp_path, backend=backend)
    assert import_file(store, "dtm", real(DTM_ADMIN1)).ok
    assert import_file(store, "hdx-hapi", real(HAPI_IDPS)).ok
    figures = reads.figures(store.engine)
    store.dispose()
    day = figures[
        (figures["period_end"] == pd.Timestamp("2021-09-30"))
        & figures["sex"].isna()
        & (figures["role"] == "recommended")
        & (figures["admin_level"] == 1)
    ]
    by_org = day.groupby([day["publisher"].map(organisation), "pcode"])["value"].sum()
    dtm, hapi = by_org["IOM DTM"].astype(int), by_org["HDX HAPI"].astype(int)
    assert dtm.to_dict() == hapi.to_dict() == {"TD07": 457_948}
