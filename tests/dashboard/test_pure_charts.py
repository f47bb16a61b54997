"""The time series and breakdown figures: what is drawn, how, and what an empty chart says."""

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts, place_tree, rules
from dashboard.formatting import with_organisations
from tests.dashboard.pure_factories import make_events, make_figures, make_members, make_places

NEW = "new_displacements"
EVENTS = [
    {
        "date": "2020-01-28",
        "pcode": "SY070200",
        "title": "Government forces enter Ma'arrat al-Numan",
        "source_url": "https://reliefweb.int/r",
    },
    {"date": "2020-03-05", "pcode": "SY", "title": "Ceasefire", "source_url": None},
]


def _mixed() -> pd.DataFrame:
    return make_figures(
        {"metric": "idps", "value": 1_400_000, "period_end": "2020-01-01"},
        {"metric": "idps", "value": 1_500_000, "period_end": "2020-01-28"},
        {"metric": NEW, "period_start": "2019-12-01", "period_end": "2020-01-01", "value": 300},
        {"metric": NEW, "period_start": "2019-12-01", "period_end": "2020-01-14", "value": 350},
        {"metric": NEW, "period_start": "2019-12-01", "period_end": "2020-01-29", "value": 390},
        {"metric": NEW, "period_start": "2020-02-01", "period_end": "2020-02-29", "value": 70},
        {"metric": NEW, "period_start": "2020-03-01", "period_end": "2020-03-31", "value": 80},
        {"metric": "idps", "value": 1_600_000, "role": "triangulation", "publisher": "UNHCR"},
        {"metric": "idps", "value": 777_000, "sex": "f"},
        {"metric": "idps", "value": 666_000, "age_group": "children"},
    )


def test_series_split_stocks_cumulative_runs_and_flows() -> None:
    series = {(kind, name): rows for name, kind, _publisher, rows in charts.series_of(_mixed())}
    assert sorted(kind for kind, _ in series) == ["cumulative", "flow", "stock", "stock"]
    names = {kind: name for kind, name in series if "triangulation" not in name}
    assert names["cumulative"] == "Newly displaced since 2019-12-01 (cumulative) — OCHA"
    assert names["flow"] == "Newly displaced — OCHA"
    assert names["stock"] == "People displaced (IDPs) — OCHA"
    assert sorted(series["cumulative", names["cumulative"]]["value"]) == [300, 350, 390]
    assert sorted(series["flow", names["flow"]]["value"]) == [70, 80]
    assert sorted(series["stock", names["stock"]]["value"]) == [1_400_000, 1_500_000]


def test_triangulation_is_its_own_series_and_says_so() -> None:
    series = charts.series_of(_mixed())
    triangulation = [(name, kind, rows) for name, kind, _p, rows in series if "UNHCR" in name]
    assert len(triangulation) == 1
    name, kind, rows = triangulation[0]
    assert name == "People displaced (IDPs) — UNHCR (triangulation)"
    assert kind == "stock"
    assert list(rows["value"]) == [1_600_000]


def test_disaggregated_rows_are_left_out_of_every_series() -> None:
    drawn = pd.concat([rows for _n, _k, _p, rows in charts.series_of(_mixed())])
    assert drawn["sex"].isna().all() and drawn["age_group"].isna().all()
    assert 777_000 not in set(drawn["value"]) and 666_000 not in set(drawn["value"])
    assert len(drawn) == 8


def test_no_figures_no_series() -> None:
    assert charts.series_of(make_figures()) == []
    assert charts.series_of(make_figures({"sex": "m"})) == []


def test_time_series_has_a_trace_per_series_bars_for_flows_lines_for_stocks() -> None:
    figs = _mixed()
    series = charts.series_of(figs)
    fig = charts.timeseries_figure(figs, make_events(*EVENTS), triangulation=True)
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == len(series) == 4
    # The hover's side box names the series: metric, and the publisher's role.
    kinds = {name.split(" — ")[0]: kind for name, kind, _p, _r in series}
    for trace in fig.data:
        label = trace.hovertemplate.split("<extra>")[1].removesuffix("</extra>")
        label = label.removesuffix(" (triangulation)")
        expected = "bar" if kinds[label] == "flow" else "scatter"
        assert trace.type == expected, label
    bar = next(t for t in fig.data if t.type == "bar")
    assert list(bar.y) == [70.0, 80.0]
    # Each bar spans the days it counts: 29 days of February, 31 of March.
    assert list(bar.width) == [29 * 86_400_000, 31 * 86_400_000]
    cumulative = next(t for t in fig.data if "cumulative" in t.hovertemplate)
    assert list(cumulative.y) == [300.0, 350.0, 390.0]
    assert cumulative.line.dash == "dash"


def test_one_lettered_key_and_one_line_per_event() -> None:
    fig = charts.timeseries_figure(_mixed(), make_events(*EVENTS))
    assert [a.text for a in fig.layout.annotations] == ["A", "B"]
    assert [a.hovertext for a in fig.layout.annotations] == [
        "2020-01-28: Government forces enter Ma'arrat al-Numan",
        "2020-03-05: Ceasefire",
    ]
    assert len(fig.layout.shapes) == 2
    assert [pd.Timestamp(s.x0) for s in fig.layout.shapes] == [
        pd.Timestamp("2020-01-28"),
        pd.Timestamp("2020-03-05"),
    ]


def test_no_events_no_annotations() -> None:
    fig = charts.timeseries_figure(_mixed(), make_events())
    assert len(fig.data) == 3
    assert len(fig.layout.annotations) == 0


def test_an_empty_time_series_says_why() -> None:
    fig = charts.timeseries_figure(make_figures(), make_events(*EVENTS))
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == ["No figures for this place and<br>period"]


def test_hover_text_names_place_origin_and_publisher() -> None:
    figs = make_figures(
        {
            "metric": NEW,
            "period_start": "2020-02-01",
            "period_end": "2020-02-29",
            "value": 1000,
            "qualifier": "more_than",
            "origin_pcode": "SY070200",
        }
    )
    fig = charts.timeseries_figure(figs, make_events())
    assert list(fig.data[0].hovertext) == [
        "1,000+<br>2020-02-01 – 2020-02-29<br>Idleb from Ma'arrat An Nu'man<br>OCHA"
    ]


def test_an_empty_breakdown_says_no_figures() -> None:
    kids = place_tree.children(make_places(), make_members(), "SY07")
    rows = rules.breakdown(make_figures(), kids, None, None)
    fig = charts.breakdown_figure(rows, "Idleb")
    assert len(fig.data) == 0
    text = fig.layout.annotations[0].text
    assert text.startswith("No figures")
    assert "Idleb" in text


def test_a_breakdown_draws_both_measures_per_child() -> None:
    kids = place_tree.children(make_places(), make_members(), "SY07")
    figs = make_figures(
        {"pcode": "SY0700", "value": 12_000},
        {"pcode": "SY0702", "value": 30_000},
        {"pcode": "SY0702", "metric": NEW, "period_start": "2020-01-01", "value": 1000},
    )
    fig = charts.breakdown_figure(rules.breakdown(figs, kids, None, None), "Idleb")
    assert [t.name for t in fig.data] == ["People displaced (latest)", "Newly displaced in range"]
    idps = fig.data[0]
    assert list(idps.y) == ["Idleb · إدلب", "Al Ma'ra · المعرة"]
    assert list(idps.x) == [12_000.0, 30_000.0]
    assert list(idps.customdata) == ["SY0700", "SY0702"]
    assert list(fig.data[1].text) == ["–", "1,000"]


def test_a_chart_caption_names_place_dates_and_publishers() -> None:
    publishers = ["OCHA, Flash update 8", "UNHCR, Syria fact sheet", None, "OCHA"]
    figs = pd.DataFrame({"publisher": publishers})
    start, end = dt.date(2020, 1, 1), dt.date(2020, 3, 31)
    title, sources = charts.caption_text("Idleb", start, end, figs)
    assert title == "Idleb · 2020-01-01 to 2020-03-31"
    assert sources == "Sources: OCHA, UNHCR"
    # Figures read with their organisations name them the same way.
    read = with_organisations(figs)
    assert charts.caption_text("Idleb", start, end, read) == (title, sources)
    many = pd.DataFrame({"publisher": [f"Org {i}, report" for i in range(6)]})
    assert charts.caption_text("SY", None, None, many)[1] == (
        "Sources: Org 0, Org 1, Org 2, Org 3 and 2 more"
    )
    none = pd.DataFrame({"publisher": pd.Series([], dtype=object)})
    assert charts.caption_text("SY", None, None, none)[1] == "No published figures"


def test_a_captioned_figure_carries_title_and_subtitle() -> None:
    fig = charts.with_caption(
        charts.timeseries_figure(make_figures({}), make_events()), "Idleb · x", "Sources: OCHA"
    )
    assert fig.layout.title.text == "Idleb · x"
    assert fig.layout.title.subtitle.text == "Sources: OCHA"
    blank = charts.with_caption(charts.empty_figure("No figures"), "Idleb · x", "Sources: OCHA")
    assert blank.layout.title.text is None


def test_events_too_close_to_tell_apart_share_one_label() -> None:
    events = make_events(
        {"date": "2020-01-28", "title": "Government forces enter Ma'arrat al-Numan"},
        {"date": "2020-02-27", "title": "Opposition fighters retake Saraqib"},
        {"date": "2020-03-01", "title": "Operation Spring Shield"},
        {"date": "2020-03-05", "title": "Moscow ceasefire agreement"},
    )
    labels = charts.event_labels(events, pd.Timestamp("2019-12-01"), pd.Timestamp("2020-05-31"))
    assert [label["text"] for label in labels] == [
        "Government forces enter Ma'arrat al-Numan",
        "3 events, 2020-02-27 to 2020-03-05",
    ]
    assert labels[1]["hovertext"] == (
        "2020-02-27: Opposition fighters retake Saraqib<br>"
        "2020-03-01: Operation Spring Shield<br>2020-03-05: Moscow ceasefire agreement"
    )
    # Over a single week every event has room of its own.
    first, last = pd.Timestamp("2020-02-27"), pd.Timestamp("2020-03-05")
    week = charts.event_labels(events.iloc[1:], first, last)
    assert len(week) == 3
    day = "2020-02-27"
    same_day = make_events({"date": day, "title": "A"}, {"date": day, "title": "B"})
    assert charts.event_labels(same_day, first, last)[0]["text"] == "2 events, 2020-02-27"


def test_the_time_series_draws_one_label_per_run_and_a_line_per_event() -> None:
    events = make_events({"date": "2020-01-27", "title": "A"}, {"date": "2020-01-28", "title": "B"})
    fig = charts.timeseries_figure(make_figures({"period_end": "2019-06-01"}, {}), events)
    assert [a.text for a in fig.layout.annotations] == ["A"]
    assert fig.layout.annotations[0].hovertext == "2020-01-27: A<br>2020-01-28: B"
    assert len(fig.layout.shapes) == 2


def test_several_cumulative_runs_of_a_publisher_are_one_broken_line() -> None:
    runs = make_figures(
        {"metric": NEW, "period_start": "2019-12-01", "period_end": "2020-01-01", "value": 300},
        {"metric": NEW, "period_start": "2019-12-01", "period_end": "2020-01-14", "value": 350},
        {"metric": NEW, "period_start": "2020-02-01", "period_end": "2020-02-10", "value": 40},
        {"metric": NEW, "period_start": "2020-02-01", "period_end": "2020-02-20", "value": 90},
        {
            "metric": NEW,
            "period_start": "2020-02-01",
            "period_end": "2020-02-20",
            "value": 95,
            "publisher": "UNHCR",
        },
        {
            "metric": NEW,
            "period_start": "2020-02-01",
            "period_end": "2020-02-25",
            "value": 99,
            "publisher": "UNHCR",
        },
    )
    names = sorted(name for name, _kind, _p, _rows in charts.series_of(runs))
    assert names == [
        "Newly displaced since 2020-02-01 (cumulative) — UNHCR",
        "Newly displaced, 2 cumulative runs — OCHA",
    ]
    fig = charts.timeseries_figure(runs, make_events())
    ocha = next(t for t in fig.data if t.legendgroup == "OCHA")
    # The two runs in one trace, apart: no line joins the last of one to the first of the next.
    values = [None if pd.isna(v) else v for v in ocha.y]
    assert values == [300.0, 350.0, None, 40.0, 90.0]
    assert list(ocha.hovertext)[2] == ""
    assert len(fig.data) == 2


def _three_districts() -> pd.DataFrame:
    """Three places whose order differs by each measure."""
    return pd.DataFrame(
        {
            "pcode": ["SY0700", "SY0702", "SY0703"],
            "name": ["Idleb", "Al Ma'ra", "Harim"],
            "name_ar": [None, None, None],
            "idps": [300_000, 100_000, 200_000],
            "idps_text": ["300,000", "100,000", "200,000"],
            "new": [1_000, 50_000, 20_000],
            "new_text": ["1,000", "50,000", "20,000"],
            "share": [0.10, 0.50, 0.02],
        }
    )


@pytest.mark.parametrize(
    ("by", "bottom_to_top"),
    [
        ("idps", ["Al Ma'ra", "Harim", "Idleb"]),
        ("new", ["Idleb", "Harim", "Al Ma'ra"]),
        ("share", ["Harim", "Idleb", "Al Ma'ra"]),
    ],
)
def test_the_breakdown_bars_follow_the_sort_chosen(by: str, bottom_to_top: list[str]) -> None:
    spec = charts.breakdown_spec(rules.sort_breakdown(_three_districts(), by), "Idleb")
    for trace in spec["data"]:
        assert trace["y"] == bottom_to_top
    # The largest of the measure is the top bar.
    idps, new = spec["data"]
    top = {"idps": idps["x"], "new": new["x"]}.get(by)
    if top is not None:
        assert list(top) == sorted(top)


def test_the_breakdown_says_each_share_on_hover() -> None:
    rows = _three_districts().assign(share=[0.10, None, 0.5])
    spec = charts.breakdown_spec(rows, "Idleb")
    assert spec["data"][0]["hovertext"] == [
        "share of population displaced: 10%",
        "share of population displaced: no population figure",
        "share of population displaced: 50%",
    ]
    assert "%{hovertext}" in spec["data"][0]["hovertemplate"]
