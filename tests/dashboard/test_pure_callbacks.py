"""Where a click on a bar of the breakdown leads."""

import pandas as pd
import pytest

from dashboard.callbacks import drill_target, exported
from dashboard.data import Reference
from tests.dashboard.pure_factories import make_figures, make_reference


@pytest.mark.parametrize("pcode", ["SY", "SY02", "SY07", "SY-NW", "SY-NW-OPP"])
def test_a_governorate_country_or_area_becomes_the_place(pcode: str) -> None:
    assert drill_target(make_reference(), pcode) == (pcode, None)


@pytest.mark.parametrize(
    ("pcode", "target"),
    [
        ("SY0702", ("SY07", "SY0702")),
        ("SY0700", ("SY07", "SY0700")),
        ("SY070200", ("SY07", "SY070200")),
    ],
)
def test_a_district_opens_within_its_governorate(pcode: str, target: tuple[str, str]) -> None:
    assert drill_target(make_reference(), pcode) == target


@pytest.mark.parametrize("pcode", ["SY0799", "XX", "", "SY07' OR 1=1 --"])
def test_an_unknown_place_leads_nowhere(pcode: str) -> None:
    assert drill_target(make_reference(), pcode) is None


def test_a_district_of_a_country_with_three_digit_levels_opens_within_its_state() -> None:
    ref = make_reference()
    nigeria = pd.DataFrame(
        [
            ("NG", "admin", "Nigeria", None, 0, None, 9.1, 7.4),
            ("NG008", "admin", "Borno", None, 1, "NG", 11.8, 13.1),
            ("NG008003", "admin", "Bama", None, 2, "NG008", 11.5, 13.7),
        ],
        columns=ref.places.columns[:8],
    )
    ref = Reference(pd.concat([ref.places, nigeria]), ref.members, ref.date_from, ref.date_to)
    assert drill_target(ref, "NG008003") == ("NG008", "NG008003")
    assert drill_target(ref, "NG008") == ("NG008", None)


def test_an_export_holds_the_figures_the_table_filter_keeps() -> None:
    figs = make_figures(
        {"pcode": "SY0702", "value": 1000},
        {"pcode": "SY0700", "value": 2_000_000},
    )
    kept, applied = exported(figs, "{value} > 1500")
    assert list(kept["pcode"]) == ["SY0700"]
    assert applied == "{value} > 1500"
    everything, none = exported(figs, "")
    assert len(everything) == 2 and none == ""
    # A filter the table could not apply leaves the export whole, as the table is.
    unread, ignored = exported(figs, "{value} > lots")
    assert len(unread) == 2 and ignored == ""
