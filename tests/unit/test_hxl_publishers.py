"""HXL as real publishers write it: small sheets in the shape of DTM's, IDMC's and OCHA's."""

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import HxlError
from etl.sources.hxl import (
    MapContext,
    MappedFigures,
    locate_columns,
    map_hxl,
    normalise_pcode,
    publisher_zone,
    read_hxl,
    sum_qualifier,
)
from tests.factories import write_hxl

RETRIEVED = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
PLACES = pd.DataFrame(
    {
        "pcode": ["ML", "ML07", "ML0701", "ML09", "ML0901", "SY", "SY07"],
        "name": ["Mali", "Gao", "Ansongo", "Bamako", "Bamako", "Syria", "Idleb"],
    }
)


def _map(
    tmp_path: Path, rows: Sequence[Sequence[object]], places: pd.DataFrame | None = None
) -> MappedFigures:
    table = read_hxl(write_hxl(tmp_path, rows))
    return map_hxl(table, MapContext("hxl", "t.csv", "run", RETRIEVED), places=places)


def _values(mapped: MappedFigures, *columns: str) -> list[tuple[object, ...]]:
    frame = mapped.figures[list(columns)].astype(object)
    frame = frame.where(frame.notna(), None)
    return sorted(frame.itertuples(index=False, name=None), key=repr)


# --- dates -------------------------------------------------------------------------------------


def test_derived_year_and_month_beside_a_date_are_ignored() -> None:
    cols = locate_columns(
        ["#country+code", "#affected+idps", "#date+reported", "#date+year+reported", "#date+month"]
    )
    assert cols.dates == {"reported": 2}
    assert {"#date+reported+year", "#date+month"} <= set(cols.ignored)


def test_occurred_wins_over_reported(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date+reported", "#date+occurred", "#affected+idps"],
        ["SY07", "2021-11-11", "2021-09-30", "10"],
    ]
    mapped = _map(tmp_path, rows)
    assert _values(mapped, "period_start", "period_end") == [(pd.Timestamp("2021-09-30"),) * 2]
    assert "#date+reported" in mapped.ignored_columns


def test_two_plain_dates_are_still_refused() -> None:
    with pytest.raises(HxlError, match=r"columns 2 \(#date\) and 3 \(#date\+reported\) mean"):
        locate_columns(["#adm1+code", "#date", "#date+reported", "#affected+idps"])


def test_record_and_event_dates_give_way_to_the_displacement_dates() -> None:
    cols = locate_columns(
        [
            "#country+iso3",
            "#affected+displaced",
            "#date+displacement",
            "#date+displacement+start",
            "#date+displacement+end",
            "#date+event+start",
            "#date+event+end",
            "#date+created",
            "#date+year",
        ]
    )
    assert cols.dates == {"reported": 2, "start": 3, "end": 4}


def test_a_year_alone_is_a_flow_over_it_and_a_stock_at_its_end(tmp_path: Path) -> None:
    rows = [
        ["ISO3", "Year", "Stock", "New"],
        ["#country+code", "#date+year", "#affected+idps+ind+stock+conflict",
         "#affected+idps+ind+newdisp+disaster"],
        ["SYR", "2019", "6495000", "17000"],
    ]  # fmt: skip
    mapped = _map(tmp_path, rows)
    assert _values(mapped, "metric", "cause", "period_start", "period_end", "value") == [
        ("idps", "conflict", pd.Timestamp("2019-12-31"), pd.Timestamp("2019-12-31"), 6_495_000),
        ("new_displacements", "disaster", pd.Timestamp("2019-01-01"),
         pd.Timestamp("2019-12-31"), 17_000),
    ]  # fmt: skip


def test_auckland_midnights_in_utc_are_read_as_auckland_days(tmp_path: Path) -> None:
    assert publisher_zone(["2023-08-02T12:00:00.000Z", "2023-11-06T11:00:00.000Z"]) is not None
    assert publisher_zone(["2023-08-02T00:00:00Z"]) is None
    assert publisher_zone(["2023-08-02T12:00:00Z", "2023-08-02T15:30:00Z"]) is None
    rows = [
        ["#country+iso3", "#total", "#affected+displaced", "#date+displacement+start",
         "#date+displacement+end", "#cause"],
        ["IND", "more than", "500", "2023-08-02T12:00:00.000Z", "2023-08-02T12:00:00.000Z",
         "Conflict"],
        ["IND", "total", "2", "2023-11-06T11:00:00.000Z", "2023-11-06T11:00:00.000Z", "Flood"],
    ]  # fmt: skip
    mapped = _map(tmp_path, rows)
    assert _values(mapped, "pcode", "value", "qualifier", "cause", "period_end") == [
        ("IN", 2, "exact", "disaster", pd.Timestamp("2023-11-07")),
        ("IN", 500, "more_than", "conflict", pd.Timestamp("2023-08-03")),
    ]
    assert any("Pacific/Auckland" in note for note in mapped.notes)


def test_dtm_reason_words_and_every_strict_cause_are_read(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date+reported", "#affected+idps", "#cause", "#meta+cause"],
        ["SY07", "2025-01-31", "10", "Insecurity", ""],
        ["SY07", "2025-02-28", "20", "No reason for displacement reported", ""],
        ["SY07", "2025-03-31", "30", "", "not_reported"],
        ["SY07", "2025-04-30", "40", "", "insecurity"],
        ["SY07", "2025-05-31", "50", "Something else", ""],
    ]
    mapped = _map(tmp_path, rows)
    assert mapped.rejections == []
    causes = dict(_values(mapped, "value", "cause"))
    assert causes == {
        10: "insecurity", 20: "not_reported", 30: "not_reported", 40: "insecurity", 50: None
    }


def test_an_unknown_strict_cause_is_refused_naming_every_cause(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date+reported", "#affected+idps", "#meta+cause"],
        ["SY07", "2025-01-31", "10", "weather"],
    ]
    mapped = _map(tmp_path, rows)
    assert len(mapped.rejections) == 1
    reason = str(mapped.rejections[0])
    assert "insecurity" in reason and "not_reported" in reason, reason


# --- cells -------------------------------------------------------------------------------------


def test_nan_floats_spaces_and_grouped_numbers(tmp_path: Path) -> None:
    rows = [
        ["#country+code", "#date+reported", "#affected+idps", "#affected+idps+m",
         "#affected+idps+f"],
        ["TCD ", "2025-01-31T00:00:00", "80 418", "93236.0", "nan"],
    ]  # fmt: skip
    mapped = _map(tmp_path, rows)
    assert mapped.rejections == []
    assert _values(mapped, "pcode", "sex", "value") == [("TD", "m", 93_236), ("TD", None, 80_418)]


def test_a_fraction_is_still_refused(tmp_path: Path) -> None:
    mapped = _map(
        tmp_path, [["#adm1+code", "#date", "#affected+idps"], ["SY07", "2020-01-28", "5.5"]]
    )
    assert [(r.check, r.value) for r in mapped.rejections] == [("number_format", "5.5")]


@pytest.mark.parametrize(
    ("code", "pcode"),
    [("MLI07             ", "ML07"), ("MLI090101", "ML090101"), ("tcd07", "TD07"),
     ("SY07", "SY07"), ("nan", None), ("Not available", None), ("", None), (7, None)],
)  # fmt: skip
def test_normalise_pcode(code: object, pcode: str | None) -> None:
    assert normalise_pcode(code) == pcode


def test_households_and_people_and_the_code_as_published(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date+occurred", "#affected+idps+hh", "#affected+idps+ind"],
        ["MLI07   ", "2021-09-30", "61", "283"],
    ]
    mapped = _map(tmp_path, rows)
    assert _values(mapped, "pcode", "unit", "value") == [
        ("ML07", "households", 61),
        ("ML07", "people", 283),
    ]


# --- places ------------------------------------------------------------------------------------


def test_origin_columns_are_where_people_came_from(tmp_path: Path) -> None:
    rows = [
        ["#country+code", "#date+reported", "#affected+idps", "#adm1+name+origin",
         "#adm1+code+origin"],
        ["AFG", "2017-12-31", "41018", "Baghlan", "AF09"],
        ["AFG", "2018-12-31", "1070135", "Not available", "Not available"],
    ]  # fmt: skip
    mapped = _map(tmp_path, rows)
    assert _values(mapped, "pcode", "origin_pcode", "value") == [
        ("AF", "AF09", 41_018),
        ("AF", None, 1_070_135),
    ]


MALI = ["#adm1+code", "#adm2+name", "#adm2+code", "#adm3+name", "#adm3+code", "#date",
        "#affected+idps"]  # fmt: skip


def test_admin3_units_are_added_under_their_known_admin2(tmp_path: Path) -> None:
    rows = [
        MALI,
        ["MLI09", "Bamako", "MLI0901", "Commune I", "MLI090101", "2021-09-30", "283"],
        ["MLI07", "Ansongo", "MLI0701", "", "MLI070102", "2021-09-30", "9"],  # no name
        ["MLI05", "Bandiagara", "MLI0501", "Dourou", "MLI050101", "2021-09-30", "7"],  # no parent
    ]
    mapped = _map(tmp_path, rows, PLACES)
    assert mapped.new_places is not None
    new = mapped.new_places.set_index("pcode")
    assert list(new.index) == ["ML090101"]
    assert (new.loc["ML090101", "name"], new.loc["ML090101", "parent_pcode"]) == (
        "Commune I",
        "ML0901",
    )
    assert [(r.row, r.check) for r in mapped.rejections] == [(3, "place_name")]
    # The unit without a known parent is left to the gazetteer check, which names its row.
    assert set(mapped.figures["pcode"]) == {"ML090101", "ML050101"}


def test_a_units_parent_follows_its_code_when_the_rows_name_agrees(tmp_path: Path) -> None:
    rows = [MALI, ["MLI07", "Ansongo", "MLI0702", "Ouatagouna", "MLI070105", "2021-09-30", "5"]]
    mapped = _map(tmp_path, rows, PLACES)
    assert mapped.rejections == []
    assert any("read under ML0701 (Ansongo)" in note for note in mapped.notes)
    rows[1][1] = "Bourem"
    mapped = _map(tmp_path / "b", rows, PLACES)
    assert [(r.check, r.reason) for r in mapped.rejections] == [
        ("pcode_parent", "ML070105 is not a unit of ML0702")
    ]


def test_swapped_code_and_name_columns_are_read_the_right_way_round(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#adm1+name", "#date", "#affected+idps"],
        ["Idleb", "SY07", "2020-01-28", "10"],
    ]
    mapped = _map(tmp_path, rows)
    assert _values(mapped, "pcode", "value") == [("SY07", 10)]
    assert any("swapped" in note and "#adm1+code" in note for note in mapped.notes)


def test_a_code_column_of_names_is_refused_naming_it(tmp_path: Path) -> None:
    rows = [["#adm1+code", "#date", "#affected+idps"], ["Idleb", "2020-01-28", "10"]]
    with pytest.raises(HxlError, match=r"#adm1\+code holds names, not codes \(e.g. 'Idleb'\)"):
        _map(tmp_path, rows)


def test_rows_of_sites_are_added_up_to_their_place(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#loc+name", "#date", "#affected+idps", "#affected+idps+hh"],
        ["SY07", "Camp A", "2020-01-28", "100", "20"],
        ["SY07", "Camp B", "2020-01-28", "1,000+", "200"],
        ["SY07", "Camp B", "2020-01-28", "1,000+", "200"],  # the same row twice: once
        ["SY07", "Camp C", "2020-01-29", "7", ""],
    ]
    mapped = _map(tmp_path, rows)
    got = _values(mapped, "period_end", "unit", "value", "qualifier")
    day = pd.Timestamp("2020-01-28")
    assert got == [
        (day, "households", 220, "exact"),
        (day, "people", 1100, "more_than"),
        (pd.Timestamp("2020-01-29"), "people", 7, "exact"),
    ]
    summed = mapped.figures[mapped.figures["value"] == 1100].iloc[0]
    assert summed["excerpt"].startswith("sum of 2 units (rows 2, 3)")


def test_rows_nothing_tells_apart_are_not_added_up(tmp_path: Path) -> None:
    rows = [
        ["#adm1+code", "#date", "#affected+idps"],
        ["SY07", "2020-01-28", "100"],
        ["SY07", "2020-01-28", "120"],
    ]
    mapped = _map(tmp_path, rows)
    assert sorted(mapped.figures["value"]) == [100, 120]  # validation refuses the clash


def test_sum_qualifier() -> None:
    assert sum_qualifier(["exact", "exact"]) == "exact"
    assert sum_qualifier(["exact", "more_than"]) == "more_than"
    assert sum_qualifier(["approximately", "more_than"]) == "approximately"
    assert sum_qualifier(["less_than", "more_than"]) is None


# --- refused sheets ----------------------------------------------------------------------------


def test_legacy_hashtags_are_refused_as_such(tmp_path: Path) -> None:
    rows = [["Date", "IDPs"], ["#period_date", "#idp_num"], ["Septembre 2012", "118795"]]
    with pytest.raises(HxlError, match=r"pre-1.0 HXL hashtags \(#period_date, #idp_num\)"):
        read_hxl(write_hxl(tmp_path, rows))


def test_a_sheet_without_a_displacement_metric_is_refused(tmp_path: Path) -> None:
    rows = [["#adm1+code", "#date", "#sector"], ["SY07", "2020-01-28", "WASH"]]
    with pytest.raises(HxlError, match="no value"):
        read_hxl(write_hxl(tmp_path, rows))


def test_hashtag_row_under_two_header_rows(tmp_path: Path) -> None:
    rows = [
        ["DTM Mali, round 72"],
        ["Admin 1 pcode", "Snapshot Date", "IDPs"],
        ["#adm1+code", "#date+occurred", "#affected+idps+ind"],
        ["MLI07", "2021-09-30", "97859"],
    ]
    mapped = _map(tmp_path, rows)
    assert mapped.row_numbers == [4]
    assert _values(mapped, "pcode", "value") == [("ML07", 97_859)]
