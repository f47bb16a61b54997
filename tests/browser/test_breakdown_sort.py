"""Each sort button of the breakdown reorders its bars, over places whose order differs by
each measure."""

import time

import pytest
from playwright.sync_api import expect

from etl.pipeline import import_hxl
from etl.reference import load_reference
from etl.store import DATA_DIR, open_store
from tests.browser.conftest import serving

pytestmark = pytest.mark.browser

# Three districts of Aleppo: the most displaced, the most newly displaced and the largest
# share of population displaced are three different places.
DISTRICTS = (
    "As of,Start,End,District,IDPs,New,Population,Source,URL,Role\n"
    "#date+reported,#date+start,#date+end,#adm2+code,#affected+idps,#affected+idps+new,"
    "#population,#meta+source,#meta+url,#meta+role\n"
    "2020-03-01,,,SY0204,300000,,,Example cluster,https://example.org/a,recommended\n"
    "2020-03-01,,,SY0203,100000,,,Example cluster,https://example.org/a,recommended\n"
    "2020-03-01,,,SY0200,200000,,,Example cluster,https://example.org/a,recommended\n"
    ",2020-02-01,2020-02-29,SY0204,,1000,,Example cluster,https://example.org/a,recommended\n"
    ",2020-02-01,2020-02-29,SY0203,,50000,,Example cluster,https://example.org/a,recommended\n"
    ",2020-02-01,2020-02-29,SY0200,,20000,,Example cluster,https://example.org/a,recommended\n"
    "2020-01-01,,,SY0204,,,3000000,Example census,https://example.org/p,recommended\n"
    "2020-01-01,,,SY0203,,,200000,Example census,https://example.org/p,recommended\n"
    "2020-01-01,,,SY0200,,,10000000,Example census,https://example.org/p,recommended\n"
)
# Top to bottom, as a reader sees the bars.
ORDERS = {
    "new": ["Afrin", "Jebel Saman", "A'zaz"],
    "share": ["Afrin", "A'zaz", "Jebel Saman"],
    "idps": ["A'zaz", "Jebel Saman", "Afrin"],
}


@pytest.fixture(scope="module")
def sorting_server(tmp_path_factory: pytest.TempPathFactory):
    """The gazetteer and the three districts' figures, served."""
    folder = tmp_path_factory.mktemp("sorting")
    extra = folder / "districts.csv"
    extra.write_text(DISTRICTS, encoding="utf-8")
    url = f"sqlite:///{folder / 'sorting.db'}"
    store = open_store(url)
    load_reference(store, DATA_DIR)
    report = import_hxl(store, extra)
    assert report.ok, report.message
    store.dispose()
    with serving(url) as base:
        yield base


def _bars_top_to_bottom(page) -> list[str]:
    """The breakdown's place labels in the order they are drawn, from the top down."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#breakdown .ytick text')]
            .map(t => [t.getBoundingClientRect().top, t.textContent.split(' · ')[0]])
            .sort((a, b) => a[0] - b[0]).map(p => p[1])"""
    )


def _wait_for_order(page, expected: list[str], timeout: float = 15.0) -> list[str]:
    deadline = time.monotonic() + timeout
    seen = _bars_top_to_bottom(page)
    while seen != expected and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        seen = _bars_top_to_bottom(page)
    return seen


def test_each_sort_button_reorders_the_bars(watched, sorting_server):
    page = watched.page
    page.goto(f"{sorting_server}/?place=SY02&from=2019-12-01&to=2020-03-31")
    expect(page.locator("#place-heading")).to_contain_text("Aleppo", timeout=20_000)
    expect(page.locator("#breakdown .ytick text")).to_have_count(3, timeout=20_000)
    assert _wait_for_order(page, ORDERS["idps"]) == ORDERS["idps"]
    # The three orders differ, so a button that sorts by anything else is caught.
    assert len({tuple(order) for order in ORDERS.values()}) == 3
    for key, expected in ORDERS.items():
        page.locator(f"#sort-{key}").click()
        expect(page.locator(f"#sort-{key}")).to_have_attribute("aria-pressed", "true")
        assert _wait_for_order(page, expected) == expected, key
    assert watched.console_errors == []
