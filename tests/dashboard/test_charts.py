"""Figure builders: what is drawn, and how it says there is nothing to draw."""

import json

import pandas as pd

from dashboard import charts


def _events():
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-28", "2020-03-05"]),
            "pcode": ["SY070200", "SY"],
            "title": ["Ma'arrat al-Numan", "Ceasefire"],
            "source_url": ["https://a.org", "https://b.org"],
        }
    )


def test_series_split_stocks_cumulative_runs_and_flows(figures):
    figs = figures(
        {"value": 10},
        {"metric": "new_displacements", "period_start": "2019-12-01", "period_end": "2020-01-01"},
        {"metric": "new_displacements", "period_start": "2019-12-01", "period_end": "2020-01-29"},
        {"metric": "new_displacements", "period_start": "2020-02-01", "period_end": "2020-02-29"},
        {"value": 11, "role": "triangulation", "publisher": "UNICEF, x"},
        {"value": 12, "sex": "f"},
    )
    kinds = sorted((kind, name) for name, kind, _org, _rows in charts.series_of(figs))
    assert [k for k, _ in kinds] == ["cumulative", "flow", "stock", "stock"]
    assert any("since 2019-12-01 (cumulative)" in n for _, n in kinds)
    assert any(n.endswith("(triangulation)") for _, n in kinds)


def test_time_series_bars_for_flows_lines_for_stocks_and_events(figures):
    figs = figures(
        {"value": 10},
        {"metric": "new_displacements", "period_start": "2020-02-01", "period_end": "2020-02-29"},
    )
    fig = charts.timeseries_figure(figs, _events())
    assert sorted(t.type for t in fig.data) == ["bar", "scatter"]
    assert [a.text for a in fig.layout.annotations] == ["Ma'arrat al-Numan", "Ceasefire"]
    bar = next(t for t in fig.data if t.type == "bar")
    assert bar.width[0] == 29 * 24 * 3600 * 1000  # the bar spans the period it counts


def test_nothing_to_draw_says_so(figures):
    empty = figures().iloc[0:0]
    fig = charts.timeseries_figure(empty, _events())
    assert fig.layout.annotations[0].text == "No figures for this place and period"
    assert "No figures" in json.dumps(
        charts.breakdown_figure(pd.DataFrame(columns=["idps"]), "Idleb").to_dict()
    )
