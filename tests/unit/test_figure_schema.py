"""The rules of the canonical figures schema (DESIGN section 3), one test per rule."""

import pandas as pd
import pandera.pandas as pa
import pytest

from etl.validate import validate_figures
from schemas.figures import COLUMNS, FigureModel
from schemas.runs import Rejection
from tests.factories import KNOWN_PLACES, figure_frame, figure_record


def _checks(rejections: list[Rejection]) -> list[tuple[int | None, str | None, str]]:
    return [(r.row, r.column, r.check) for r in rejections]


def _only_rejection(frame: pd.DataFrame) -> Rejection:
    result = validate_figures(frame, set(KNOWN_PLACES))
    assert result.valid.empty, "the broken row must not pass"
    assert len(result.rejections) == 1, _checks(result.rejections)
    return result.rejections[0]


def test_valid_frame_passes() -> None:
    frame = figure_frame(
        figure_record(),
        figure_record(
            metric="new_displacements",
            pcode="SY-NW-OPP",
            admin_level=None,
            origin_pcode="SY070200",
            period_start="2019-12-01",
            qualifier="more_than",
        ),
    )
    result = validate_figures(frame, set(KNOWN_PLACES))
    assert result.rejections == []
    assert list(result.valid["figure_id"]) == list(frame["figure_id"])


def test_valid_frame_is_exactly_the_canonical_columns() -> None:
    frame = figure_frame(figure_record())
    assert list(frame.columns) == COLUMNS
    FigureModel.validate(frame)  # raises if the factory drifts from the model


def test_pcode_not_in_gazetteer_is_rejected() -> None:
    rejection = _only_rejection(figure_frame(figure_record(pcode="SY09", admin_level=1)))
    assert (rejection.row, rejection.column, rejection.check) == (1, "pcode", "pcode_in_gazetteer")
    assert rejection.value == "SY09"
    assert rejection.reason == "P-code not in the gazetteer"


def test_origin_not_in_gazetteer_is_rejected() -> None:
    rejection = _only_rejection(
        figure_frame(figure_record(metric="new_displacements", origin_pcode="SY0799"))
    )
    assert (rejection.row, rejection.column, rejection.check) == (
        1,
        "origin_pcode",
        "origin_in_gazetteer",
    )
    assert rejection.value == "SY0799"


def test_admin_level_inconsistent_with_pcode_length_is_rejected() -> None:
    rejection = _only_rejection(figure_frame(figure_record(pcode="SY0702", admin_level=1)))
    assert (rejection.row, rejection.column, rejection.check) == (
        1,
        "pcode",
        "admin_level_matches_pcode",
    )


def test_area_with_an_admin_level_is_rejected() -> None:
    rejection = _only_rejection(figure_frame(figure_record(pcode="SY-NW-OPP", admin_level=1)))
    assert (rejection.column, rejection.check) == ("pcode", "admin_level_matches_pcode")


def test_pcode_off_the_cod_pattern_is_rejected() -> None:
    # Odd length: neither a COD P-code nor an area id, even if a gazetteer listed it.
    result = validate_figures(figure_frame(figure_record(pcode="SY070")), {*KNOWN_PLACES, "SY070"})
    assert result.valid.empty
    checks = {(r.column, r.check) for r in result.rejections}
    assert ("pcode", "admin_level_matches_pcode") in checks
    assert any(col == "pcode" and check.startswith("str_matches") for col, check in checks)


def test_negative_value_is_rejected() -> None:
    rejection = _only_rejection(figure_frame(figure_record(value=-5)))
    assert (rejection.row, rejection.column, rejection.check) == (
        1,
        "value",
        "greater_than_or_equal_to(0)",
    )
    assert rejection.value == -5
    assert rejection.reason == "negative number"


def test_period_start_after_end_is_rejected() -> None:
    frame = figure_frame(
        figure_record(
            metric="new_displacements", period_start="2020-02-01", period_end="2020-01-28"
        )
    )
    rejection = _only_rejection(frame)
    assert (rejection.row, rejection.column, rejection.check) == (
        1,
        "period_end",
        "period_start_not_after_end",
    )


def test_stock_with_start_different_from_end_is_rejected() -> None:
    frame = figure_frame(
        figure_record(metric="idps", period_start="2019-12-01", period_end="2020-01-28")
    )
    rejection = _only_rejection(frame)
    assert (rejection.row, rejection.column, rejection.check) == (
        1,
        "period_start",
        "stock_has_one_date",
    )


def test_flow_over_a_period_passes() -> None:
    frame = figure_frame(
        figure_record(
            metric="new_displacements", period_start="2019-12-01", period_end="2020-01-28"
        )
    )
    assert validate_figures(frame, set(KNOWN_PLACES)).rejections == []


def test_metric_not_in_enumeration_is_rejected() -> None:
    rejection = _only_rejection(figure_frame(figure_record(metric="displaced")))
    assert rejection.column == "metric"
    assert rejection.check.startswith("isin(")
    assert rejection.value == "displaced"


def test_qualifier_not_in_enumeration_is_rejected() -> None:
    rejection = _only_rejection(figure_frame(figure_record(qualifier="roughly")))
    assert rejection.column == "qualifier"
    assert rejection.check.startswith("isin(")
    assert rejection.value == "roughly"


def test_cause_not_in_enumeration_is_rejected() -> None:
    rejection = _only_rejection(figure_frame(figure_record(cause="war")))
    assert rejection.column == "cause"
    assert rejection.check.startswith("isin(")
    assert rejection.value == "war"


def test_duplicate_natural_key_is_rejected() -> None:
    # Same natural key, so the same figure_id: the input says the same thing twice.
    frame = figure_frame(figure_record(role="triangulation"), figure_record(role="triangulation"))
    result = validate_figures(frame, set(KNOWN_PLACES))
    assert result.valid.empty
    assert sorted(_checks(result.rejections)) == [
        (1, "figure_id", "unique_natural_key"),
        (2, "figure_id", "unique_natural_key"),
    ]


def test_two_recommended_for_same_place_metric_period_are_rejected() -> None:
    # Two publishers, so two natural keys, both claiming to be the figure that counts.
    frame = figure_frame(figure_record(publisher="OCHA"), figure_record(publisher="UNHCR"))
    result = validate_figures(frame, set(KNOWN_PLACES))
    assert result.valid.empty
    assert sorted(_checks(result.rejections)) == [
        (1, "role", "one_recommended_per_key"),
        (2, "role", "one_recommended_per_key"),
    ]


def test_recommended_and_triangulation_for_same_key_pass() -> None:
    frame = figure_frame(
        figure_record(publisher="OCHA"),
        figure_record(publisher="UNHCR", role="triangulation", value=1200),
    )
    result = validate_figures(frame, set(KNOWN_PLACES))
    assert result.rejections == []
    assert len(result.valid) == 2


def test_lazy_validation_reports_every_failing_row_at_once() -> None:
    frame = figure_frame(
        figure_record(pcode="SY02"),
        figure_record(pcode="SY09", admin_level=1),
        figure_record(pcode="SY070200", admin_level=3),
        figure_record(pcode="SY0702", admin_level=2, value=-1),
        figure_record(pcode="SY070003", admin_level=3),
        figure_record(pcode="SY-NW-OPP", admin_level=None, qualifier="lots"),
    )
    result = validate_figures(frame, set(KNOWN_PLACES), row_numbers=[10, 11, 12, 13, 14, 15])
    assert len(result.rejections) == 3
    assert sorted((r.row, r.column, r.check.split("(")[0]) for r in result.rejections) == [
        (11, "pcode", "pcode_in_gazetteer"),
        (13, "value", "greater_than_or_equal_to"),
        (15, "qualifier", "isin"),
    ]
    assert list(result.valid["pcode"]) == ["SY02", "SY070200", "SY070003"]


def test_rejection_carries_the_whole_record() -> None:
    rejection = _only_rejection(figure_frame(figure_record(value=-5)))
    assert rejection.record is not None
    assert set(rejection.record) == set(COLUMNS)
    assert rejection.record["pcode"] == "SY07"
    assert rejection.record["value"] == -5
    assert rejection.record["period_start"] == "2020-01-28T00:00:00"


def test_every_figure_column_has_a_description() -> None:
    schema = FigureModel.to_schema()
    assert set(schema.columns) == set(COLUMNS)
    missing = [name for name, col in schema.columns.items() if not (col.description or "").strip()]
    assert missing == []


def test_missing_column_rejects_the_whole_input() -> None:
    frame = figure_frame(figure_record(), figure_record(pcode="SY02")).drop(columns=["unit"])
    result = validate_figures(frame, set(KNOWN_PLACES))
    assert result.valid.empty
    assert [(r.row, r.check) for r in result.rejections] == [(None, "column_in_dataframe")]


def test_unknown_column_fails_the_strict_model() -> None:
    frame = figure_frame(figure_record()).assign(extra="x")
    with pytest.raises(pa.errors.SchemaErrors, match="extra"):
        FigureModel.validate(frame, lazy=True)


def test_rows_are_rejected_by_position_whatever_the_frame_index() -> None:
    # A filtered or reordered frame keeps its old index labels; the bad row is still the one
    # rejected and the row numbers still follow the frame's order.
    frame = figure_frame(figure_record(), figure_record(pcode="SY09")).iloc[[1, 0]]
    result = validate_figures(frame, set(KNOWN_PLACES), row_numbers=[7, 8])
    assert _checks(result.rejections) == [(7, "pcode", "pcode_in_gazetteer")]
    assert result.rejections[0].value == "SY09"
    assert list(result.valid["pcode"]) == ["SY07"]


def test_a_figure_id_is_what_it_was_when_stored() -> None:
    """Ids are stored: a change to how they are made needs a migration that remakes the stored
    ones (as 0004 did), and this fails until it is noticed."""
    import datetime as dt

    import numpy as np

    from etl.figure_ids import figure_id

    record = {
        "source": "hxl",
        "dataset": "a.csv",
        "publisher": "OCHA",
        "metric": "idps",
        "pcode": "SY07",
        "period_start": "2020-01-28",
        "period_end": "2020-01-28",
        "unit": "people",
    }
    assert figure_id(record) == "780fbcaf565beb29"
    assert figure_id({**record, "cause": "conflict"}) == "3f3d1363736794b0"
    # A day is a day however it is given; missing is missing.
    same = {
        **record,
        "period_start": dt.date(2020, 1, 28),
        "period_end": np.datetime64("2020-01-28T00:00"),
        "cause": None,
        "sex": float("nan"),
    }
    assert figure_id(same) == figure_id(record)
    # A value in another column is another key.
    assert figure_id({**record, "sex": "OCHA", "publisher": None}) != figure_id(record)
    assert figure_id({**record, "cause": "conflict"}) != figure_id({**record, "cause": "disaster"})
