"""How numbers, qualifiers, shares and periods read on screen."""

import datetime as dt

import pandas as pd
import pytest

from dashboard.formatting import (
    format_date,
    format_period,
    format_share,
    format_value,
    format_values,
)
from schemas.enums import Qualifier


@pytest.mark.parametrize(
    ("value", "qualifier", "text"),
    [
        (1000, "more_than", "1,000+"),
        (3_000_000, "approximately", "~3,000,000"),
        (50, "less_than", "<50"),
        (464_830, "exact", "464,830"),
        (0, "exact", "0"),
        (12_000, None, "12,000"),
    ],
)
def test_a_value_reads_as_published(value: int, qualifier: str | None, text: str) -> None:
    assert format_value(value, qualifier) == text


@pytest.mark.parametrize("missing", [None, pd.NA, float("nan")])
def test_a_missing_value_is_a_dash(missing: object) -> None:
    assert format_value(missing, "exact") == "–"  # type: ignore[arg-type]
    assert format_value(missing, "more_than") == "–"  # type: ignore[arg-type]


def test_a_nullable_integer_reads_like_an_int() -> None:
    value = pd.array([1_500_000], dtype="Int64")[0]
    assert format_value(value, "approximately") == "~1,500,000"


@pytest.mark.parametrize(
    ("share", "exact", "text"),
    [
        (0.5, True, "50%"),
        (0.5, False, "~50%"),
        (0.155, True, "16%"),
        (1.2, True, "120%"),
        (0.004, True, "<1%"),
        (0.004, False, "~<1%"),
        (None, True, "–"),
    ],
)
def test_a_share_says_when_it_is_approximate(share: float | None, exact: bool, text: str) -> None:
    assert format_share(share, exact) == text


def test_a_period_of_one_day_is_one_date() -> None:
    day = pd.Timestamp("2020-01-28")
    assert format_period(day, day) == "2020-01-28"


def test_a_period_of_several_days_is_a_range() -> None:
    assert (
        format_period(pd.Timestamp("2019-12-01"), pd.Timestamp("2020-01-29"))
        == "2019-12-01 – 2020-01-29"
    )


def test_dates_are_iso_or_a_dash() -> None:
    assert format_date(dt.date(2020, 3, 5)) == "2020-03-05"
    assert format_date(pd.Timestamp("2020-03-05 17:45")) == "2020-03-05"
    assert format_date(None) == "–"
    assert format_date(pd.NaT) == "–"


def test_a_column_is_formatted_as_each_of_its_values_is() -> None:
    values = pd.array([1000, None, 3_000_000, 50, 464_830, 0], dtype="Int64")
    qualifiers = ["more_than", "exact", Qualifier.APPROXIMATELY, "less_than", None, float("nan")]
    expected = [format_value(v, q) for v, q in zip(values, qualifiers, strict=True)]
    assert format_values(values, qualifiers) == expected
    assert expected == ["1,000+", "–", "~3,000,000", "<50", "464,830", "0"]
    assert format_values([float("nan"), 12.0], ["exact", "more_than"]) == ["–", "12+"]
