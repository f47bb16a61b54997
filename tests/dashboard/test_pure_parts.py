"""What a place's parts report: the one sum allowed (one publication's units, one period) and
the labelled list of its parts' own figures otherwise."""

import datetime as dt

import pandas as pd
import pytest

from dashboard import headline, parts
from tests import oracles
from tests.dashboard.pure_factories import make_figures, make_places

TO = dt.date(2020, 3, 31)
ISIMM = "CCCM Cluster (Syria cross-border), ISIMM"
FEB = "2020-02-29"


def _site_sums(**extra: object) -> list[dict[str, object]]:
    """ISIMM's districts of Idleb for February 2020, as its connector loads them."""
    base = {"source": "cccm-isimm", "dataset": "ISIMM_2020Feb.csv", "publisher": ISIMM}
    return [
        {**base, "pcode": "SY0700", "value": 168_448, "period_end": FEB, **extra},
        {**base, "pcode": "SY0702", "value": 59_029, "period_end": FEB, **extra},
    ]


def test_one_publications_units_are_summed_with_their_count() -> None:
    sums = oracles.unit_sums(make_figures(*_site_sums()), "SY07", 1, ["idps"], TO)
    assert sums[["value", "units", "admin_level", "qualifier"]].values.tolist() == [
        [168_448 + 59_029, 2, 2, "exact"]
    ]


@pytest.mark.parametrize(
    "other",
    [
        {"publisher": "OCHA, Flash Update"},  # another publisher
        {"dataset": "ISIMM_2020Jan.csv"},  # another publication
        {"period_end": "2020-01-31"},  # another date
        {"metric": "population"},  # another metric
    ],
)
def test_a_sum_never_spans_publishers_publications_dates_or_metrics(other) -> None:
    first, second = _site_sums()
    sums = oracles.unit_sums(
        make_figures(first, {**second, **other}), "SY07", 1, ["idps", "population"], TO
    )
    assert sorted(sums["units"].tolist()) == [1, 1]
    assert parts.chosen_sum(sums, "idps", None, TO) is None  # one unit each: nothing summed


def test_levels_are_summed_apart_and_the_widest_is_shown() -> None:
    # The same publication's district and its sub-district: adding both would count twice.
    figs = make_figures(
        *_site_sums(),
        {"source": "cccm-isimm", "dataset": "ISIMM_2020Feb.csv", "publisher": ISIMM,
         "pcode": "SY070003", "value": 10_000, "period_end": FEB},
        {"source": "cccm-isimm", "dataset": "ISIMM_2020Feb.csv", "publisher": ISIMM,
         "pcode": "SY070200", "value": 20_000, "period_end": FEB},
    )  # fmt: skip
    sums = oracles.unit_sums(figs, "SY07", 1, ["idps"], TO)
    assert sorted(sums["admin_level"].tolist()) == [2, 3]
    chosen = parts.chosen_sum(sums, "idps", None, TO)
    assert chosen is not None
    assert (chosen.value, chosen.units, chosen.admin_level) == (227_477, 2, 2)


def test_only_counted_figures_without_an_origin_below_the_place_are_summed() -> None:
    figs = make_figures(
        *_site_sums(),
        *_site_sums(role="triangulation", value=1),
        *_site_sums(sex="f", value=2),
        *_site_sums(origin_pcode="SY070003", value=3),
        {"pcode": "SY07", "value": 5, "period_end": FEB},  # the place itself
        {"pcode": "SY0200", "value": 7, "period_end": FEB},  # another governorate's district
    )
    sums = oracles.unit_sums(figs, "SY07", 1, ["idps"], TO)
    assert sums[["value", "units"]].values.tolist() == [[227_477, 2]]


def test_a_sum_is_exact_only_if_every_part_is() -> None:
    first, second = _site_sums()
    cases = {
        ("exact", "exact"): "exact",
        ("exact", "more_than"): "more_than",
        ("more_than", "more_than"): "more_than",
        ("more_than", "approximately"): "approximately",
    }
    for (a, b), expected in cases.items():
        figs = make_figures({**first, "qualifier": a}, {**second, "qualifier": b})
        assert oracles.unit_sums(figs, "SY07", 1, ["idps"], TO)["qualifier"].tolist() == [expected]


def test_the_latest_sum_as_of_the_date_is_chosen() -> None:
    jan = _site_sums(dataset="ISIMM_2020Jan.csv", period_end="2020-01-31", value=100)
    sums = oracles.unit_sums(make_figures(*_site_sums(), *jan), "SY07", 1, ["idps"], None)
    assert parts.chosen_sum(sums, "idps", None, TO).value == 227_477  # type: ignore[union-attr]
    before = parts.chosen_sum(sums, "idps", None, dt.date(2020, 2, 1))
    assert before is not None and before.value == 200


def test_a_flow_sum_lies_within_the_range() -> None:
    flows = [
        {"publisher": "OCHA, Flash Update (2020-03-05)", "metric": "new_displacements",
         "pcode": p, "value": v, "period_start": "2019-12-01", "period_end": "2020-03-05",
         "qualifier": "approximately"}
        for p, v in (("SY02", 400_000), ("SY07", 560_000))
    ]  # fmt: skip
    sums = oracles.unit_sums(make_figures(*flows), "SY", 0, ["new_displacements"], TO)
    inside = parts.chosen_sum(sums, "new_displacements", dt.date(2019, 12, 1), TO)
    assert inside is not None and inside.text == "~960,000"
    assert parts.chosen_sum(sums, "new_displacements", dt.date(2020, 1, 1), TO) is None


def _syria() -> pd.Series:
    return make_places().set_index("pcode", drop=False).loc["SY"]


def _kids() -> pd.DataFrame:
    places = make_places()
    return places[places["parent_pcode"] == "SY"]


def test_a_card_shows_the_sum_labelled_with_its_units_publisher_and_date() -> None:
    govs = [
        {"source": "cccm-isimm", "dataset": "ISIMM_2020Feb.csv", "publisher": ISIMM,
         "pcode": p, "value": v, "period_end": FEB}
        for p, v in (("SY02", 219_930), ("SY07", 928_298))
    ]  # fmt: skip
    figs = make_figures(*govs)
    sums = oracles.unit_sums(figs, "SY", 0, ["idps"], TO)
    cards = parts.part_cards(_syria(), _kids(), figs, sums, None, TO)
    card = cards["idps"]
    assert card.text == "1,148,228"
    assert card.detail == (
        "no country-wide figure; sum of 2 governorates, CCCM Cluster (Syria cross-border), "
        "2020-02-29"
    )
    assert card.source == "CCCM Cluster (Syria cross-border)"


def test_without_a_sum_a_card_lists_its_parts_own_figures_and_adds_nothing() -> None:
    figs = make_figures(
        {"publisher": "UNHCR, Fact Sheet", "pcode": "SY07", "value": 555_000,
         "qualifier": "more_than", "period_end": "2020-03-31"},
        {"publisher": "OCHA, Flash Update", "pcode": "SY02", "value": 400_000,
         "qualifier": "more_than", "period_end": "2020-03-05"},
    )  # fmt: skip
    sums = oracles.unit_sums(figs, "SY", 0, ["idps"], TO)
    card = parts.part_cards(_syria(), _kids(), figs, sums, None, TO)["idps"]
    assert card.text == "–"
    assert card.detail == (
        "no country-wide figure; its governorates report: Idleb 555,000+ (UNHCR, 2020-03-31); "
        "Aleppo 400,000+ (OCHA, 2020-03-05)"
    )
    assert "955,000" not in card.detail


def test_headline_cards_use_the_parts_only_where_the_place_has_no_figure() -> None:
    own = make_figures({"pcode": "SY", "metric": "population", "value": 20_000_000})
    instead = {
        "population": headline.Card("population", "Population", "9", "parts"),
        "idps": headline.Card("idps", "People displaced", "1,148,228", "sum"),
    }
    cards = {c.key: c for c in headline.headline_cards(own, None, TO, instead)}
    assert cards["population"].text == "20,000,000"
    assert cards["idps"].text == "1,148,228"
    assert cards["new"].text == "–"
    # The share is of the place's own figures only: never of a sum.
    assert cards["share"].text == "–"


def test_missing_metrics_are_those_the_cards_would_not_find() -> None:
    own = make_figures({"pcode": "SY07", "metric": "population", "value": 3_000_000})
    assert parts.missing_metrics(own, None, TO) == ["idps", "new_displacements"]
    assert parts.missing_metrics(make_figures(), None, TO) == [
        "population",
        "idps",
        "new_displacements",
    ]


def test_units_are_named_by_level() -> None:
    assert parts.level_name("SY07", 1) == "governorate"
    assert parts.level_name("SY0703", 2, plural=True) == "districts"
    assert parts.level_name("ML01", 1, plural=True) == "admin 1 units"
    assert parts.level_name("SY-NW", None) == "area"
