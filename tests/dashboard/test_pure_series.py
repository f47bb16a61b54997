"""The time series read at a glance: panels, the triangulation toggle, the legend, lone
reports, and event keys that never overlap."""

import itertools

import pandas as pd
import pytest

from dashboard import charts, layout
from dashboard.callbacks import series_view, wants_triangulation
from dashboard.data import Timeline
from dashboard.state import ViewState
from tests.dashboard.pure_factories import DATE_FROM, DATE_TO, make_events, make_figures

NEW = "new_displacements"


def _nw() -> pd.DataFrame:
    """Stocks of millions and flows of thousands from five publishers, two of them only
    for comparison."""
    return make_figures(
        {"metric": "idps", "value": 2_700_000, "period_end": "2020-01-15", "publisher": "UNHCR"},
        {"metric": "idps", "value": 2_800_000, "period_end": "2020-02-15", "publisher": "UNHCR"},
        {"metric": "population", "value": 4_000_000, "period_end": "2020-02-26"},
        {"metric": "idps", "value": 2_849_083, "period_end": "2020-02-29", "publisher": "HNAP"},
        {"metric": NEW, "period_start": "2019-12-01", "period_end": "2020-01-14", "value": 350},
        {"metric": NEW, "period_start": "2019-12-01", "period_end": "2020-01-29", "value": 390},
        {
            "metric": "returns",
            "period_start": "2020-03-06",
            "period_end": "2020-03-27",
            "value": 11_347,
            "publisher": "Arabi21",
        },
        {
            "metric": NEW,
            "period_start": "2019-12-01",
            "period_end": "2020-03-05",
            "value": 961_000,
            "qualifier": "more_than",
            "publisher": "UNICEF",
            "role": "triangulation",
        },
        {"metric": "idps", "value": 846_000, "role": "triangulation", "period_end": "2020-03-01"},
    )


def _trace_label(trace: dict) -> str:
    return trace["hovertemplate"].split("<extra>")[1].removesuffix("</extra>")


def test_stocks_and_flows_get_a_panel_each_on_one_time_axis() -> None:
    spec = charts.timeseries_spec(_nw(), make_events())
    panels = {_trace_label(t): (t["xaxis"], t["yaxis"]) for t in spec["data"]}
    assert panels["People displaced (IDPs)"] == ("x", "y")
    assert panels["Population"] == ("x", "y")
    assert panels["Returns"] == ("x2", "y2")
    assert panels["Newly displaced since 2019-12-01 (cumulative)"] == ("x2", "y2")
    lay = spec["layout"]
    # Stocks above flows, apart; the two x axes move together and only the lower one is read.
    assert lay["yaxis"]["domain"][0] > lay["yaxis2"]["domain"][1]
    assert lay["xaxis"]["matches"] == "x2" and lay["xaxis"]["showticklabels"] is False
    assert lay["yaxis2"]["anchor"] == "x2" and lay["xaxis2"]["anchor"] == "y2"


def test_one_kind_alone_fills_the_chart() -> None:
    stocks = make_figures({"value": 10, "period_end": "2020-01-01"}, {"value": 12})
    spec = charts.timeseries_spec(stocks, make_events())
    assert {(t["xaxis"], t["yaxis"]) for t in spec["data"]} == {("x", "y")}
    assert "yaxis2" not in spec["layout"] and "domain" not in spec["layout"]["yaxis"]


def test_only_recommended_figures_unless_triangulation_is_asked_for() -> None:
    default = charts.timeseries_spec(_nw(), make_events())
    assert all("triangulation" not in _trace_label(t) for t in default["data"])
    assert 846_000.0 not in {v for t in default["data"] for v in t["y"]}
    everything = charts.timeseries_spec(_nw(), make_events(), triangulation=True)
    faded = [t for t in everything["data"] if "triangulation" in _trace_label(t)]
    assert len(faded) == 2
    assert len(everything["data"]) == len(default["data"]) + 2


def test_a_place_with_only_triangulation_says_how_to_see_it() -> None:
    only = make_figures({"role": "triangulation"})
    spec = charts.timeseries_spec(only, make_events())
    assert spec["data"] == []
    message = spec["layout"]["annotations"][0]["text"].replace("<br>", " ")
    assert message == charts.ONLY_TRIANGULATION
    assert len(charts.timeseries_spec(only, make_events(), triangulation=True)["data"]) == 1


def test_the_legend_has_one_entry_per_publisher_that_shows_or_hides_all_its_series() -> None:
    spec = charts.timeseries_spec(_nw(), make_events(), triangulation=True)
    entries = [t for t in spec["data"] if t["showlegend"]]
    assert sorted(t["name"] for t in entries) == [
        "Arabi21",
        "HNAP",
        "OCHA",
        "UNHCR",
        "UNICEF (triangulation)",
    ]
    groups = {t["legendgroup"] for t in spec["data"]}
    assert len(groups) == len(entries)
    # OCHA's entry is drawn from a recommended series, not its faded triangulation one.
    ocha = next(t for t in entries if t["name"] == "OCHA")
    assert "triangulation" not in _trace_label(ocha)
    # A publisher is one colour in both panels.
    colours = {}
    for t in spec["data"]:
        colour = t.get("line", t.get("marker", {})).get("color")
        colours.setdefault(t["legendgroup"], set()).add(colour)
    assert all(len(c) == 1 for c in colours.values())


def test_a_long_publisher_name_is_short_in_the_legend() -> None:
    assert charts.short_publisher("HNAP (UN Humanitarian Needs Assessment Programme)") == "HNAP"
    assert charts.short_publisher("OCHA") == "OCHA"
    assert charts.short_publisher("(unnamed)") == "(unnamed)"
    long = charts.short_publisher("UN Spokesperson for the Secretary-General")
    assert long == "UN Spokesperson for the…"
    assert len(long) <= charts.SHORT_PUBLISHER


def test_a_single_report_is_a_marker_with_its_value_as_published() -> None:
    spec = charts.timeseries_spec(_nw(), make_events())
    hnap = next(t for t in spec["data"] if t["legendgroup"] == "HNAP")
    assert hnap["mode"] == "markers+text"
    assert list(hnap["text"]) == ["2,849,083"]
    assert hnap["marker"]["size"] >= 8
    unhcr = next(t for t in spec["data"] if t["legendgroup"] == "UNHCR")
    assert unhcr["mode"] == "lines+markers" and "text" not in unhcr
    returns = next(t for t in spec["data"] if t["legendgroup"] == "Arabi21")
    assert returns["type"] == "bar" and list(returns["text"]) == ["11,347"]
    # Returns are hatched, newly displaced bars are not: the panel holds both.
    assert returns["marker"]["pattern"]["shape"] == "/"


def test_the_top_panel_leaves_room_for_the_event_keys() -> None:
    events = make_events({"date": "2020-01-28", "title": "Ma'arrat al-Numan"})
    spec = charts.timeseries_spec(_nw(), events)
    assert spec["layout"]["yaxis"]["range"] == [0, 4_000_000 * charts.HEADROOM]
    assert "range" not in charts.timeseries_spec(_nw(), make_events())["layout"]["yaxis"]


def _many_events() -> pd.DataFrame:
    days = pd.date_range("2019-12-01", "2020-04-30", freq="3D")
    return make_events(*({"date": d, "title": f"Event {i}"} for i, d in enumerate(days)))


def test_event_keys_never_overlap_however_many_events() -> None:
    first, last = pd.Timestamp("2019-12-01"), pd.Timestamp("2020-04-30")
    labels = charts.event_labels(_many_events(), first, last)
    span = last - first
    assert len({label["key"] for label in labels}) == len(labels)
    assert all(len(str(label["key"])) <= 2 for label in labels)
    for row in range(charts.EVENT_ROWS):
        xs = [label["x"] for label in labels if label["row"] == row]
        gaps = [b - a for a, b in itertools.pairwise(xs)]
        assert all(gap >= span * charts.CLOSE_EVENTS * charts.EVENT_ROWS for gap in gaps)
    # Every event is listed under its key, none lost in a run.
    assert sum(len(label["titles"]) for label in labels) == len(_many_events())


def test_event_keys_are_letters_then_pairs_of_letters() -> None:
    assert [charts.event_key(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
    ]


def test_the_key_says_what_each_panel_and_style_means() -> None:
    key = charts.style_key(_nw())
    assert key[0] == (
        "Top, stocks (people there on a date): solid line: people displaced (IDPs); "
        "dotted line: population."
    )
    assert "hatched bars: returns" in key[1]
    assert "dashed line: newly displaced since a date (cumulative)" in key[1]
    assert not any("Faded" in line for line in key)
    assert any("Faded" in line for line in charts.style_key(_nw(), triangulation=True))


def test_the_toggle_asks_for_triangulation_on_every_other_press() -> None:
    assert [wants_triangulation(n) for n in (0, 1, 2, 3)] == [False, True, False, True]
    for forged in (None, "1", [1], True, 1.0):
        assert wants_triangulation(forged) is False


def test_the_series_view_lists_each_keyed_event_under_the_chart() -> None:
    events = make_events(
        {"date": "2020-01-28", "title": "Government forces enter Ma'arrat al-Numan"},
        {"date": "2020-03-05", "title": "Moscow ceasefire agreement"},
    )
    line = Timeline(pd.Series({"pcode": "SY-NW", "name": "North-west Syria"}), _nw(), events)
    state = ViewState("SY-NW", None, DATE_FROM, DATE_TO)
    spec, notes = series_view(line, state, triangulation=False)
    assert spec["layout"]["title"]["text"].startswith("North-west Syria")
    listed = notes[-1]
    assert [str(item.children[0].children) for item in listed.children] == ["A", "B"]
    assert "Moscow ceasefire agreement" in listed.children[1].children[2]
    empty, none = series_view(
        Timeline(line.place, _nw().iloc[0:0], events), state, triangulation=False
    )
    assert empty["data"] == [] and none == []


@pytest.mark.parametrize(
    "message",
    [
        "No figures for the areas within Idleb in this period",
        "No figures for the areas within Ma'arrat An Nu'man Sub-district in this period",
        charts.ONLY_TRIANGULATION,
    ],
)
def test_every_chart_message_wraps_to_a_phone_width(message: str) -> None:
    text = charts.empty_spec(message)["layout"]["annotations"][0]["text"]
    lines = text.split("<br>")
    assert len(lines) > 1
    assert all(len(line) <= charts.MESSAGE_WIDTH for line in lines)
    assert " ".join(lines) == message


def test_the_table_shows_place_value_date_and_source_first() -> None:
    first = [c["id"] for c in layout.TABLE_COLUMNS[:6]]
    assert first == ["place", "metric", "value", "period", "publisher", "link"]
    nowrap = [c for c in layout.TABLE_CELL_WIDTHS if c.get("whiteSpace") == "nowrap"]
    assert [c["if"]["column_id"] for c in nowrap] == ["value"]
