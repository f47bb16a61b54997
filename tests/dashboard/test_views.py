"""The rules that keep every number on screen honest, as pure functions."""

import datetime as dt

import pandas as pd

from dashboard import figure_table, headline, notices, place_tree, rules
from dashboard.formatting import format_share, format_value, publisher_name
from dashboard.state import ViewState, decode_state, encode_state

D = dt.date


def test_values_read_as_published():
    assert format_value(1000, "more_than") == "1,000+"
    assert format_value(3_000_000, "approximately") == "~3,000,000"
    assert format_value(50, "less_than") == "<50"
    assert format_value(464_830, "exact") == "464,830"
    assert format_value(None, "exact") == "–"
    assert format_share(0.5, exact=False) == "~50%"
    assert publisher_name("OCHA, Flash Update (2020-03-05)") == "OCHA"


def test_qualifier_of_a_sum():
    assert rules.combine_qualifiers(["exact", "exact"]) == "exact"
    assert rules.combine_qualifiers(["exact", "more_than"]) == "more_than"
    assert rules.combine_qualifiers(["more_than", "approximately"]) == "approximately"


def test_latest_stock_ignores_triangulation_splits_households_and_later_reports(figures):
    figs = figures(
        {"value": 100, "period_start": "2020-01-01"},
        {"value": 200, "period_start": "2020-02-01"},
        {"value": 999, "period_start": "2020-02-15", "role": "triangulation"},
        {"value": 888, "period_start": "2020-02-20", "sex": "f"},
        {"value": 777, "period_start": "2020-02-21", "unit": "households"},
        {"value": 300, "period_start": "2020-04-01"},
    )
    total = rules.latest_stock(figs, "idps", D(2020, 3, 1))
    assert (total.value, total.end) == (200, pd.Timestamp("2020-02-01"))
    assert rules.latest_stock(figs, "population", D(2020, 3, 1)) is None


def _flow(start, end, value, **kw):
    return {
        "metric": "new_displacements",
        "period_start": start,
        "period_end": end,
        "value": value,
        **kw,
    }


def test_a_cumulative_run_counts_once_by_its_latest_report(figures):
    figs = figures(
        _flow("2019-12-01", "2020-01-01", 300_000, qualifier="approximately"),
        _flow("2019-12-01", "2020-01-14", 350_000, qualifier="approximately"),
        _flow("2019-12-01", "2020-01-29", 390_000, qualifier="approximately"),
    )
    total = rules.flow_total(figs, "new_displacements", D(2019, 12, 1), D(2020, 3, 1))
    assert (total.value, total.text, total.reports) == (390_000, "~390,000", 1)


def test_months_are_summed_but_not_on_top_of_an_overlapping_longer_flow(figures):
    months = figures(
        _flow("2020-01-01", "2020-01-31", 464_830),
        _flow("2020-02-01", "2020-02-29", 752_131, qualifier="approximately"),
    )
    total = rules.flow_total(months, "new_displacements", D(2020, 1, 1), D(2020, 3, 1))
    assert (total.value, total.qualifier) == (464_830 + 752_131, "approximately")
    with_long = figures(
        _flow("2020-01-01", "2020-02-29", 1_000_000),
        _flow("2020-01-01", "2020-01-31", 464_830),
    )
    assert rules.flow_total(with_long, "new_displacements", None, None).value == 1_000_000


def test_two_publishers_are_never_summed(figures):
    figs = figures(
        _flow("2020-01-01", "2020-01-31", 100, publisher="OCHA, a"),
        _flow("2020-02-01", "2020-02-29", 200, publisher="UNHCR, b"),
    )
    total = rules.flow_total(figs, "new_displacements", None, None)
    assert total.value == 200 and total.publisher == "UNHCR, b"


def test_arrivals_by_origin_are_not_added_to_the_all_origins_figure(figures):
    figs = figures(
        _flow("2020-02-01", "2020-02-29", 742_109),
        _flow("2020-02-01", "2020-02-29", 185_364, origin_pcode="SY070003"),
    )
    assert rules.flow_total(figs, "new_displacements", None, None).value == 742_109


def test_headline_cards_with_qualifiers_and_share(figures):
    figs = figures(
        {"metric": "population", "value": 3_000_000, "qualifier": "approximately"},
        {"metric": "idps", "value": 1_500_000, "qualifier": "exact"},
    )
    cards = {c.key: c for c in headline.headline_cards(figs, None, None)}
    assert cards["population"].text == "~3,000,000"
    assert cards["idps"].text == "1,500,000"
    assert cards["share"].text == "~50%"
    assert cards["new"].text == "–"


def test_a_change_since_the_previous_report_of_the_same_publisher(figures):
    figs = figures(
        {"value": 100, "period_start": "2020-01-31"}, {"value": 116, "period_start": "2020-02-29"}
    )
    card = {c.key: c for c in headline.headline_cards(figs, None, None)}["idps"]
    assert card.detail == "as of 2020-02-29 · +16% since 2020-01-31"


def test_disagreements_show_both_publishers_side_by_side(figures):
    figs = figures(
        _flow("2019-12-01", "2020-01-27", 390_000, qualifier="approximately"),
        _flow("2019-12-01", "2020-01-27", 500_000, publisher="Example NGO", role="triangulation"),
        _flow("2020-02-01", "2020-02-29", 742_109, publisher="HNAP, m"),
        _flow("2020-02-01", "2020-02-29", 752_131, publisher="OCHA, x", role="triangulation"),
    )
    found = rules.disagreements(figs, threshold=0.10)
    assert len(found) == 1
    assert found.iloc[0]["values"] == "Example NGO: 500,000 (triangulation); OCHA: ~390,000"


def test_quality_flags_say_what_cannot_all_be_right(figures):
    figs = figures(
        {"metric": "population", "value": 1_000},
        {"metric": "idps", "value": 2_000},
        {"pcode": "SY0703", "admin_level": 2, "value": 5_000},
    )
    own = figs[figs["pcode"] == "SY07"]
    kids = pd.DataFrame({"pcode": ["SY0703"], "name": ["Harim"], "name_ar": [None]})
    flags = notices.quality_flags(own, figs, kids, "Idleb", None)
    assert any("exceed its population" in f for f in flags)
    assert any(f.startswith("Harim reports more people displaced") for f in flags)


def test_children_of_an_admin_unit_and_of_an_area():
    places = pd.DataFrame(
        {
            "pcode": ["SY", "SY07", "SY0703", "SY-NW"],
            "kind": ["admin", "admin", "admin", "area"],
            "name": ["Syria", "Idleb", "Harim", "North-west"],
            "parent_pcode": [None, "SY", "SY07", None],
        }
    )
    members = pd.DataFrame({"area_pcode": ["SY-NW"], "member_pcode": ["SY0703"]})
    assert list(place_tree.children(places, members, "SY07")["pcode"]) == ["SY0703"]
    assert list(place_tree.children(places, members, "SY-NW")["pcode"]) == ["SY0703"]
    assert place_tree.breadcrumb(places, "SY0703") == [
        ("SY", "Syria"),
        ("SY07", "Idleb"),
        ("SY0703", "Harim"),
    ]


def test_table_links_only_http_and_pages_on_the_server(figures):
    figs = figures(*[{"period_start": f"2020-01-{d:02d}"} for d in range(1, 31)])
    figs.loc[0, "source_url"] = "javascript:alert(1)"
    rows, pages, _ = figure_table.table_page(figs, 1, 25, None)
    assert pages == 2 and len(rows) == 5
    assert rows[0]["period"] == "2020-01-05"
    assert all(not r["link"] or r["link"].endswith("(https://example.org/r)") for r in rows)
    first, _, _ = figure_table.table_page(
        figs, 0, 25, [{"column_id": "period", "direction": "asc"}]
    )
    assert first[0]["period"] == "2020-01-01" and first[0]["link"] == ""


def test_url_state_round_trips_and_refuses_what_it_does_not_know():
    default = ViewState("SY", None, D(2019, 12, 1), D(2020, 5, 1))
    known = {"SY", "SY07", "SY0703"}
    state = ViewState("SY07", "SY0703", D(2020, 1, 1), D(2020, 3, 31))
    assert decode_state(encode_state(state), known, default) == state
    assert decode_state("?place=SY07' OR 1=1 --", known, default).place == "SY"
    assert decode_state("?place=SY07&from=2020-13-45", known, default).date_from == D(2019, 12, 1)
    assert decode_state("?place=" + "SY" * 3000, known, default) == default
    swapped = decode_state("?from=2020-03-01&to=2020-01-01", known, default)
    assert (swapped.date_from, swapped.date_to) == (D(2020, 1, 1), D(2020, 3, 1))


def test_a_url_cannot_inject_a_second_markdown_link(figures):
    figs = figures({"source_url": "https://x.org/a)[click here](https://evil.example"})
    [row] = figure_table.table_rows(figs)
    assert row["link"] == "[x.org](https://x.org/a%29[click%20here]%28https://evil.example)"


def test_a_start_after_the_default_end_is_swapped():
    default = ViewState("SY", None, D(2019, 12, 1), D(2020, 5, 1))
    state = decode_state("?from=2021-01-01", {"SY"}, default)
    assert (state.date_from, state.date_to) == (D(2020, 5, 1), D(2021, 1, 1))
