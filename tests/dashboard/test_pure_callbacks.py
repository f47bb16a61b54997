"""Where a click on a bar of the breakdown leads."""

import pytest

from dashboard.callbacks import drill_target
from tests.dashboard.pure_factories import make_reference


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
