"""The dashboard in headless Chromium, over the bundled north-west Syria data."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _open(watched, base: str, query: str = "") -> None:
    watched.page.goto(f"{base}/{query}")
    expect(watched.page.locator("#card-population-value")).to_be_visible()


def _table_rows(page) -> list[dict[str, str]]:
    """The figures table as rendered: one dict per row, keyed by column id."""
    rows = page.locator("#figures-table tbody tr")
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td[data-dash-column]")
        if cells.count():
            out.append(
                {
                    cells.nth(j).get_attribute("data-dash-column"): cells.nth(j)
                    .inner_text()
                    .strip()
                    for j in range(cells.count())
                }
            )
    return out


def test_page_loads_without_console_errors_or_outside_requests(watched, live_server):
    _open(watched, live_server)
    expect(watched.page.locator("#timeseries .main-svg").first).to_be_visible()
    watched.page.wait_for_load_state("networkidle")
    watched.screenshot("home-1440")
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_choosing_idlib_shows_its_population_with_qualifier(watched, live_server):
    _open(watched, live_server)
    page = watched.page
    page.locator("#filter-place").click()
    page.get_by_role("option", name=re.compile(r"^Idleb ·")).click()
    expect(page.locator("#place-heading")).to_contain_text("Idleb")
    expect(page.locator("#card-population-value")).to_have_text("~3,000,000")
    expect(page.locator("#card-population")).to_contain_text("as of 2020-01-28")
    assert "place=SY07" in page.url
    watched.screenshot("idleb-1440")


def test_opposition_held_area_shows_one_and_a_half_million_displaced(watched, live_server):
    _open(watched, live_server, "?place=SY-NW-OPP")
    page = watched.page
    expect(page.locator("#place-heading")).to_contain_text("Opposition-held")
    expect(page.locator("#card-idps-value")).to_have_text("1,500,000")


def test_thousand_plus_newly_displaced_appear_for_their_places_and_date(watched, live_server):
    _open(watched, live_server, "?place=SY-NW-OPP")
    page = watched.page
    expect(page.locator("#card-new-value")).to_have_text("1,000+")
    expect(page.locator("#card-new")).to_contain_text("2020-01-28")
    expect(page.locator("#figures-table")).to_contain_text("1,000+")
    rows = [r for r in _table_rows(page) if r["value"] == "1,000+"]
    assert rows, "no table row shows 1,000+"
    assert rows[0]["period"] == "2020-01-28"
    assert "Saraqib" in rows[0]["origin"]
    assert rows[0]["pcode"] == "SY-NW-OPP"


def test_time_series_draws_flows_and_stocks(watched, live_server):
    _open(watched, live_server, "?place=SY-NW")
    page = watched.page
    expect(page.locator("#timeseries .legend")).to_be_visible()
    legend = page.locator("#timeseries .legend").text_content() or ""
    assert "OCHA" in legend
    # The key under the chart says what the styles count: the cumulative run among them.
    expect(page.locator("#timeseries-notes")).to_contain_text("cumulative")
    assert page.locator("#timeseries g.trace").count() >= 2


def test_download_gives_the_rows_of_the_table(watched, live_server):
    _open(watched, live_server, "?place=SY-NW-OPP")
    page = watched.page
    expect(page.locator("#figures-count")).not_to_have_text("")
    table = _table_rows(page)
    with page.expect_download() as info:
        page.locator("#download-button").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == len(table) > 0
    count = int(page.locator("#figures-count").inner_text().split()[0].replace(",", ""))
    assert count == len(records)
    table_values = sorted(r["value"] for r in table)
    csv_values = sorted(
        {
            "more_than": f"{int(r['value']):,}+",
            "approximately": f"~{int(r['value']):,}",
            "less_than": f"<{int(r['value']):,}",
        }.get(r["qualifier"], f"{int(r['value']):,}")
        for r in records
    )
    assert table_values == csv_values


def test_shared_link_restores_the_view(watched, live_server):
    _open(watched, live_server, "?place=SY07&from=2020-01-01&to=2020-03-31")
    page = watched.page
    expect(page.locator("#place-heading")).to_contain_text("Idleb")
    expect(page.locator("#filter-dates")).to_have_value("2020-01-01")


def test_narrow_phone_screen(watched, live_server):
    watched.page.set_viewport_size({"width": 360, "height": 800})
    _open(watched, live_server, "?place=SY07")
    expect(watched.page.locator("#card-population-value")).to_have_text("~3,000,000")
    watched.screenshot("idleb-360")


def test_the_table_pages_and_sorts_on_the_server(watched, live_server):
    _open(watched, live_server, "?place=SY-NW")
    page = watched.page
    expect(page.locator("#figures-count")).to_contain_text("figures")
    total = int(page.locator("#figures-count").inner_text().split()[0].replace(",", ""))
    assert total > 25
    first = _table_rows(page)
    assert len(first) == 25
    page.locator("#figures-table button.next-page").click()
    current = page.locator("#figures-table input.current-page")
    expect(current).to_have_attribute("placeholder", "2")
    second = _table_rows(page)
    assert second and second != first
    page.locator('#figures-table th[data-dash-column="pcode"] .column-header--sort').click()
    values = page.locator('#figures-table td[data-dash-column="pcode"]')
    expect(values).to_have_count(25)
    codes = values.all_inner_texts()
    assert codes == sorted(codes)


def test_excel_csv_and_the_note_about_the_export(watched, live_server):
    _open(watched, live_server, "?place=SY07")
    page = watched.page
    expect(page.locator("#figures-count")).to_contain_text("figures")
    with page.expect_download() as excel:
        page.locator("#download-excel").click()
    raw = Path(excel.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "إدلب" in raw.decode("utf-8-sig")
    with page.expect_download() as about:
        page.locator("#download-about").click()
    note = Path(about.value.path()).read_text(encoding="utf-8")
    assert about.value.suggested_filename == "displacement_SY07_about.txt"
    assert "Place: SY07" in note and "Sources:" in note
    assert "place=SY07" in note
    assert "T-Intelligence" in note
