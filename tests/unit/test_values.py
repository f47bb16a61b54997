"""Parsing published cells: numbers with their qualifier, ISO dates, qualifier words."""

import datetime as dt

import pytest

from etl.values import CellError, Number, parse_iso_date, parse_number, parse_qualifier
from schemas.enums import Qualifier


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1,000+", Number(1000, Qualifier.MORE_THAN)),
        ("more than 1,000", Number(1000, Qualifier.MORE_THAN)),
        (">1000", Number(1000, Qualifier.MORE_THAN)),
        ("over 2k", Number(2000, Qualifier.MORE_THAN)),
        ("~3,000,000", Number(3_000_000, Qualifier.APPROXIMATELY)),
        ("about 3 million", Number(3_000_000, Qualifier.APPROXIMATELY)),
        ("approximately 1.5 million", Number(1_500_000, Qualifier.APPROXIMATELY)),
        ("approximately 3,000,000", Number(3_000_000, Qualifier.APPROXIMATELY)),
        ("approx. 3,000", Number(3000, Qualifier.APPROXIMATELY)),
        ("<50", Number(50, Qualifier.LESS_THAN)),
        ("fewer than 50", Number(50, Qualifier.LESS_THAN)),
        ("1 000", Number(1000, None)),
        ("464830", Number(464_830, None)),
        (" 464,830 ", Number(464_830, None)),
        ("3M", Number(3_000_000, None)),
        ("0", Number(0, None)),
    ],
)
def test_parse_number_reads_value_and_qualifier(cell: str, expected: Number) -> None:
    assert parse_number(cell) == expected


def test_parse_number_plain_number_says_nothing_about_exactness() -> None:
    assert parse_number("464830").qualifier is None


def test_parse_number_keeps_the_sign_for_the_schema_to_refuse() -> None:
    assert parse_number("-5") == Number(-5, None)


@pytest.mark.parametrize("cell", ["abc", "n/a", "1.000", "1,00", "", "12,34,567", "3.7", "1e6"])
def test_parse_number_rejects_what_is_not_a_whole_number(cell: str) -> None:
    with pytest.raises(CellError) as info:
        parse_number(cell)
    assert info.value.check == "number_format"
    assert info.value.reason


def test_parse_number_rejects_contradictory_qualifiers() -> None:
    with pytest.raises(CellError) as info:
        parse_number("about 1,000+")
    assert info.value.check == "number_format"
    assert "contradictory" in info.value.reason


def test_parse_iso_date_accepts_iso() -> None:
    assert parse_iso_date("2020-01-28") == dt.date(2020, 1, 28)
    assert parse_iso_date(" 2020-01-28 ") == dt.date(2020, 1, 28)


@pytest.mark.parametrize(
    "cell", ["28/01/2020", "01/28/2020", "2020-02-30", "2020-01", "28 Jan 2020"]
)
def test_parse_iso_date_rejects_ambiguous_or_impossible_dates(cell: str) -> None:
    with pytest.raises(CellError) as info:
        parse_iso_date(cell)
    assert info.value.check == "date_format"


def test_parse_iso_date_rejection_says_how_to_write_it() -> None:
    with pytest.raises(CellError, match="YYYY-MM-DD"):
        parse_iso_date("28/01/2020")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("exact", Qualifier.EXACT),
        ("more_than", Qualifier.MORE_THAN),
        ("More than", Qualifier.MORE_THAN),
        ("less than", Qualifier.LESS_THAN),
        ("approximately", Qualifier.APPROXIMATELY),
        (" about ", Qualifier.APPROXIMATELY),
    ],
)
def test_parse_qualifier_reads_words(cell: str, expected: Qualifier) -> None:
    assert parse_qualifier(cell) is expected


@pytest.mark.parametrize("cell", ["roughly", "", "+"])
def test_parse_qualifier_rejects_unknown_words(cell: str) -> None:
    with pytest.raises(CellError) as info:
        parse_qualifier(cell)
    assert info.value.check == "qualifier_value"
    assert "more_than" in info.value.reason
