"""Drilling down and back up, browser history, and publishers that disagree."""

import shutil

import pytest
from playwright.sync_api import expect

from etl.pipeline import import_hxl
from etl.reference import load_reference
from etl.store import DATA_DIR, open_store
from tests.browser.conftest import serving

pytestmark = pytest.mark.browser


def _open(page, base: str, query: str) -> None:
    page.goto(f"{base}/{query}")
    expect(page.locator("#card-population-value")).to_be_visible()


def test_drill_from_syria_to_idleb_to_a_district_and_back(watched, live_server):
    page = watched.page
    _open(page, live_server, "?place=SY")
    expect(page.locator("#place-heading")).to_contain_text("Syrian Arab Republic")
    page.locator("#filter-place").click()
    page.get_by_role("option", name="Idleb · إدلب", exact=True).click()
    expect(page.locator("#place-heading")).to_contain_text("Idleb")
    page.locator("#filter-district").click()
    page.get_by_role("option", name="Harim · حارم", exact=True).click()
    expect(page.locator("#place-heading")).to_contain_text("Harim")
    assert "district=SY0703" in page.url
    expect(page.locator("#breadcrumb")).to_contain_text("Syrian Arab Republic › Idleb › Harim")
    page.locator("#crumb-SY07").click()
    expect(page.locator("#place-heading")).to_contain_text("Idleb · إدلب")
    page.locator("#crumb-SY").click()
    expect(page.locator("#place-heading")).to_contain_text("Syrian Arab Republic")


def test_clicking_a_bar_drills_into_that_place(watched, live_server):
    page = watched.page
    _open(page, live_server, "?place=SY")
    bars = page.locator("#breakdown g.point")
    expect(bars.first).to_be_visible()
    names = page.locator("#breakdown .ytick text").all_text_contents()
    box = bars.last.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # The last bar is the largest; its place becomes the selection.
    expect(page.locator("#place-heading")).not_to_contain_text("Syrian Arab Republic")
    heading = page.locator("#place-heading").inner_text()
    assert any(heading.split(" · ")[0] in n for n in names), (heading, names)


def test_back_and_forward_restore_the_views(watched, live_server):
    page = watched.page
    _open(page, live_server, "?place=SY07")
    expect(page.locator("#place-heading")).to_contain_text("Idleb")
    page.locator("#crumb-SY").click()
    expect(page.locator("#place-heading")).to_contain_text("Syrian Arab Republic")
    page.go_back()
    expect(page.locator("#place-heading")).to_contain_text("Idleb")
    page.go_forward()
    expect(page.locator("#place-heading")).to_contain_text("Syrian Arab Republic")


def test_headline_numbers_match_the_store(watched, live_server, bundled_db):
    store = open_store(bundled_db)
    from etl.store import reads

    figs = reads.figures(store.engine, pcodes=["SY-NW-OPP"], metrics=["idps"])
    store.dispose()
    value = int(figs[figs["role"] == "recommended"].sort_values("period_end")["value"].iloc[-1])
    page = watched.page
    _open(page, live_server, "?place=SY-NW-OPP")
    expect(page.locator("#card-idps-value")).to_have_text(f"{value:,}")


@pytest.fixture(scope="module")
def disagreeing_server(tmp_path_factory: pytest.TempPathFactory):
    """The bundled data plus an NGO figure far from OCHA's for the same place, period and cause
    (figures of different causes, or of a cause and none, count different things)."""
    folder = tmp_path_factory.mktemp("disagree")
    extra = folder / "ngo.csv"
    extra.write_text(
        "Start,End,Area,New,Source,URL,Role,Cause\n"
        "#date+start,#date+end,#loc+code,#affected+idps+new,#meta+source,#meta+url,#meta+role,"
        "#meta+cause\n"
        "2019-12-01,2020-01-27,SY-NW,500000,Example NGO,https://example.org/ngo,triangulation,"
        "conflict\n",
        encoding="utf-8",
    )
    data = folder / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.db*", "etl.lock"))
    url = f"sqlite:///{folder / 'disagree.db'}"
    store = open_store(url)
    load_reference(store, data)
    assert import_hxl(store, data / "bundled" / "nw_syria_2019_2020.csv").ok
    report = import_hxl(store, extra)
    assert report.ok, report.message
    store.dispose()
    with serving(url) as base:
        yield base


def test_a_disagreement_is_flagged_with_both_figures(watched, disagreeing_server):
    page = watched.page
    _open(page, disagreeing_server, "?place=SY-NW")
    table = page.locator("#disagreements-table")
    expect(table).to_contain_text("Example NGO: 500,000 (triangulation)")
    expect(table).to_contain_text("OCHA: ~390,000")
    expect(table).to_contain_text("2019-12-01 – 2020-01-27")
