"""HXL import: the hashtag row, columns by tag, where/when/what/how exact, provenance, errors."""

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import HxlError, InputError
from etl.sources.hxl import MapContext, MappedFigures, map_hxl, read_hxl
from tests.factories import GOOD_TAGS, GOOD_TITLES, good_rows, write_hxl

RETRIEVED = dt.datetime(2020, 2, 1, 12, 0, tzinfo=dt.UTC)


def _ctx(run_id: str = "run-1") -> MapContext:
    return MapContext("hxl", "test.csv", run_id, RETRIEVED)


def _map(tmp_path: Path, rows: Sequence[Sequence[object]], run_id: str = "run-1") -> MappedFigures:
    return map_hxl(read_hxl(write_hxl(tmp_path, rows)), _ctx(run_id))


def _one(mapped: MappedFigures) -> dict[str, object]:
    assert mapped.rejections == []
    assert len(mapped.figures) == 1, mapped.figures
    return mapped.figures.iloc[0].to_dict()


def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- the hashtag row ----------------------------------------------------------------------


def test_hashtag_row_directly_at_the_top(tmp_path: Path) -> None:
    table = read_hxl(
        write_hxl(tmp_path, [["#adm1+code", "#date", "#population"], ["SY07", "2020-01-28", "5"]])
    )
    assert table.tags == ["#adm1+code", "#date", "#population"]
    assert table.rows.loc[2].tolist() == ["SY07", "2020-01-28", "5"]


def test_hashtag_row_found_below_a_title_row(tmp_path: Path) -> None:
    rows = [["IDPs in Idleb"], ["#adm1+code", "#date", "#population"], ["SY07", "2020-01-28", "5"]]
    table = read_hxl(write_hxl(tmp_path, rows))
    assert table.tags == ["#adm1+code", "#date", "#population"]
    assert list(table.rows.index) == [3]


def test_hashtag_row_found_below_two_title_rows(tmp_path: Path) -> None:
    rows = [
        ["IDPs in Idleb, January 2020", "", ""],
        ["Governorate", "As of", "Population"],
        ["#adm1+code", "#date", "#population"],
        ["SY07", "2020-01-28", "5"],
    ]
    mapped = _map(tmp_path, rows)
    assert mapped.row_numbers == [4]
    assert _one(mapped)["value"] == 5


def test_no_hashtag_row_is_an_hxl_error(tmp_path: Path) -> None:
    rows = [["Governorate", "As of", "Population"], ["SY07", "2020-01-28", "5"]]
    with pytest.raises(HxlError, match="no row of HXL hashtags"):
        read_hxl(write_hxl(tmp_path, rows))


def test_blank_rows_are_skipped_but_row_numbers_stay_file_rows(tmp_path: Path) -> None:
    rows = [["#adm1+code", "#date", "#population"], ["", "", ""], ["SY07", "2020-01-28", "5"]]
    mapped = _map(tmp_path, rows)
    assert mapped.rows_read == 1
    assert mapped.row_numbers == [3]


# --- columns by tag, never by title ---------------------------------------------------------


def test_columns_are_read_by_tag_not_title(tmp_path: Path) -> None:
    first = _map(tmp_path / "a", [GOOD_TITLES, GOOD_TAGS, *good_rows()])
    order = list(range(len(GOOD_TAGS)))
    random.Random(7).shuffle(order)
    assert order != sorted(order)
    titles = [f"column {i}" for i in order]  # titles that say nothing, in a new order
    shuffled = [[row[i] for i in order] for row in [GOOD_TAGS, *good_rows()]]
    second = _map(tmp_path / "b", [titles, *shuffled])
    assert second.rejections == first.rejections == []
    assert sorted(second.figures["figure_id"]) == sorted(first.figures["figure_id"])
    keep = ["pcode", "metric", "value", "qualifier", "origin_pcode", "period_start", "period_end"]
    a = first.figures[keep].sort_values(keep).reset_index(drop=True)
    b = second.figures[keep].sort_values(keep).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_tags_are_read_whatever_their_case_and_attribute_order(tmp_path: Path) -> None:
    rows = [["#ADM1+Code", "#Date", "#affected+new+idps"], ["SY07", "2020-01-28", "10"]]
    figure = _one(_map(tmp_path, rows))
    assert (figure["pcode"], figure["metric"]) == ("SY07", "new_displacements")


# --- where -----------------------------------------------------------------------------------

WHERE_TAGS = ["#adm1+code", "#adm2+code", "#adm3+code", "#date", "#population"]


@pytest.mark.parametrize(
    ("adm1", "adm2", "adm3", "pcode", "level"),
    [
        ("SY07", "SY0702", "SY070200", "SY070200", 3),
        ("SY07", "SY0702", "", "SY0702", 2),
        ("SY07", "", "", "SY07", 1),
        ("", "", "SY070003", "SY070003", 3),
    ],
)
def test_most_specific_non_empty_place_wins(
    tmp_path: Path, adm1: str, adm2: str, adm3: str, pcode: str, level: int
) -> None:
    figure = _one(_map(tmp_path, [WHERE_TAGS, [adm1, adm2, adm3, "2020-01-28", "5"]]))
    assert (figure["pcode"], figure["admin_level"]) == (pcode, level)


def test_country_iso3_maps_to_admin0_pcode(tmp_path: Path) -> None:
    figure = _one(
        _map(tmp_path, [["#country+code", "#date", "#population"], ["SYR", "2020-01-28", "5"]])
    )
    assert (figure["pcode"], figure["admin_level"]) == ("SY", 0)


def test_unknown_country_code_is_rejected(tmp_path: Path) -> None:
    mapped = _map(tmp_path, [["#country+code", "#date", "#population"], ["XXX", "2020-01-28", "5"]])
    assert mapped.figures.empty
    assert [(r.row, r.column, r.check) for r in mapped.rejections] == [
        (2, "#country+code", "country_code")
    ]


def test_loc_code_is_a_response_area_without_admin_level(tmp_path: Path) -> None:
    figure = _one(
        _map(
            tmp_path,
            [["#loc+code", "#date", "#affected+idps"], ["SY-NW-OPP", "2020-01-28", "1,500,000"]],
        )
    )
    assert figure["pcode"] == "SY-NW-OPP"
    assert pd.isna(figure["admin_level"])
    assert (figure["metric"], figure["value"]) == ("idps", 1_500_000)


def test_origin_attribute_gives_origin_pcode(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#adm3+code+origin", "#adm1+code+origin", "#date", "#affected+idps+new"],
        ["SY07", "SY070200", "SY07", "2020-01-28", "1,000+"],
    ]
    figure = _one(_map(tmp_path, rows))
    assert (figure["pcode"], figure["origin_pcode"]) == ("SY07", "SY070200")


def test_no_origin_column_leaves_origin_empty(tmp_path: Path) -> None:
    figure = _one(
        _map(tmp_path, [["#adm1+code", "#date", "#population"], ["SY07", "2020-01-28", "5"]])
    )
    assert pd.isna(figure["origin_pcode"])


def test_row_without_place_is_rejected(tmp_path: Path) -> None:
    mapped = _map(tmp_path, [WHERE_TAGS, ["", "", "", "2020-01-28", "5"]])
    assert mapped.figures.empty
    assert [(r.row, r.check) for r in mapped.rejections] == [(2, "place_missing")]


# --- when ------------------------------------------------------------------------------------


def test_date_start_and_end_bound_a_flow(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date+start", "#date+end", "#affected+idps+new"],
        ["SY07", "2019-12-01", "2020-01-28", "1000"],
    ]
    figure = _one(_map(tmp_path, rows))
    assert figure["metric"] == "new_displacements"
    assert (figure["period_start"], figure["period_end"]) == (
        _day("2019-12-01"),
        _day("2020-01-28"),
    )


def test_date_is_a_stock_as_of_date(tmp_path: Path) -> None:
    figure = _one(
        _map(tmp_path, [["#adm1+code", "#date", "#affected+idps"], ["SY07", "2020-01-28", "1000"]])
    )
    assert figure["metric"] == "idps"
    assert figure["period_start"] == figure["period_end"] == _day("2020-01-28")


def test_date_reported_is_a_stock_as_of_date(tmp_path: Path) -> None:
    rows = [["#adm1+code", "#date+reported", "#population"], ["SY07", "2020-01-28", "1000"]]
    figure = _one(_map(tmp_path, rows))
    assert figure["period_start"] == figure["period_end"] == _day("2020-01-28")


def test_flow_without_start_has_start_equal_end(tmp_path: Path) -> None:
    rows = [["#adm1+code", "#date", "#affected+idps+new"], ["SY07", "2020-01-28", "1000"]]
    figure = _one(_map(tmp_path, rows))
    assert figure["period_start"] == figure["period_end"] == _day("2020-01-28")


def test_stock_in_a_row_with_start_and_end_is_as_of_the_end(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date+start", "#date+end", "#affected+idps"],
        ["SY07", "2019-12-01", "2020-01-28", "1000"],
    ]
    figure = _one(_map(tmp_path, rows))
    assert figure["period_start"] == figure["period_end"] == _day("2020-01-28")


@pytest.mark.parametrize("date", ["28/01/2020", "01/28/2020", "2020-02-30"])
def test_ambiguous_date_is_rejected_not_guessed(tmp_path: Path, date: str) -> None:
    mapped = _map(tmp_path, [["#adm1+code", "#date", "#population"], ["SY07", date, "5"]])
    assert mapped.figures.empty
    assert [(r.row, r.column, r.check, r.value) for r in mapped.rejections] == [
        (2, "#date+reported", "date_format", date)
    ]


def test_flow_without_end_date_is_rejected(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date+start", "#date+end", "#affected+idps+new"],
        ["SY07", "2019-12-01", "", "10"],
    ]
    mapped = _map(tmp_path, rows)
    assert mapped.figures.empty
    assert [(r.row, r.column, r.check) for r in mapped.rejections] == [
        (2, "#affected+idps+new", "date_missing")
    ]


# --- what --------------------------------------------------------------------------------------


def test_each_non_empty_value_cell_is_one_figure(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date", "#affected+idps", "#population"],
        ["SY07", "2020-01-28", "1,500,000", "3,000,000"],
        ["SY02", "2020-01-28", "", "4,000,000"],
    ]
    mapped = _map(tmp_path, rows)
    assert mapped.rejections == []
    got = sorted(
        zip(mapped.figures["pcode"], mapped.figures["metric"], mapped.figures["value"], strict=True)
    )
    assert got == [
        ("SY02", "population", 4_000_000),
        ("SY07", "idps", 1_500_000),
        ("SY07", "population", 3_000_000),
    ]
    assert mapped.row_numbers == [2, 2, 3]


@pytest.mark.parametrize(
    ("tag", "metric"),
    [
        ("#affected+idps", "idps"),
        ("#affected+idps+new", "new_displacements"),
        ("#affected+returnees", "returnees"),
        ("#affected+returns+new", "returns"),
        ("#affected+refugees", "refugees"),
        ("#population", "population"),
        ("#population+total", "population"),
    ],
)
def test_value_tag_gives_metric(tmp_path: Path, tag: str, metric: str) -> None:
    figure = _one(_map(tmp_path, [["#adm1+code", "#date", tag], ["SY07", "2020-01-28", "10"]]))
    assert figure["metric"] == metric


def test_sex_and_age_attributes_set_disaggregation(tmp_path: Path) -> None:
    rows = [
        [
            "#adm1+code",
            "#date",
            "#affected+idps",
            "#affected+idps+f",
            "#affected+idps+m",
            "#affected+idps+children",
            "#affected+idps+f+elderly",
        ],
        ["SY07", "2020-01-28", "100", "55", "45", "60", "7"],
    ]
    mapped = _map(tmp_path, rows)
    assert mapped.rejections == []
    got = {
        (None if pd.isna(s) else s, None if pd.isna(a) else a): v
        for s, a, v in zip(
            mapped.figures["sex"], mapped.figures["age_group"], mapped.figures["value"], strict=True
        )
    }
    assert got == {
        (None, None): 100,
        ("f", None): 55,
        ("m", None): 45,
        (None, "children"): 60,
        ("f", "elderly"): 7,
    }
    assert mapped.figures["figure_id"].is_unique


def test_households_attribute_sets_unit(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date", "#affected+idps+hh", "#affected+idps"],
        ["SY07", "2020-01-28", "20", "100"],
    ]
    mapped = _map(tmp_path, rows)
    assert sorted(zip(mapped.figures["unit"], mapped.figures["value"], strict=True)) == [
        ("households", 20),
        ("people", 100),
    ]


# --- how exact ---------------------------------------------------------------------------------

QUALIFIED_TAGS = ["#adm1+code", "#date", "#population", "#meta+qualifier"]


@pytest.mark.parametrize(
    ("cell", "value", "qualifier"),
    [
        ("1,000+", 1000, "more_than"),
        ("more than 1,000", 1000, "more_than"),
        (">1000", 1000, "more_than"),
        ("~3,000,000", 3_000_000, "approximately"),
        ("about 3 million", 3_000_000, "approximately"),
        ("<50", 50, "less_than"),
        ("464830", 464_830, "exact"),
    ],
)
def test_qualifier_read_from_the_cell(
    tmp_path: Path, cell: str, value: int, qualifier: str
) -> None:
    figure = _one(_map(tmp_path, [QUALIFIED_TAGS, ["SY07", "2020-01-28", cell, ""]]))
    assert (figure["value"], figure["qualifier"]) == (value, qualifier)


def test_qualifier_column_used_when_the_cell_has_no_marker(tmp_path: Path) -> None:
    figure = _one(
        _map(tmp_path, [QUALIFIED_TAGS, ["SY07", "2020-01-28", "3,000,000", "approximately"]])
    )
    assert (figure["value"], figure["qualifier"]) == (3_000_000, "approximately")


def test_cell_marker_wins_over_qualifier_column(tmp_path: Path) -> None:
    figure = _one(
        _map(tmp_path, [QUALIFIED_TAGS, ["SY07", "2020-01-28", "1,000+", "approximately"]])
    )
    assert (figure["value"], figure["qualifier"]) == (1000, "more_than")


def test_unknown_qualifier_word_is_rejected(tmp_path: Path) -> None:
    mapped = _map(tmp_path, [QUALIFIED_TAGS, ["SY07", "2020-01-28", "1000", "roughly"]])
    assert mapped.figures.empty
    assert [(r.row, r.column, r.check) for r in mapped.rejections] == [
        (2, "#meta+qualifier", "qualifier_value")
    ]


# --- provenance and unknown columns --------------------------------------------------------------


def test_meta_columns_land_in_provenance_fields(tmp_path: Path) -> None:
    rows = [
        [
            "#adm1+code",
            "#date",
            "#affected+idps+new",
            "#meta+source",
            "#meta+url",
            "#meta+id",
            "#meta+cause",
            "#meta+role",
            "#meta+excerpt",
        ],
        [
            "SY07",
            "2020-01-28",
            "1,000+",
            "OCHA: Flash Update 7",
            "https://reliefweb.int/report/x",
            "FU7-3",
            "Conflict",
            "triangulation",
            "over 1,000 inhabitants ... displaced",
        ],
    ]
    figure = _one(_map(tmp_path, rows))
    assert {
        k: figure[k]
        for k in ("publisher", "source_url", "source_record_id", "cause", "role", "excerpt")
    } == {
        "publisher": "OCHA: Flash Update 7",
        "source_url": "https://reliefweb.int/report/x",
        "source_record_id": "FU7-3",
        "cause": "conflict",
        "role": "triangulation",
        "excerpt": "over 1,000 inhabitants ... displaced",
    }
    assert (figure["source"], figure["dataset"], figure["run_id"]) == ("hxl", "test.csv", "run-1")
    assert figure["retrieved_at"] == pd.Timestamp(RETRIEVED)


def test_without_meta_columns_role_is_recommended_and_provenance_empty(tmp_path: Path) -> None:
    figure = _one(
        _map(tmp_path, [["#adm1+code", "#date", "#population"], ["SY07", "2020-01-28", "5"]])
    )
    assert figure["role"] == "recommended"
    assert figure["unit"] == "people"
    assert all(
        pd.isna(figure[k])
        for k in ("publisher", "source_url", "source_record_id", "cause", "excerpt")
    )


@pytest.mark.parametrize(
    ("column", "cell", "check"),
    [("#meta+cause", "war", "cause_value"), ("#meta+role", "main", "role_value")],
)
def test_unknown_cause_or_role_is_rejected(
    tmp_path: Path, column: str, cell: str, check: str
) -> None:
    mapped = _map(
        tmp_path,
        [["#adm1+code", "#date", "#population", column], ["SY07", "2020-01-28", "5", cell]],
    )
    assert mapped.figures.empty
    assert [(r.row, r.column, r.check, r.value) for r in mapped.rejections] == [
        (2, column, check, cell)
    ]


def test_unknown_tags_are_listed_as_ignored(tmp_path: Path) -> None:
    rows = [
        [
            "#adm1+code",
            "#adm1+name",
            "#sector",
            "#date",
            "#population",
            "#meta+foo",
            "#affected+idps+weird",
            "Notes",
        ],
        ["SY07", "Idleb", "Shelter", "2020-01-28", "5", "x", "6", "note"],
    ]
    mapped = _map(tmp_path, rows)
    assert mapped.ignored_columns == ["#sector", "#meta+foo", "#affected+idps+weird", "Notes"]
    assert _one(mapped)["value"] == 5


@pytest.mark.parametrize(
    ("tags", "missing", "present"),
    [
        (["#date", "#population"], "no place", ["no date", "no value"]),
        (["#adm1+code", "#population"], "no date", ["no place", "no value"]),
        (["#adm1+code", "#date"], "no value", ["no place", "no date"]),
    ],
)
def test_missing_place_date_or_value_tag_names_what_is_missing(
    tmp_path: Path, tags: list[str], missing: str, present: list[str]
) -> None:
    path = write_hxl(tmp_path, [tags, ["x"] * len(tags)])
    with pytest.raises(HxlError) as info:
        map_hxl(read_hxl(path), _ctx())
    message = str(info.value)
    assert missing in message
    assert not any(word in message for word in present)


def test_all_three_missing_are_named_together(tmp_path: Path) -> None:
    with pytest.raises(HxlError) as info:
        map_hxl(read_hxl(write_hxl(tmp_path, [["#sector", "#org"], ["a", "b"]])), _ctx())
    assert all(word in str(info.value) for word in ("no place", "no date", "no value"))


# --- identity and rejected cells -----------------------------------------------------------------


def test_figure_id_is_stable_across_runs(tmp_path: Path) -> None:
    path = write_hxl(tmp_path, [GOOD_TAGS, *good_rows()])
    first = map_hxl(read_hxl(path), _ctx("run-1"))
    second = map_hxl(
        read_hxl(path), MapContext("hxl", "test.csv", "run-2", RETRIEVED + dt.timedelta(days=3))
    )
    assert list(first.figures["figure_id"]) == list(second.figures["figure_id"])
    assert set(second.figures["run_id"]) == {"run-2"}
    assert first.figures["figure_id"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_figure_id_changes_with_the_natural_key(tmp_path: Path) -> None:
    tags = ["#adm1+code", "#date", "#population"]
    a = _one(_map(tmp_path / "a", [tags, ["SY07", "2020-01-28", "5"]]))
    b = _one(_map(tmp_path / "b", [tags, ["SY07", "2020-01-29", "5"]]))
    c = _one(_map(tmp_path / "c", [tags, ["SY07", "2020-01-28", "6"]]))
    assert a["figure_id"] != b["figure_id"]
    assert a["figure_id"] == c["figure_id"]  # the value is not part of the key


def test_bad_number_cell_is_rejected_and_the_rest_of_the_row_loads(tmp_path: Path) -> None:
    rows = [
        ["Title"],
        ["#adm1+code", "#date", "#affected+idps", "#population"],
        ["SY07", "2020-01-28", "1,500,000", "3,000,000"],
        ["SY02", "2020-01-28", "lots", "4,000,000"],
    ]
    mapped = _map(tmp_path, rows)
    assert [(r.row, r.column, r.check, r.value) for r in mapped.rejections] == [
        (4, "#affected+idps", "number_format", "lots")
    ]
    assert mapped.rejections[0].record == {
        "#adm1+code": "SY02",
        "#date": "2020-01-28",
        "#affected+idps": "lots",
        "#population": "4,000,000",
    }
    got = sorted(zip(mapped.figures["pcode"], mapped.figures["metric"], strict=True))
    assert got == [("SY02", "population"), ("SY07", "idps"), ("SY07", "population")]
    assert mapped.row_numbers == [3, 3, 4]


# --- reading the file ------------------------------------------------------------------------


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nope.csv"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    return folder


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    return path


def _latin1(tmp_path: Path) -> Path:
    rows = [
        ["#adm1+code", "#date", "#population", "#meta+source"],
        ["SY07", "2020-01-28", "5", "Ma'arrat Nu'mân"],
    ]
    return write_hxl(tmp_path, rows, name="latin1.csv", encoding="latin-1")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_missing, "no such file"),
        (_folder, "folder"),
        (_binary, "binary"),
        (_empty, "empty"),
        (_latin1, "UTF-8"),
    ],
)
def test_unreadable_file_is_an_input_error_with_one_line(tmp_path: Path, make, words: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        read_hxl(path)
    message = str(info.value)
    assert words in message
    assert str(path) in message
    assert "\n" not in message


def test_utf8_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("#adm1+code,#date,#population\r\nSY07,2020-01-28,5\r\n".encode("utf-8-sig"))
    table = read_hxl(path)
    assert table.tags == ["#adm1+code", "#date", "#population"]


def test_a_missing_cell_reads_as_an_empty_one(tmp_path: Path) -> None:
    """A table whose frame holds a missing cell (as a reader other than the CSV one may give)
    maps as if the cell were empty, and the table's own cells are left as they were."""
    table = read_hxl(write_hxl(tmp_path, [GOOD_TITLES, GOOD_TAGS, *good_rows()]))
    value = 7  # the column of 1,500,000 in the second row
    assert table.rows[value].iloc[1] == "1,500,000"
    blanked, missing = table.rows.copy(), table.rows.copy()
    blanked.loc[blanked.index[1], value] = ""
    missing.loc[missing.index[1], value] = None
    assert missing[value].isna().sum() == 1
    as_empty = map_hxl(dataclasses.replace(table, rows=blanked), _ctx())
    as_missing = map_hxl(dataclasses.replace(table, rows=missing), _ctx())
    assert len(as_empty.figures) == len(map_hxl(table, _ctx()).figures) - 1
    pd.testing.assert_frame_equal(as_missing.figures, as_empty.figures)
    assert as_missing.rejections == as_empty.rejections
    assert missing[value].isna().sum() == 1  # the table's own cells untouched
