"""The table an HXL file reads into: each column numbered once, as its cells are, and a mapping
handed those numbers gives what it gives working them out from the frame."""

import dataclasses
import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from etl.reference import read_reference
from etl.sources import REGISTRY
from etl.sources.base import Fetched, MapContext
from etl.sources.hxl import _codes, decode_hxl, map_hxl, parse_hxl_text, table_of
from etl.sources.hxl_files import Grid
from etl.store import DATA_DIR
from tests.factories import SHARED_DATA, shared_file

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
REAL = SHARED_DATA / "real" / "hxl"
REAL_FILES = [
    "dtm_data_for_quickcharts.csv",
    "dtm_mli_baseline_round72.xlsx",
    "idmc_gidd_hdx_displacement_data.csv",
    "idmc_idu_events_IND.csv",
]
BLANKS = "Place,Date,Note,IDPs\n#adm1+code,#date,,#affected+idps\n" + "\n".join(
    [
        "SY07,2020-01-28,,5",
        "",  # an empty line
        " , ,  ,\t",  # only spaces
        ",,read but not used,",  # text only in a column the import does not read
        "SY02,2020-01-28",  # a short row
        "  ,,,",
        "SY07,2020-01-28,,5",
    ]
)


def test_each_column_is_numbered_as_its_cells_with_blank_rows_dropped() -> None:
    table = parse_hxl_text(BLANKS)
    assert table.rows.index.tolist() == [3, 6, 7, 9]
    assert table.rows.columns.tolist() == [0, 1, 3]
    assert table.rows.loc[7].tolist() == ["SY02", "2020-01-28", ""]
    assert set(table.coded) == {"0", "1", "3"}
    for label in table.rows.columns:
        coded = table.coded[str(label)]
        assert coded.values[coded.codes].tolist() == table.rows[label].tolist()
        assert len(set(coded.values.tolist())) == len(coded.values)  # each distinct cell once


def test_cells_not_read_as_text_are_written_as_text() -> None:
    grid_rows = [["#adm1+code", "#date", "#affected+idps"], ["SY07", "2020-01-28", 5]]
    table = table_of(Grid(grid_rows[0], iter([(2, grid_rows[1])])))
    assert table.rows.loc[2].tolist() == ["SY07", "2020-01-28", "5"]
    assert table.coded["2"].values.tolist() == ["5"]


def _mapped_both_ways(fetched: Fetched, places: pd.DataFrame | None) -> None:
    connector = REGISTRY["hxl"]
    served = connector.read(fetched)
    assert served.coded, "the reader hands its numbered columns on"
    ctx = MapContext("hxl", served.dataset, "run-1", NOW, None)
    handed = connector.to_figures(served, ctx, places)
    table = decode_hxl(fetched.body, fetched.name)
    own = map_hxl(dataclasses.replace(table, coded={}), ctx, places=places)
    pd.testing.assert_frame_equal(handed.figures, own.figures)
    assert handed.rejections == own.rejections
    assert handed.row_numbers == own.row_numbers
    assert handed.notes == own.notes


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    return read_reference(DATA_DIR)[0]


@pytest.mark.parametrize("name", REAL_FILES)
def test_a_real_file_maps_the_same_from_the_numbers_read(name: str, places: pd.DataFrame) -> None:
    _mapped_both_ways(Fetched.from_file(shared_file(REAL / name)), places)


def test_a_file_with_blank_rows_maps_the_same_from_the_numbers_read() -> None:
    _mapped_both_ways(Fetched("blanks.csv", BLANKS.encode(), None, NOW), None)


def _chained(columns: list[np.ndarray]) -> np.ndarray:
    """The combinations' numbers by definition: each column numbered, then every pair."""
    key = pd.factorize(columns[0])[0]
    for column in columns[1:]:
        codes, uniques = pd.factorize(column)
        key = pd.factorize(key * len(uniques) + codes)[0]
    return key


@pytest.mark.parametrize("seed", range(25))
def test_combinations_are_numbered_as_they_first_appear(seed: int) -> None:
    picks = random.Random(seed)
    size = picks.randint(0, 60)

    def column() -> np.ndarray:
        kind = picks.choice(["codes", "wide", "negative", "days"])
        if kind == "codes":  # numbers into distinct cells: taken as they are
            return np.array([picks.randint(0, 4) for _ in range(size)], dtype=np.int64)
        if kind == "wide":  # counts: too far apart to be such numbers
            return np.array([picks.choice([0, 7, 10**12]) for _ in range(size)], dtype=np.int64)
        if kind == "negative":
            return np.array([picks.randint(-3, 3) for _ in range(size)], dtype=np.int64)
        days = [np.datetime64("2020-01-01") + picks.randint(0, 3) for _ in range(size)]
        return np.array(days, dtype="datetime64[us]").view(np.int64)

    columns = [column() for _ in range(picks.randint(1, 6))]
    assert _codes(columns).tolist() == _chained(columns).tolist()


def test_many_wide_columns_are_renumbered_before_they_overflow() -> None:
    picks = np.random.default_rng(3)
    columns = [picks.integers(0, 2_000, size=3_000) for _ in range(8)]  # 2,000^8 > 2^62
    assert _codes(columns).tolist() == _chained(columns).tolist()


SITES = [
    ["#adm2+code", "#site+name", "#date", "#affected+idps", "#meta+qualifier"],
    ["SY0703", "Camp A", "2020-01-31", "100", ""],  # row 2
    ["SY0703", "Camp B", "2020-01-31", "50", ""],
    ["SY0703", "Camp A", "2020-01-31", "100", ""],  # camp A's row published again
    ["SY0704", "Camp C", "2020-01-31", "10", ""],  # row 5
    ["SY0704", "Camp C", "2020-01-31", "10", ""],  # one figure published again
    ["SY0705", "Camp D", "2020-01-31", "5", "more than"],  # row 7
    ["SY0705", "Camp E", "2020-01-31", "7", "less than"],  # no sum of the two
    ["SY0706", "Camp F", "2020-01-31", "3", ""],  # row 9
]


def test_units_are_added_up_and_a_figure_published_again_is_kept_once() -> None:
    text = "\n".join(",".join(row) for row in SITES)
    mapped = map_hxl(parse_hxl_text(text), MapContext("hxl", "sites.csv", "run-1", NOW))
    got = list(zip(mapped.figures["pcode"], mapped.figures["value"], strict=True))
    assert got == [("SY0703", 150), ("SY0704", 10), ("SY0706", 3)]
    assert mapped.row_numbers == [2, 5, 9]  # a sum stands at its first row
    assert mapped.figures["excerpt"].iloc[0].startswith("sum of 2 units (rows 2, 3)")
    assert [(r.row, r.check) for r in mapped.rejections] == [(7, "sum_qualifier")]
    assert "2 rows were added up into the figures of their place and date" in mapped.notes
