"""The figures table's filter row: parsed, never evaluated; applied to every figure of the view."""

import pytest

from dashboard.table_filter import FilterError, apply_filter, parse_filter
from tests.dashboard.pure_factories import make_figures


def _figs():
    return make_figures(
        {"pcode": "SY07", "value": 1_500_000, "publisher": "OCHA, Flash update 8"},
        {"pcode": "SY0702", "value": 1_000, "qualifier": "more_than"},
        {"pcode": "SY02", "value": 470_000, "publisher": "CCCM Cluster, ISIMM"},
        {
            "pcode": "SY07",
            "metric": "new_displacements",
            "period_start": "2020-01-01",
            "period_end": "2020-01-31",
            "value": 300_000,
            "sex": "f",
            "age_group": "children",
        },
    )


def _values(query: str) -> list[int]:
    return sorted(int(v) for v in apply_filter(_figs(), parse_filter(query))["value"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1_000, 300_000, 470_000, 1_500_000]),
        ("{value} > 400000", [470_000, 1_500_000]),
        ("{value} s>= 470,000", [470_000, 1_500_000]),
        ("{value} lt 1000", []),
        ("{value} eq 1000", [1_000]),
        ('{place} icontains "idl"', [300_000, 1_500_000]),
        ("{place} contains Aleppo", [470_000]),
        ("{place} scontains idl", []),
        ("{place} scontains Idl", [300_000, 1_500_000]),
        ("{pcode} = sy0702", [1_000]),
        ("{pcode} != SY07", [1_000, 470_000]),
        ("{publisher} contains cccm", [470_000]),
        ("{metric} contains newly", [300_000]),
        ("{who} contains children", [300_000]),
        ("{period} datestartswith 2020-01-01", [300_000]),
        ("{period} contains 2020-01-28", [1_000, 470_000, 1_500_000]),
        ("{origin} is blank", [1_000, 300_000, 470_000, 1_500_000]),
        ("{origin} is not blank", []),
        ("{place} contains Idleb && {value} > 1000000", [1_500_000]),
    ],
)
def test_filters_select_the_figures_they_name(query: str, expected: list[int]) -> None:
    assert _values(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{figure_id} contains 1", "no column 'figure_id'"),
        ("{excerpt} contains x", "no column 'excerpt'"),
        ("{value} > lots", "'lots' is not a number"),
        ("{place} matches .*", "unknown comparison 'matches'"),
        ("place = 1; DROP TABLE figures", "cannot read the filter"),
        ("{place} contains x || 1=1", None),  # read as the text "x || 1=1": matches nothing
        ("{__class__} eq x", "no column '__class__'"),
    ],
)
def test_forged_or_unreadable_filters_are_refused_or_inert(query: str, message) -> None:
    if message is None:
        assert _values(query) == []
        return
    with pytest.raises(FilterError, match=message.replace("*", r"\*").replace(".", r"\.")):
        apply_filter(_figs(), parse_filter(query))


def test_only_text_up_to_a_bound_is_read() -> None:
    with pytest.raises(FilterError):
        parse_filter("{place} contains " + "x" * 5_000)
    with pytest.raises(FilterError):
        parse_filter(["{place} contains x"])
