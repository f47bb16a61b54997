"""The page draws every chart with plotly.js's cartesian bundle and never fetches the full one."""

import pytest
from playwright.sync_api import expect

from dashboard import vendor

pytestmark = pytest.mark.browser


def test_the_charts_draw_with_the_cartesian_bundle_alone(watched, live_server):
    page = watched.page
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(f"{live_server}/?place=SY-NW")
    for chart in ("timeseries", "breakdown", "map"):
        expect(page.locator(f"#{chart} .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("#timeseries .trace").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    plotly = [url for url in scripts if "plotly" in url]
    assert plotly == [f"{live_server}{vendor.ROUTE}"], plotly
    assert page.evaluate("() => window.Plotly.version") == "4.1.1"
    assert watched.console_errors == []
