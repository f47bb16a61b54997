"""axe-core (vendored, MPL-2.0) finds no serious or critical accessibility violation."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("assets") / "axe.min.js"


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.fixture
def axe_page(browser):
    """A page whose context lets the test inject axe-core past the app's CSP."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.mark.parametrize("query", ["", "?place=SY07", "?place=SY-NW"])
def test_no_serious_accessibility_violations(axe_page, live_server, query):
    page = axe_page
    page.goto(f"{live_server}/{query}")
    expect(page.locator("#card-population-value")).to_be_visible()
    expect(page.locator("#timeseries .main-svg").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    serious = [v for v in _violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_every_control_is_reachable_by_keyboard(watched, live_server):
    page = watched.page
    page.goto(f"{live_server}/?place=SY07")
    expect(page.locator("#card-population-value")).to_be_visible()
    reached = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate(
                """() => {
                    const el = document.activeElement;
                    if (!el) return null;
                    const filter = el.closest('.filter');
                    const label = filter && filter.querySelector('label');
                    return el.id || (label ? label.htmlFor : null);
                }"""
            )
        )
    for control in ("filter-place", "filter-district", "filter-dates", "download-button"):
        assert control in reached, (control, sorted(r for r in reached if r))
