"""The landing view: the place whose own figures fill the most cards, freshest first."""

import datetime as dt

import pandas as pd

from dashboard.landing import landing_state
from dashboard.state import ViewState
from tests.dashboard.pure_factories import make_places

START, END = dt.date(2017, 4, 30), dt.date(2020, 5, 1)


def _freshest(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["pcode", "metric", "period_start", "period_end"])
    for col in ("period_start", "period_end"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _all_four(pcode: str, population: str, idps: str, flow: tuple[str, str]):
    return [
        (pcode, "population", population, population),
        (pcode, "idps", idps, idps),
        (pcode, "new_displacements", *flow),
    ]


def test_the_place_that_fills_every_card_wins_over_a_fresher_partial_one() -> None:
    freshest = _freshest(
        ("SY", "idps", "2020-04-30", "2020-04-30"),
        *_all_four("SY07", "2020-01-28", "2020-04-30", ("2019-12-01", "2020-03-05")),
    )
    assert landing_state(freshest, make_places(), START, END) == ViewState(
        "SY07", None, dt.date(2019, 12, 1), END
    )


def test_among_full_places_the_one_whose_oldest_card_is_freshest_wins() -> None:
    freshest = _freshest(
        *_all_four("SY07", "2020-01-28", "2020-04-30", ("2019-12-01", "2020-03-05")),
        *_all_four("SY-NW", "2020-03-05", "2020-04-30", ("2019-12-01", "2020-03-05")),
    )
    assert landing_state(freshest, make_places(), START, END).place == "SY-NW"


def test_a_district_lands_under_its_governorate() -> None:
    freshest = _freshest(
        *_all_four("SY0702", "2020-01-28", "2020-02-29", ("2020-02-01", "2020-02-29"))
    )
    state = landing_state(freshest, make_places(), START, END)
    assert (state.place, state.district, state.date_from) == ("SY07", "SY0702", dt.date(2020, 2, 1))


def test_without_a_flow_the_range_starts_with_the_data() -> None:
    freshest = _freshest(("SY07", "idps", "2020-02-29", "2020-02-29"))
    assert landing_state(freshest, make_places(), START, END) == ViewState("SY07", None, START, END)


def test_places_outside_the_gazetteer_and_an_empty_store_fall_back_to_the_country() -> None:
    unknown = _freshest(
        *_all_four("ML01", "2020-01-28", "2020-04-30", ("2020-01-01", "2020-03-05"))
    )
    default = ViewState("SY", None, START, END)
    assert landing_state(unknown, make_places(), START, END) == default
    assert landing_state(_freshest(), make_places(), START, END) == default
