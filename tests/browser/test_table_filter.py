"""The figures table's filter row, in headless Chromium: filtered on the server, every page."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _filter(page, column: str, text: str) -> None:
    cells = f'#figures-table th.dash-filter[data-dash-column="{column}"]'
    cell = page.locator(f"{cells} input[type=text]")
    cell.fill(text)
    cell.press("Enter")


def test_typing_in_the_filter_row_filters_every_figure_of_the_view(watched, live_server):
    page = watched.page
    page.goto(f"{live_server}/?place=SY-NW")
    expect(page.locator("#figures-count")).to_contain_text("figures")
    total = int(page.locator("#figures-count").inner_text().split()[0].replace(",", ""))

    _filter(page, "place", "ZAZ")  # case-insensitive by default: A'zaz
    message = page.locator("#table-message")
    expect(message).to_contain_text("match the filter")
    matched = int(message.inner_text().split()[0].replace(",", ""))
    assert 0 < matched < total
    places = page.locator('#figures-table td[data-dash-column="place"]')
    expect(places).to_have_count(matched)
    assert set(places.all_inner_texts()) == {"A'zaz"}

    _filter(page, "place", "")
    expect(message).to_have_text("")
    expect(places).to_have_count(25)
    _filter(page, "value", "> 1000000")
    expect(message).to_contain_text("match the filter")
    values = page.locator('#figures-table td[data-dash-column="value"]').all_inner_texts()
    assert values and all(
        int("".join(ch for ch in v if ch.isdigit())) > 1_000_000 for v in values
    ), values


def test_a_filter_the_table_cannot_read_says_so_and_shows_the_figures(watched, live_server):
    page = watched.page
    page.goto(f"{live_server}/?place=SY07")
    expect(page.locator("#figures-count")).to_contain_text("figures")
    _filter(page, "value", "> lots")
    expect(page.locator("#table-message")).to_contain_text("Filter not applied")
    expect(page.locator('#figures-table td[data-dash-column="value"]').first).to_be_visible()


def test_the_csv_export_holds_what_the_filtered_table_shows(watched, live_server):
    page = watched.page
    page.goto(f"{live_server}/?place=SY-NW")
    expect(page.locator("#figures-count")).to_contain_text("figures")
    _filter(page, "place", "ZAZ")
    message = page.locator("#table-message")
    expect(message).to_contain_text("match the filter")
    matched = int(message.inner_text().split()[0].replace(",", ""))
    with page.expect_download() as info:
        page.locator("#download-button").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == matched
    assert {r["place_name"] for r in records} == {"A'zaz"}
    with page.expect_download() as about:
        page.locator("#download-about").click()
    note = Path(about.value.path()).read_text(encoding="utf-8")
    applied = [line for line in note.splitlines() if line.startswith("Table filter: ")]
    assert len(applied) == 1 and "place" in applied[0] and "ZAZ" in applied[0]
    assert f"Figures: {matched:,}" in note
