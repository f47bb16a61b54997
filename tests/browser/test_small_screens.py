"""The page on a phone (360 px) and a desktop (1440 px): nothing scrolls sideways but the
figures table in its own box, messages wrap, the time series stays legible."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VIEWS = {
    "landing": "",
    "idleb-SY07": "?place=SY07",
    "district-SY0703": "?place=SY07&district=SY0703",
}

# Elements seen past the window's right edge: reaching past it and not clipped by a box of
# their own (the table's scroll box, a chart's drawing, a menu's value cut with an ellipsis)
# that itself ends inside the window.
OVERFLOWING = """() => {
    const width = window.innerWidth + 1;
    const clipped = e => {
        for (let p = e.parentElement; p; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible'
                && p.getBoundingClientRect().right <= width) return true;
        }
        return false;
    };
    return [...document.querySelectorAll('.page *')]
        .filter(e => e.getBoundingClientRect().right > width && !clipped(e))
        .map(e => (e.id ? '#' + e.id : e.tagName.toLowerCase()) + '.' + e.className);
}"""


def _drawn(watched, base: str, query: str, width: int) -> None:
    page = watched.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/{query}")
    expect(page.locator("#card-population-value")).to_be_visible(timeout=20_000)
    expect(page.locator("#timeseries .main-svg").first).to_be_visible(timeout=20_000)
    expect(page.locator("#breakdown .main-svg").first).to_be_visible(timeout=20_000)
    page.wait_for_load_state("networkidle")


def _legend_entries(page) -> int:
    return page.locator("#timeseries .legend .traces").count()


@pytest.mark.parametrize("width", [1440, 360])
@pytest.mark.parametrize("name", list(VIEWS))
def test_the_page_never_scrolls_sideways(watched, live_server, name: str, width: int):
    _drawn(watched, live_server, VIEWS[name], width)
    page = watched.page
    watched.screenshot(f"{name}-{width}")
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (name, width, scroll, inner)
    assert page.evaluate(OVERFLOWING) == []
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_the_north_west_series_has_at_most_eight_legend_entries(watched, live_server):
    _drawn(watched, live_server, "?place=SY-NW", 360)
    page = watched.page
    expect(page.locator("#timeseries .legend .traces").first).to_be_visible()
    entries = _legend_entries(page)
    assert 2 <= entries <= 8
    # Stocks and flows are drawn in panels of their own.
    assert page.locator("#timeseries .subplot.xy").count() == 1
    assert page.locator("#timeseries .subplot.x2y2").count() == 1
    # The legend sits under the chart, not beside it.
    legend = page.locator("#timeseries .legend").bounding_box()
    plot = page.locator("#timeseries .subplot.x2y2 .gridlayer").bounding_box()
    assert legend and plot and legend["y"] > plot["y"] + plot["height"]
    traces = page.locator("#timeseries g.trace").count()
    toggle = page.locator("#series-triangulation")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true", timeout=20_000)
    expect(page.locator("#timeseries g.trace")).not_to_have_count(traces, timeout=20_000)
    assert page.locator("#timeseries g.trace").count() > traces
    watched.screenshot("north-west-syria-triangulation-360")
    assert watched.console_errors == []


def test_event_keys_never_overlap_on_a_phone(watched, live_server):
    _drawn(watched, live_server, "?place=SY07", 360)
    page = watched.page
    keys = page.locator("#timeseries .annotation")
    expect(keys.first).to_be_visible()
    boxes = [keys.nth(i).bounding_box() for i in range(keys.count())]
    assert len(boxes) >= 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a and b
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (a, b)
    # Each key is explained under the chart.
    listed = page.locator("#timeseries-notes .event-list li")
    assert listed.count() == keys.count()


def test_a_message_on_a_chart_wraps_inside_it(watched, live_server):
    _drawn(watched, live_server, "?place=SY07", 360)
    page = watched.page
    message = page.locator("#breakdown .annotation-text")
    expect(message).to_contain_text("No figures for the areas within")
    chart = page.locator("#breakdown .main-svg").first.bounding_box()
    box = message.bounding_box()
    assert chart and box
    assert box["x"] >= chart["x"] and box["x"] + box["width"] <= chart["x"] + chart["width"]


def test_the_table_puts_what_matters_first_and_scrolls_in_its_own_box(watched, live_server):
    _drawn(watched, live_server, "?place=SY-NW", 360)
    page = watched.page
    expect(page.locator("#figures-table td[data-dash-column='value']").first).to_be_visible()
    headers = page.locator("#figures-table th.dash-header").all_inner_texts()
    assert [h.strip() for h in headers[:4]] == ["Place", "Metric", "Value", "Period / as of"]
    box = page.evaluate(
        """() => { const e = document.querySelector('#figures-table .dash-spreadsheet-container')
            || document.querySelector('.dash-spreadsheet-container');
            return [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX]; }"""
    )
    scroll, client, _overflow = box
    assert scroll > client  # the table is wider than the phone: it scrolls itself
    # A value as published is never cut or broken over lines: one line box, all of it shown.
    broken = page.evaluate(
        """() => [...document.querySelectorAll("#figures-table td[data-dash-column='value']")]
            .filter(td => {
                const range = document.createRange();
                range.selectNodeContents(td);
                const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                return lines.size !== 1 || td.scrollWidth > td.clientWidth;
            }).map(td => td.innerText)"""
    )
    assert broken == []
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
