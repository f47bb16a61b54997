"""The view in the URL: round trips, and whatever is unknown or malformed falls back."""

import datetime as dt

import pytest

from dashboard.state import ViewState, decode_state, encode_state

D = dt.date
KNOWN = {"SY", "SY02", "SY07", "SY0700", "SY0702", "SY070200", "SY-NW-OPP"}
DEFAULT = ViewState("SY", None, D(2019, 12, 1), D(2020, 3, 31))


@pytest.mark.parametrize(
    "state",
    [
        ViewState("SY07", "SY0702", D(2020, 1, 1), D(2020, 2, 29)),
        ViewState("SY-NW-OPP", None, D(2019, 12, 1), D(2020, 3, 31)),
        ViewState("SY07", "SY070200", D(2020, 1, 28), D(2020, 1, 28)),
    ],
)
def test_a_state_round_trips_through_the_url(state: ViewState) -> None:
    assert decode_state(encode_state(state), KNOWN, DEFAULT) == state


def test_the_query_string_is_plain() -> None:
    state = ViewState("SY07", "SY0702", D(2020, 1, 1), D(2020, 2, 29))
    assert encode_state(state) == "?place=SY07&district=SY0702&from=2020-01-01&to=2020-02-29"
    assert encode_state(ViewState("SY07")) == "?place=SY07"


def test_the_selected_place_is_the_district_when_there_is_one() -> None:
    assert ViewState("SY07", "SY0702").selected == "SY0702"
    assert ViewState("SY07").selected == "SY07"


@pytest.mark.parametrize("search", [None, "", "?", "?nothing=here"])
def test_an_empty_query_is_the_default(search: str | None) -> None:
    assert decode_state(search, KNOWN, DEFAULT) == DEFAULT


def test_an_unknown_place_is_the_default_place() -> None:
    state = decode_state("?place=XX99&from=2020-01-01", KNOWN, DEFAULT)
    assert state.place == "SY"
    assert state.date_from == D(2020, 1, 1)


def test_an_unknown_district_is_dropped() -> None:
    state = decode_state("?place=SY07&district=SY0799", KNOWN, DEFAULT)
    assert (state.place, state.district) == ("SY07", None)


@pytest.mark.parametrize(
    "search",
    [
        "?place=SY07' OR 1=1 --",
        "?place=SY07%27%20OR%201%3D1%20--",
        "?place=SY07%3B%20DROP%20TABLE%20figures",
        "?place=<script>alert(1)</script>",
    ],
)
def test_sql_or_script_looking_text_is_the_default_place(search: str) -> None:
    state = decode_state(search, KNOWN, DEFAULT)
    assert state.place == "SY"
    assert state.district is None


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2020-13-45", "2020-02-30"),
        ("yesterday", "not-a-date"),
        ("", ""),
        ("2020/01/01", "01/02/2020"),
    ],
)
def test_malformed_dates_are_the_defaults(start: str, end: str) -> None:
    state = decode_state(f"?place=SY07&from={start}&to={end}", KNOWN, DEFAULT)
    assert state.place == "SY07"
    assert (state.date_from, state.date_to) == (DEFAULT.date_from, DEFAULT.date_to)


def test_dates_in_the_wrong_order_are_swapped() -> None:
    state = decode_state("?place=SY07&from=2020-03-01&to=2020-01-01", KNOWN, DEFAULT)
    assert (state.date_from, state.date_to) == (D(2020, 1, 1), D(2020, 3, 1))


def test_an_oversized_query_is_the_default() -> None:
    search = "?place=SY07&from=2020-01-01&junk=" + "x" * 5_000
    assert len(search) > 5_000
    assert decode_state(search, KNOWN, DEFAULT) == DEFAULT
    assert decode_state("?" + "a" * 4_999, KNOWN, DEFAULT) == DEFAULT
