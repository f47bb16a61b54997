"""Hostile names, titles and links loaded from files render as text, never as code."""

import shutil

import pytest
from playwright.sync_api import expect

from etl.pipeline import import_hxl
from etl.reference import load_reference
from etl.store import DATA_DIR, open_store
from tests.browser.conftest import serving

pytestmark = pytest.mark.browser

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 1">'
QIMG = IMG.replace('"', '""')  # as CSV writes it inside a quoted cell


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory):
    """The dashboard over a store whose names, titles and publishers carry markup."""
    folder = tmp_path_factory.mktemp("hostile")
    data = folder / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.db*", "etl.lock"))
    places = (data / "places.csv").read_text(encoding="utf-8")
    places = places.replace(",Idleb,إدلب,1,", f',"Idleb {SCRIPT}","{QIMG}",1,', 1)
    (data / "places.csv").write_text(places, encoding="utf-8")
    events = (data / "events.csv").read_text(encoding="utf-8").splitlines()
    events.append(f'2020-01-20,SY07,"{QIMG} &amp; <b>bold</b>",https://example.org/e')
    (data / "events.csv").write_text("\n".join(events) + "\n", encoding="utf-8")
    hxl = folder / "hostile.csv"
    hxl.write_text(
        "As of,Governorate,Population,Source,URL\n"
        "#date,#adm1+code,#population,#meta+source,#meta+url\n"
        f'2020-01-29,SY07,"~3,100,000","{QIMG}, a title",https://example.org/p?a=<b>\n',
        encoding="utf-8",
    )
    url = f"sqlite:///{folder / 'hostile.db'}"
    store = open_store(url)
    load_reference(store, data)
    assert import_hxl(store, data / "bundled" / "nw_syria_2019_2020.csv").ok
    report = import_hxl(store, hxl)
    assert report.ok, report.message
    store.dispose()
    with serving(url) as base:
        yield base


def test_markup_in_names_titles_and_publishers_renders_as_text(watched, hostile_server):
    page = watched.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{hostile_server}/?place=SY07")
    expect(page.locator("#place-heading")).to_contain_text(SCRIPT)
    expect(page.locator("#card-population")).to_contain_text("<img src=x")
    expect(page.locator("#figures-table")).to_contain_text("~3,100,000")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("#place-heading script").count() == 0
    assert watched.external_requests == []


def test_source_links_are_only_http(watched, hostile_server):
    page = watched.page
    page.goto(f"{hostile_server}/?place=SY07")
    expect(page.locator("#figures-table")).to_contain_text("~3,100,000")
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs, "no links on the page"
    assert all(h.startswith(("http://", "https://", "/", "#")) for h in hrefs), hrefs
