"""Loading HXL files into a real SQLite store: idempotence, changes, rejections, atomicity."""

import dataclasses
import gc
import json
import weakref
from pathlib import Path

import pandas as pd
import pytest

from etl.pipeline import import_hxl, run_source
from etl.sources import REGISTRY
from etl.sources.base import Fetched, Records
from etl.store import Store, writes
from etl.store.writes import Changes
from tests.factories import (
    GOOD_FIGURES,
    GOOD_FIRST_ROW,
    VALUE_COLUMN,
    figure_summary,
    good_file,
    good_rows,
    rejection_rows,
    runs,
    stored_figures,
    write_hxl,
)


def _by_pcode_metric(store: Store) -> dict[tuple[object, object], dict[str, object]]:
    return {(r["pcode"], r["metric"]): r for r in stored_figures(store)}


def test_import_good_file_stores_the_expected_figures(store: Store, tmp_path: Path) -> None:
    report = import_hxl(store, good_file(tmp_path))
    assert report.ok, report.message
    assert report.changes == Changes(added=5, changed=0, removed=0, unchanged=0)
    assert (report.rows_fetched, report.rows_loaded, report.rejections) == (5, 5, [])
    assert figure_summary(store) == GOOD_FIGURES
    rows = stored_figures(store)
    assert {(r["source"], r["dataset"], r["run_id"]) for r in rows} == {
        ("hxl", "input.csv", report.run_id)
    }
    assert {r["unit"] for r in rows} == {"people"}
    assert {r["role"] for r in rows} == {"recommended"}
    assert _by_pcode_metric(store)[("SY07", "population")]["source_url"] == "https://x.org"


def test_import_records_a_loaded_run(store: Store, tmp_path: Path) -> None:
    report = import_hxl(store, good_file(tmp_path))
    [run] = runs(store)
    assert run["run_id"] == report.run_id
    assert (run["source"], run["dataset"], run["status"]) == ("hxl", "input.csv", "loaded")
    assert (run["rows_fetched"], run["rows_loaded"], run["rows_rejected"]) == (5, 5, 0)
    assert run["finished_at"] >= run["started_at"]
    assert rejection_rows(store) == []


def test_reloading_the_same_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = good_file(tmp_path)
    first = import_hxl(store, path)
    before = stored_figures(store)
    second = import_hxl(store, path)
    assert second.ok
    assert second.run_id != first.run_id
    assert second.changes == Changes(added=0, changed=0, removed=0, unchanged=5)
    after = stored_figures(store)
    assert after == before  # every column, retrieved_at and run_id included
    assert {r["run_id"] for r in after} == {first.run_id}


def test_changing_one_value_changes_only_that_row(store: Store, tmp_path: Path) -> None:
    import_hxl(store, good_file(tmp_path))
    before = _by_pcode_metric(store)
    rows = good_rows()
    rows[3][VALUE_COLUMN["idps"]] = "470,000"  # Aleppo IDPs
    report = import_hxl(store, good_file(tmp_path, rows))
    assert report.changes == Changes(added=0, changed=1, removed=0, unchanged=4)
    after = _by_pcode_metric(store)
    assert after.keys() == before.keys()
    differing = [key for key in after if after[key] != before[key]]
    assert differing == [("SY02", "idps")]
    changed, old = after[("SY02", "idps")], before[("SY02", "idps")]
    assert (old["value"], changed["value"]) == (464_830, 470_000)
    assert changed["figure_id"] == old["figure_id"]
    assert changed["run_id"] == report.run_id != old["run_id"]


def test_dropping_a_row_removes_its_figure(store: Store, tmp_path: Path) -> None:
    import_hxl(store, good_file(tmp_path))
    report = import_hxl(store, good_file(tmp_path, good_rows()[:4]))
    assert report.changes == Changes(added=0, changed=0, removed=1, unchanged=4)
    assert ("SY070003", "idps") not in _by_pcode_metric(store)
    assert len(stored_figures(store)) == 4


def test_one_bad_row_of_five_loads_the_other_four(store: Store, tmp_path: Path) -> None:
    rows = good_rows()
    rows[3][0] = "SY09"  # Aleppo's row now names a governorate the gazetteer does not know
    report = import_hxl(store, good_file(tmp_path, rows))
    assert report.ok, report.message
    assert report.rows_loaded == 4
    assert figure_summary(store) == {f for f in GOOD_FIGURES if f[0] != "SY02"}
    [rejection] = rejection_rows(store)
    bad_row = GOOD_FIRST_ROW + 3
    assert rejection["run_id"] == report.run_id
    assert (rejection["source"], rejection["row_number"]) == ("hxl", bad_row)
    assert (rejection["column"], rejection["check"]) == ("pcode", "pcode_in_gazetteer")
    assert (
        rejection["reason"]
        == f"row {bad_row}, column pcode: P-code not in the gazetteer (got 'SY09')"
    )
    assert json.loads(rejection["record"])["pcode"] == "SY09"
    [run] = runs(store)
    assert (run["status"], run["rows_loaded"], run["rows_rejected"]) == ("loaded", 4, 1)


def test_bad_cell_is_recorded_with_its_column_tag(store: Store, tmp_path: Path) -> None:
    rows = good_rows()
    rows[1][VALUE_COLUMN["idps"]] = "1.500.000"
    report = import_hxl(store, good_file(tmp_path, rows))
    assert report.ok
    [rejection] = rejection_rows(store)
    assert (rejection["row_number"], rejection["column"], rejection["check"]) == (
        GOOD_FIRST_ROW + 1,
        "#affected+idps",
        "number_format",
    )
    assert json.loads(rejection["record"])["#loc+code"] == "SY-NW-OPP"


def test_all_bad_file_fails_and_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    import_hxl(store, good_file(tmp_path))
    before = stored_figures(store)
    rows = good_rows()
    for row in rows:
        row[6] = "28/01/2020"  # every row's date is ambiguous
    report = import_hxl(store, good_file(tmp_path, rows))
    assert not report.ok
    assert report.status == "failed"
    assert "nothing loaded" in report.message
    assert stored_figures(store) == before
    recorded = rejection_rows(store, report.run_id)
    assert [r["row_number"] for r in recorded] == [GOOD_FIRST_ROW + i for i in range(5)]
    assert {r["check"] for r in recorded} == {"date_format"}
    failed = runs(store)[-1]
    assert (failed["run_id"], failed["status"]) == (report.run_id, "failed")
    assert (failed["rows_loaded"], failed["rows_rejected"]) == (0, 5)
    assert failed["message"] == report.message


def test_rejected_share_above_threshold_loads_nothing(store: Store, tmp_path: Path) -> None:
    rows = good_rows()
    rows[0][0] = rows[3][0] = "SY09"
    report = import_hxl(store, good_file(tmp_path, rows), max_rejected_share=0.25)
    assert report.status == "failed"
    assert "2 of 5 records rejected" in report.message
    assert stored_figures(store) == []
    assert len(rejection_rows(store, report.run_id)) == 2


def test_file_that_cannot_be_read_fails_the_run(store: Store, tmp_path: Path) -> None:
    report = import_hxl(store, tmp_path / "missing.csv")
    assert report.status == "failed"
    assert "no such file" in report.message
    [run] = runs(store)
    assert (run["status"], run["message"]) == ("failed", report.message)


def test_kill_half_way_leaves_previous_figures_intact(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_hxl(store, good_file(tmp_path))
    before = stored_figures(store)
    rows = good_rows()
    rows[1][VALUE_COLUMN["idps"]] = "1,600,000"
    rows[3][VALUE_COLUMN["idps"]] = "470,000"
    rows[4][VALUE_COLUMN["idps"]] = "13,000"
    inserted: list[int] = []
    real_insert = writes._insert_chunk

    def insert_then_die(conn, chunk):  # type: ignore[no-untyped-def]
        if inserted:
            raise RuntimeError("killed half-way")
        real_insert(conn, chunk)
        inserted.append(len(chunk))

    monkeypatch.setattr(writes, "CHUNK", 1)
    monkeypatch.setattr(writes, "_insert_chunk", insert_then_die)
    with pytest.raises(RuntimeError, match="killed half-way"):
        import_hxl(store, good_file(tmp_path, rows))
    assert inserted == [1]  # one row was written inside the transaction before the kill
    assert stored_figures(store) == before
    failed = runs(store)[-1]
    assert failed["status"] == "failed"
    assert failed["message"] == "RuntimeError: killed half-way"
    assert failed["rows_loaded"] == 0


def test_loading_one_dataset_never_touches_another(store: Store, tmp_path: Path) -> None:
    other = write_hxl(
        tmp_path / "other",
        [["#adm1+code", "#date", "#affected+idps"], ["SY07", "2020-01-28", "900,000"]],
        name="unhcr.csv",
    )
    assert import_hxl(store, other, source="other-hxl").ok
    assert import_hxl(store, other, source="hxl", dataset="second.csv").ok
    kept = [r for r in stored_figures(store) if r["dataset"] != "input.csv"]
    assert len(kept) == 2
    # Load, change, shrink and finally fail the first dataset: the others stay as they were.
    import_hxl(store, good_file(tmp_path))
    rows = good_rows()
    rows[3][VALUE_COLUMN["idps"]] = "470,000"
    import_hxl(store, good_file(tmp_path, rows[:4]))
    for row in rows:
        row[6] = "not a date"
    assert not import_hxl(store, good_file(tmp_path, rows)).ok
    assert [r for r in stored_figures(store) if r["dataset"] != "input.csv"] == kept
    assert len(stored_figures(store)) == 2 + 4


def test_figure_failing_several_checks_counts_once_in_the_share(
    store: Store, tmp_path: Path
) -> None:
    rows = good_rows()
    rows[3][0] = "SY7"  # off the COD pattern, wrong length for its level, not in the gazetteer
    report = import_hxl(store, good_file(tmp_path, rows), max_rejected_share=0.25)
    assert report.ok, report.message
    assert report.rows_loaded == 4
    recorded = rejection_rows(store, report.run_id)
    assert {r["row_number"] for r in recorded} == {GOOD_FIRST_ROW + 3}
    assert {r["check"].split("(")[0] for r in recorded} == {
        "admin_level_matches_pcode",
        "str_matches",
        "pcode_in_gazetteer",
    }


def test_each_response_is_let_go_once_mapped(store: Store, tmp_path: Path) -> None:
    """A response's records (and what the reader hands on with them) are not held while the
    figures of a run are checked and written: at 1M figures they are hundreds of MB."""
    base = REGISTRY["hxl"]
    frames: list[weakref.ref[pd.DataFrame]] = []
    alive_when_settled: list[bool] = []

    def read(fetched: Fetched) -> Records:
        served = base.read(fetched)
        frames.append(weakref.ref(served.frame))
        return served

    def settle(figures: pd.DataFrame) -> pd.DataFrame:
        gc.collect()  # what reference counting leaves, the collector would free: not held
        alive_when_settled.extend(frame() is not None for frame in frames)
        return figures

    connector = dataclasses.replace(base, read=read, settle=settle)
    paths = [good_file(tmp_path / "a"), good_file(tmp_path / "b")]
    report = run_source(store, connector, [Fetched.from_file(p) for p in paths])
    assert report.ok, report.message
    assert alive_when_settled == [False, False]
