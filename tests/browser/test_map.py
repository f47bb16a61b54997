"""The map in headless Chromium: the parts of a place drawn as areas from the shipped COD-AB
boundaries, named, coloured by the measure chosen, with nothing fetched off this machine."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

IDLEB_DISTRICTS = ["Idleb", "Al Ma'ra", "Harim", "Jisr-Ash-Shugur", "Ariha"]
DISCLAIMER = "do not imply official endorsement or acceptance by the United Nations"


def _map_drawn(page, query: str, base: str) -> None:
    page.goto(f"{base}/{query}")
    expect(page.locator("#map path.js-fill").first).to_be_attached(timeout=30_000)
    page.wait_for_load_state("networkidle")


def _texts(page, selector: str) -> list[str]:
    """The text of SVG elements, as read: plotly writes each line in a tspan of its own."""
    return page.locator(selector).evaluate_all(
        """els => els.map(e => {
          const lines = [...e.querySelectorAll('tspan.line')].map(t => t.textContent);
          return lines.length ? lines.join(' ') : e.textContent;
        })"""
    )


def _keep(page, name: str) -> None:
    """A screenshot of the map alone, with its measure selector."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".map-panel").screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.mark.parametrize("width", [1440, 360])
def test_the_map_draws_idlebs_districts_as_named_areas(watched, live_server, width):
    page = watched.page
    page.set_viewport_size({"width": width, "height": 1000})
    _map_drawn(page, "?place=SY07", live_server)
    # One filled SVG path per district, each with an outline of many points, not a dot.
    fills = page.locator("#map path.js-fill")
    expect(fills).to_have_count(len(IDLEB_DISTRICTS))
    outlines = fills.evaluate_all("els => els.map(e => (e.getAttribute('d') || '').length)")
    assert min(outlines) > 200, outlines
    names = _texts(page, "#map .textpoint")
    for district in IDLEB_DISTRICTS:
        assert any(n.startswith(district) for n in names), names
    notes = _texts(page, "#map .annotation")
    assert any("OCHA, UN Cartographic Section" in n for n in notes), notes
    assert any(DISCLAIMER in " ".join(n.split()) for n in notes), notes
    # The map never makes the page scroll sideways.
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    _keep(page, f"map-idleb-{width}")
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_the_measure_chosen_recolours_the_map(watched, live_server):
    page = watched.page
    _map_drawn(page, "?place=SY", live_server)
    fills = page.locator("#map path.js-fill")
    expect(fills).to_have_count(14)  # the governorates
    title = page.locator("#map .colorbar .cbtitle")
    expect(title).to_have_text("People displaced")
    before = fills.evaluate_all("els => els.map(e => e.style.fill)")
    page.locator("#measure-new").click()
    expect(page.locator("#measure-new")).to_have_attribute("aria-pressed", "true")
    expect(title).to_have_text("Newly displaced in range")
    after = fills.evaluate_all("els => els.map(e => e.style.fill)")
    assert before != after
    _keep(page, "map-syria-newly-displaced-1440")
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_movements_are_arrows_with_both_ends_named(watched, live_server):
    page = watched.page
    _map_drawn(page, "?place=SY-NW", live_server)
    arrows = page.locator("#map .annotation-arrow-g path")
    assert arrows.count() >= 2
    widths = arrows.evaluate_all("els => els.map(e => parseFloat(e.style.strokeWidth))")
    assert len(set(widths)) > 1, widths  # as wide as their numbers
    names = " ".join(_texts(page, "#map .textpoint"))
    for end in ("Saraqab", "Ariha", "Atareb", "North-west Syria"):
        assert end in names, names
    _keep(page, "map-north-west-syria-1440")
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_a_sub_districts_map_draws_its_sites_inside_its_districts_outline(watched, live_server):
    page = watched.page
    _map_drawn(page, "?place=SY07&district=SY070301&from=2020-01-01&to=2020-04-30", live_server)
    expect(page.locator("#map path.js-fill")).to_have_count(1)  # Harim, where Dana is
    triangles = page.locator("#map .scatterlayer path.point")
    expect(triangles).to_have_count(440)
    notes = " ".join(" ".join(n.split()) for n in _texts(page, "#map .annotation"))
    assert "440 IDP sites are drawn as triangles where CCCM listed them in April 2020" in notes
    assert "CCCM Cluster (Syria cross-border), ISIMM, April 2020" in notes
    _keep(page, "map-dana-sites-1440")
    assert watched.console_errors == []
    assert watched.external_requests == []
