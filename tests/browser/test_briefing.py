"""The briefing pack from the page: both files arrive, named after place and dates."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.briefing.extract import deck_blocks

pytestmark = pytest.mark.browser

LOAD = 30_000
# Making a pack on a busy two-core machine takes seconds: a wait, not a timing assert.
MADE = 120_000


def test_the_briefing_pack_downloads_from_the_page_in_both_formats(watched, live_server):
    page = watched.page
    page.goto(f"{live_server}/?place=SY07&from=2019-12-01&to=2020-03-05")
    expect(page.locator("#card-new-value")).to_have_text("~560,000", timeout=LOAD)
    with page.expect_download(timeout=MADE) as deck:
        page.locator("#brief-pptx-en").click()
    assert deck.value.failure() is None
    assert deck.value.suggested_filename == "briefing_SY07_2019-12-01_2020-03-05_en.pptx"
    text = "\n".join(b for s in deck_blocks(Path(deck.value.path()).read_bytes()) for b in s)
    assert "~560,000" in text and "Flash Update (2020-03-05)" in text
    expect(page.locator("#brief-message")).to_contain_text("ready")

    with page.expect_download(timeout=MADE) as pdf:
        page.get_by_role("button", name="PDF (العربية)").click()
    assert pdf.value.suggested_filename == "briefing_SY07_2019-12-01_2020-03-05_ar.pdf"
    reader = PdfReader(pdf.value.path())
    assert "إدلب" in reader.pages[0].extract_text()
    assert watched.console_errors == []
    assert watched.external_requests == []
