"""The rules of views: stocks and flows, qualifiers, publishers, areas, breakdowns, the table."""

import datetime as dt
import random
from typing import Any

import pandas as pd
import pytest

from dashboard import figure_table, headline, notices, place_tree, ranges, rules
from etl.store import Store, reads, writes
from tests.dashboard.pure_factories import make_figures, make_members, make_places

D = dt.date
FROM, TO = D(2019, 12, 1), D(2020, 3, 31)
NEW = "new_displacements"


def flow(start: str, end: str, value: int, **fields: Any) -> dict[str, Any]:
    """A new_displacements flow over [start, end]."""
    return {"metric": NEW, "period_start": start, "period_end": end, "value": value, **fields}


# --- combine_qualifiers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "combined"),
    [
        (["exact"], "exact"),
        (["exact", "exact", "exact"], "exact"),
        (["exact", "more_than"], "more_than"),
        (["more_than", "more_than"], "more_than"),
        (["exact", "approximately"], "approximately"),
        (["more_than", "approximately"], "approximately"),
        (["more_than", "less_than"], "approximately"),
    ],
)
def test_the_qualifier_of_a_sum(parts: list[str], combined: str) -> None:
    assert rules.combine_qualifiers(parts) == combined


# --- latest_stock -------------------------------------------------------------------------


def test_the_latest_stock_as_of_the_end_date() -> None:
    figs = make_figures(
        {"value": 100, "period_end": "2020-01-01"},
        {"value": 200, "period_end": "2020-02-01", "qualifier": "approximately"},
        {"value": 300, "period_end": "2020-01-15"},
    )
    total = rules.latest_stock(figs, "idps", D(2020, 3, 1))
    assert total is not None
    assert (total.value, total.qualifier, total.text) == (200, "approximately", "~200")
    assert (total.start, total.end) == (pd.Timestamp("2020-02-01"), pd.Timestamp("2020-02-01"))
    assert total.publisher == "OCHA"
    assert total.source_url == "https://example.org/report"


def test_a_report_on_the_end_date_counts_and_one_after_it_does_not() -> None:
    figs = make_figures(
        {"value": 100, "period_end": "2020-01-31"},
        {"value": 999, "period_end": "2020-02-01"},
    )
    assert rules.latest_stock(figs, "idps", D(2020, 1, 31)).value == 100
    assert rules.latest_stock(figs, "idps", D(2020, 2, 1)).value == 999
    assert rules.latest_stock(figs, "idps", None).value == 999


def test_the_latest_stock_ignores_what_does_not_count() -> None:
    figs = make_figures(
        {"value": 100, "period_end": "2020-01-01"},
        {"value": 901, "period_end": "2020-02-01", "role": "triangulation", "publisher": "UNHCR"},
        {"value": 902, "period_end": "2020-02-02", "sex": "f"},
        {"value": 903, "period_end": "2020-02-03", "age_group": "children"},
        {"value": 904, "period_end": "2020-02-04", "unit": "households"},
        {"value": 905, "period_end": "2020-02-05", "metric": "returnees"},
        {"value": 906, "period_end": "2020-02-06", "metric": "population"},
        {"value": 907, "period_end": "2020-04-01"},
    )
    total = rules.latest_stock(figs, "idps", D(2020, 3, 1))
    assert (total.value, total.end) == (100, pd.Timestamp("2020-01-01"))


def test_no_stock_is_none() -> None:
    assert rules.latest_stock(make_figures(), "idps", TO) is None
    only_later = make_figures({"period_end": "2020-05-01"})
    assert rules.latest_stock(only_later, "idps", TO) is None
    only_triangulation = make_figures({"role": "triangulation"})
    assert rules.latest_stock(only_triangulation, "idps", TO) is None
    assert rules.latest_stock(make_figures({}), "population", TO) is None


# --- flow_total ---------------------------------------------------------------------------


def test_two_publishers_are_never_summed_the_latest_report_wins() -> None:
    figs = make_figures(
        flow("2020-01-01", "2020-01-31", 5_000, publisher="CCCM"),
        flow("2020-02-01", "2020-02-20", 100, publisher="OCHA"),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.publisher, total.reports) == (100, "OCHA", 1)
    assert total.end == pd.Timestamp("2020-02-20")


def test_the_latest_report_wins_whichever_publisher_comes_first() -> None:
    figs = make_figures(
        flow("2020-01-01", "2020-02-25", 700, publisher="ZZ NGO"),
        flow("2020-01-01", "2020-01-31", 5_000, publisher="AA NGO"),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.publisher) == (700, "ZZ NGO")


def test_a_cumulative_run_counts_once_by_its_latest_report() -> None:
    figs = make_figures(
        flow("2019-12-01", "2020-01-01", 300_000, qualifier="approximately"),
        flow("2019-12-01", "2020-01-14", 350_000, qualifier="approximately"),
        flow("2019-12-01", "2020-01-29", 390_000, qualifier="approximately", source_url=None),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.text, total.reports) == (390_000, "~390,000", 1)
    assert (total.start, total.end) == (pd.Timestamp("2019-12-01"), pd.Timestamp("2020-01-29"))


def test_a_cumulative_run_counts_by_its_latest_report_within_the_range() -> None:
    figs = make_figures(
        flow("2019-12-01", "2020-01-01", 300_000),
        flow("2019-12-01", "2020-01-14", 350_000),
        flow("2019-12-01", "2020-01-29", 390_000),
    )
    total = rules.flow_total(figs, NEW, FROM, D(2020, 1, 20))
    assert (total.value, total.end) == (350_000, pd.Timestamp("2020-01-14"))


def test_reports_of_one_organisation_are_one_publisher() -> None:
    figs = make_figures(
        flow("2020-01-01", "2020-01-31", 100, publisher="OCHA, Situation Report 7"),
        flow("2020-02-01", "2020-02-29", 200, publisher="OCHA, Flash Update 3"),
        flow("2020-01-01", "2020-01-31", 50, publisher="UNHCR, Update"),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.reports) == (300, 2)
    assert total.publisher == "OCHA, Flash Update 3"


def test_two_months_are_summed_with_a_combined_qualifier() -> None:
    figs = make_figures(
        flow("2020-01-01", "2020-01-31", 464_830),
        flow("2020-02-01", "2020-02-29", 1000, qualifier="more_than"),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.qualifier, total.text) == (465_830, "more_than", "465,830+")
    assert total.reports == 2
    assert (total.start, total.end) == (pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-29"))


def test_a_month_inside_a_longer_cumulative_run_is_not_added_to_it() -> None:
    figs = make_figures(
        flow("2019-12-01", "2020-01-14", 350_000),
        flow("2019-12-01", "2020-02-15", 600_000),
        flow("2020-01-01", "2020-01-31", 464_830),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.reports) == (600_000, 1)


def test_flows_sharing_only_their_last_day_overlap() -> None:
    figs = make_figures(
        flow("2020-01-01", "2020-01-31", 400),
        flow("2020-01-31", "2020-02-10", 100),
    )
    assert rules.flow_total(figs, NEW, FROM, TO).value == 400


def test_flows_outside_the_range_are_left_out() -> None:
    figs = make_figures(
        flow("2019-11-01", "2019-11-30", 7_000),
        flow("2020-01-01", "2020-01-31", 100),
        flow("2020-04-01", "2020-04-30", 9_000),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.reports) == (100, 1)
    assert rules.flow_total(figs, NEW, D(2020, 2, 1), D(2020, 3, 1)) is None


def test_arrivals_by_origin_are_not_added_to_the_all_origins_figure() -> None:
    figs = make_figures(
        flow("2020-02-01", "2020-02-29", 742_109),
        flow("2020-02-01", "2020-02-29", 185_364, origin_pcode="SY070200"),
        flow("2020-02-01", "2020-02-29", 90_000, origin_pcode="SY070003"),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.reports) == (742_109, 1)


def test_arrivals_from_different_origins_add_up_when_there_is_no_total() -> None:
    figs = make_figures(
        flow("2020-02-01", "2020-02-29", 185_364, origin_pcode="SY070200"),
        flow("2020-02-01", "2020-02-29", 90_000, origin_pcode="SY070003", qualifier="more_than"),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.qualifier) == (275_364, "more_than")


def test_triangulation_never_counts_in_a_flow_total() -> None:
    figs = make_figures(
        flow("2020-01-01", "2020-01-31", 100),
        flow("2020-02-01", "2020-02-29", 5_000, role="triangulation"),
        flow("2020-02-01", "2020-02-29", 6_000, role="triangulation", publisher="UNHCR"),
    )
    total = rules.flow_total(figs, NEW, FROM, TO)
    assert (total.value, total.reports, total.publisher) == (100, 1, "OCHA")
    assert rules.flow_total(figs.iloc[1:], NEW, FROM, TO) is None


def test_stocks_are_not_flows() -> None:
    figs = make_figures({"metric": "idps", "value": 1_500_000})
    assert rules.flow_total(figs, NEW, FROM, TO) is None


# --- headline_cards -----------------------------------------------------------------------


def test_headline_cards_read_as_published() -> None:
    figs = make_figures(
        {"metric": "population", "value": 3_000_000, "qualifier": "approximately"},
        {"metric": "idps", "value": 1_500_000, "qualifier": "approximately"},
        flow("2019-12-01", "2020-01-28", 1000, qualifier="more_than"),
    )
    cards = headline.headline_cards(figs, FROM, TO)
    assert [c.key for c in cards] == ["population", "idps", "new", "share"]
    by_key = {c.key: c for c in cards}
    assert by_key["population"].text == "~3,000,000"
    assert by_key["idps"].text == "~1,500,000"
    assert by_key["idps"].detail == "as of 2020-01-28"
    assert by_key["new"].text == "1,000+"
    assert by_key["new"].detail == "2019-12-01 – 2020-01-28"
    assert by_key["share"].text == "~50%"
    assert by_key["share"].detail == "~1,500,000 of ~3,000,000"
    assert by_key["idps"].source_url == "https://example.org/report"


def test_an_exact_share_has_no_tilde() -> None:
    figs = make_figures(
        {"metric": "population", "value": 1_000_000},
        {"metric": "idps", "value": 250_000},
    )
    share = {c.key: c for c in headline.headline_cards(figs, FROM, TO)}["share"]
    assert share.text == "25%"


def test_headline_cards_without_figures_are_dashes() -> None:
    cards = headline.headline_cards(make_figures(), FROM, TO)
    assert [c.key for c in cards] == ["population", "idps", "new", "share"]
    assert [c.text for c in cards] == ["–", "–", "–", "–"]
    assert all(c.source_url is None for c in cards)


def test_the_new_card_counts_its_reports() -> None:
    figs = make_figures(
        flow("2020-01-01", "2020-01-31", 100),
        flow("2020-02-01", "2020-02-29", 200),
    )
    new = {c.key: c for c in headline.headline_cards(figs, FROM, TO)}["new"]
    assert (new.text, new.detail) == ("300", "2020-01-01 – 2020-02-29 (2 reports)")


# --- children and breakdown ---------------------------------------------------------------


def test_admin_children_by_parent() -> None:
    places, members = make_places(), make_members()
    assert list(place_tree.children(places, members, "SY07")["pcode"]) == ["SY0700", "SY0702"]
    assert list(place_tree.children(places, members, "SY")["pcode"]) == ["SY02", "SY07"]
    assert place_tree.children(places, members, "SY070200").empty


def test_the_children_of_an_area_are_its_members() -> None:
    places, members = make_places(), make_members()
    assert sorted(place_tree.children(places, members, "SY-NW")["pcode"]) == ["SY02", "SY07"]
    assert list(place_tree.children(places, members, "SY-NW-OPP")["pcode"]) == ["SY07"]


def test_a_breakdown_row_per_child_with_figures() -> None:
    kids = place_tree.children(make_places(), make_members(), "SY07")
    figs = make_figures(
        {"pcode": "SY0700", "value": 12_000},
        {"pcode": "SY0700", "metric": "population", "value": 48_000},
        {"pcode": "SY0702", **flow("2020-01-01", "2020-01-28", 1000, qualifier="more_than")},
    )
    rows = rules.breakdown(figs, kids, FROM, TO)
    assert list(rows["pcode"]) == ["SY0700", "SY0702"]
    first, second = rows.to_dict("records")
    assert (first["name"], first["name_ar"]) == ("Idleb", "إدلب")
    assert (first["idps"], first["idps_text"], first["new_text"]) == (12_000, "12,000", "–")
    assert first["share"] == pytest.approx(0.25)
    assert (second["new"], second["new_text"], second["idps_text"]) == (1000, "1,000+", "–")
    assert pd.isna(second["idps"]) and pd.isna(second["share"])


def test_no_breakdown_row_for_a_child_without_displacement_figures() -> None:
    kids = place_tree.children(make_places(), make_members(), "SY07")
    figs = make_figures(
        {"pcode": "SY0700", "metric": "population", "value": 48_000},
        {"pcode": "SY0702", "value": 5, "role": "triangulation"},
    )
    rows = rules.breakdown(figs, kids, FROM, TO)
    assert rows.empty
    assert list(rows.columns) == [
        "pcode",
        "name",
        "name_ar",
        "idps",
        "idps_text",
        "new",
        "new_text",
        "share",
    ]


def test_a_figure_for_the_area_itself_is_never_a_childs() -> None:
    kids = place_tree.children(make_places(), make_members(), "SY-NW-OPP")
    figs = make_figures(
        {"pcode": "SY-NW-OPP", "value": 1_500_000},
        {"pcode": "SY-NW-OPP", **flow("2020-01-01", "2020-01-28", 1000)},
    )
    assert rules.breakdown(figs, kids, FROM, TO).empty
    with_own = pd.concat([figs, make_figures({"pcode": "SY07", "value": 700_000})])
    rows = rules.breakdown(with_own, kids, FROM, TO)
    assert rows[["pcode", "idps", "new_text"]].to_dict("records") == [
        {"pcode": "SY07", "idps": 700_000, "new_text": "–"}
    ]


def test_a_governorate_figure_is_never_a_districts() -> None:
    kids = place_tree.children(make_places(), make_members(), "SY07")
    figs = make_figures({"pcode": "SY07", "value": 2_000_000})
    assert rules.breakdown(figs, kids, FROM, TO).empty


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(FROM, TO), (None, TO), (FROM, None), (None, None), (D(2020, 1, 10), D(2020, 1, 28))],
)
def test_a_breakdown_from_flows_made_once_is_the_breakdown_of_the_range(
    date_from: dt.date | None, date_to: dt.date | None
) -> None:
    # A place's counted flows are made into records once; each range picks its own.
    kids = place_tree.children(make_places(), make_members(), "SY07")
    figs = make_figures(
        {"pcode": "SY0700", "value": 12_000},
        {"pcode": "SY0700", **flow("2019-11-20", "2019-12-10", 400)},
        {"pcode": "SY0700", **flow("2020-01-01", "2020-01-28", 1000, qualifier="more_than")},
        {"pcode": "SY0700", **flow("2020-01-01", "2020-02-20", 1500, publisher="UNHCR, x")},
        {"pcode": "SY0702", **flow("2020-01-10", "2020-01-10", 70)},
        {"pcode": "SY0702", **flow("2020-01-10", "2020-01-12", 90, role="triangulation")},
        {"pcode": "SY0702", **flow("2020-03-01", "2020-04-15", 300, origin_pcode="SY02")},
    )
    made = rules.flow_records(figs, rules.BREAKDOWN_FLOW)
    flows = ranges.inside(figs, date_from, date_to)
    expected = rules.breakdown_of(figs, flows, kids, date_from, date_to)
    picked = rules.breakdown_of(figs, flows, kids, date_from, date_to, made)
    pd.testing.assert_frame_equal(picked, expected)
    assert not expected.empty


# --- table_rows ---------------------------------------------------------------------------


def test_table_rows_newest_first_with_values_as_published() -> None:
    figs = make_figures(
        {"value": 1000, "period_end": "2020-01-01"},
        {
            "value": 3_000_000,
            "metric": "population",
            "period_end": "2020-01-28",
            "qualifier": "approximately",
        },
        flow("2019-12-01", "2020-02-29", 1000, qualifier="more_than", origin_pcode="SY070200"),
    )
    rows = figure_table.table_rows(figs)
    assert [r["period"] for r in rows] == ["2019-12-01 – 2020-02-29", "2020-01-28", "2020-01-01"]
    assert [r["value"] for r in rows] == ["1,000+", "~3,000,000", "1,000"]
    assert rows[0]["origin"] == "Ma'arrat An Nu'man"
    assert rows[1]["origin"] == ""
    assert rows[0]["metric"] == "Newly displaced"
    assert rows[0]["place"] == "Idleb"
    assert rows[0]["publisher"] == "OCHA"
    assert rows[0]["link"] == "[example.org](https://example.org/report)"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>x</b>", "ftp://x.org/a"],
)
def test_only_http_sources_become_links(url: str) -> None:
    rows = figure_table.table_rows(make_figures({"source_url": url}))
    assert rows[0]["link"] == ""


def test_no_source_is_no_link() -> None:
    figs = make_figures({"source_url": None}, {"source_url": "http://plain.example/x"})
    links = sorted(r["link"] for r in figure_table.table_rows(figs))
    assert links == ["", "[plain.example](http://plain.example/x)"]


def test_a_place_without_a_name_shows_its_pcode() -> None:
    figs = make_figures({}).assign(place_name=None)
    assert figure_table.table_rows(figs)[0]["place"] == "SY07"


# --- freshness_banners --------------------------------------------------------------------


def test_a_source_that_only_ever_failed_gets_a_banner(store: Store) -> None:
    """As etl.store.reads.last_loads returns it: a loaded source beside a failed one."""
    for run_id, source, status in (("r1", "hxl", "loaded"), ("r2", "dtm", "failed")):
        writes.start_run(store.engine, run_id, source, None)
        writes.finish_run(
            store.engine,
            run_id,
            source,
            status=status,
            rows_fetched=0,
            rows_loaded=0,
            rejections=[],
            message="",
        )
    loads = reads.last_loads(store.engine)
    banners = notices.freshness_banners(loads, dt.datetime.now(dt.UTC), dt.timedelta(days=30))
    assert len(banners) == 1
    assert banners[0].startswith("The last refresh of dtm failed")


def _brute_force_non_overlapping(rows: list[dict]) -> list[dict]:
    """The rule said plainly: each period, longest first, unless it overlaps one taken."""
    latest: dict[object, dict] = {}
    for row in sorted(rows, key=lambda r: r["period_end"]):
        latest[row["period_start"]] = row
    taken: list[dict] = []
    for row in sorted(
        latest.values(),
        key=lambda r: (r["period_end"] - r["period_start"], r["period_end"]),
        reverse=True,
    ):
        if all(
            row["period_end"] < t["period_start"] or row["period_start"] > t["period_end"]
            for t in taken
        ):
            taken.append(row)
    return taken


@pytest.mark.parametrize("seed", range(20))
def test_non_overlapping_flows_match_the_plain_rule(seed: int) -> None:
    rng = random.Random(seed)
    day = pd.Timestamp("2020-01-01")
    rows = []
    for i in range(rng.randint(1, 60)):
        start = day + pd.Timedelta(days=rng.randint(0, 90))
        rows.append(
            {
                "id": i,
                "period_start": start,
                "period_end": start + pd.Timedelta(days=rng.randint(0, 20)),
            }
        )
    found = [r["id"] for r in rules._non_overlapping(rows)]
    assert found == [r["id"] for r in _brute_force_non_overlapping(rows)]
    assert len(found) >= 1
