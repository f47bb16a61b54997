"""The real HXL sheets beside the repository, end to end: the figures their README gives.

Each file is imported as published (`etl.pipeline.import_file`) into a real store holding the
shipped gazetteer, on SQLite and PostgreSQL. CI has `../shared/data/real/`; there a missing
file fails the test, elsewhere it is skipped.
"""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from etl.pipeline import RunReport, import_file
from etl.store import Store, reads
from tests.factories import SHARED_DATA, shared_file, world_store

REAL = SHARED_DATA / "real" / "hxl"


def _real(name: str) -> Path:
    return shared_file(REAL / name)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Store]:
    """A store with the shipped gazetteer (every country) and no figures."""
    store = world_store(tmp_path, name="real.db")
    yield store
    store.dispose()


def _import(store: Store, name: str) -> tuple[RunReport, pd.DataFrame]:
    report = import_file(store, "hxl", _real(name))
    figures = reads.figures(store.engine, sources=["hxl"])
    return report, figures


def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_dtm_mali_baseline_loads_its_admin3_units(world: Store) -> None:
    report, figs = _import(world, "dtm_mli_baseline_round72.xlsx")
    assert report.ok, report.message
    assert report.rejections == []
    idps = figs[(figs["metric"] == "idps") & (figs["unit"] == "people")]
    assert len(idps) == 56
    assert set(idps["admin_level"]) == {3}
    assert set(idps["period_end"]) == {_day("2021-09-30")}
    assert int(idps["value"].sum()) == 401_736
    # The admin 1 totals, as sums of their units (MLI07 is written with trailing spaces).
    by_region = idps.groupby(idps["pcode"].str[:4])["value"].sum()
    assert int(by_region["ML07"]) == 97_859
    assert int(by_region["ML05"]) == 159_027
    commune = idps[idps["pcode"] == "ML090101"].iloc[0]
    assert commune["published_pcode"] == "MLI090101"  # the code as DTM wrote it
    households = figs[(figs["metric"] == "idps") & (figs["unit"] == "households")]
    assert len(households) == 56
    # The communes the global P-codes lack are added from the publication, under their cercle.
    places = reads.places(world.engine).set_index("pcode")
    assert places.loc["ML090101", "parent_pcode"] == "ML0901"
    assert places.loc["ML090101", "name"] == "Commune I"
    assert set(idps["pcode"]) <= set(places.index)


def test_idmc_gidd_loads_a_year_as_flows_over_it_and_stocks_at_its_end(world: Store) -> None:
    report, figs = _import(world, "idmc_gidd_hdx_displacement_data.csv")
    assert report.ok, report.message
    syr = figs[(figs["pcode"] == "SY") & (figs["period_end"] == _day("2019-12-31"))]
    got = {
        (m, c): (int(v), s)
        for m, c, v, s in zip(
            syr["metric"], syr["cause"], syr["value"], syr["period_start"], strict=True
        )
    }
    assert got == {
        ("idps", "conflict"): (6_495_000, _day("2019-12-31")),
        ("new_displacements", "conflict"): (1_847_000, _day("2019-01-01")),
        ("new_displacements", "disaster"): (17_000, _day("2019-01-01")),
        ("idps", "disaster"): (2_900, _day("2019-12-31")),
    }
    # Abyei (AB9) and Kosovo (XKX) have no ISO 3166 code: refused, with the reason.
    refused = {r.value for r in report.rejections}
    assert refused == {"AB9", "XKX"}
    assert all("ISO" in r.reason and r.column == "#country+code" for r in report.rejections)


def test_idmc_idu_dates_are_auckland_days_and_qualifiers_come_from_total(world: Store) -> None:
    report, figs = _import(world, "idmc_idu_events_IND.csv")
    assert report.ok, report.message
    assert set(figs["pcode"]) == {"IN"}
    assert set(figs["metric"]) == {"new_displacements"}
    nuh = figs[(figs["value"] == 500) & (figs["cause"] == "conflict")]
    assert len(nuh) == 1
    event = nuh.iloc[0]
    assert event["qualifier"] == "more_than"
    assert (event["period_start"], event["period_end"]) == (_day("2023-08-03"),) * 2
    kerala = figs[(figs["period_end"] == _day("2023-11-07")) & (figs["value"] == 2)]
    assert len(kerala) == 1  # 2023-11-06T11:00Z, New Zealand summer time
    assert any("Pacific/Auckland" in note for note in report.notes)


def test_dtm_quick_charts_are_country_figures_with_their_origin(world: Store) -> None:
    report, figs = _import(world, "dtm_data_for_quickcharts.csv")
    assert report.ok, report.message
    assert set(figs["admin_level"]) == {0}
    total = figs[(figs["pcode"] == "AF") & figs["sex"].isna()]
    by_day = dict(zip(total["period_end"], total["value"].astype(int), strict=True))
    assert by_day[_day("2020-12-31")] == 1_754_782
    first = total[total["period_end"] == _day("2017-12-31")].iloc[0]
    assert (first["pcode"], first["origin_pcode"]) == ("AF", "AF09")  # came from Baghlan
    chad = figs[(figs["pcode"] == "TD") & (figs["period_end"] == _day("2025-01-31"))]
    split = dict(zip(chad["sex"].fillna("all"), chad["value"].astype(int), strict=True))
    assert split == {"all": 221_543, "m": 93_236, "f": 128_307}


def test_ocha_legacy_hxl_is_refused_with_its_reason(world: Store) -> None:
    report, figs = _import(world, "ocha_mli_population_movements_legacy_hxl.csv")
    assert not report.ok
    assert figs.empty
    line = report.summary()
    assert "\n" not in line
    assert "ocha_mli_population_movements_legacy_hxl.csv" in line
    assert "pre-1.0 HXL hashtags (#period_date, #idp_num" in line
