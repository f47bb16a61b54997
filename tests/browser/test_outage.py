"""The database goes away while the page is open: a clear message, then recovery by itself."""

import shutil

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import serving

pytestmark = pytest.mark.browser


def test_the_page_says_data_is_unavailable_and_recovers(watched, bundled_db, tmp_path):
    db = tmp_path / "outage.db"
    shutil.copy(bundled_db.removeprefix("sqlite:///"), db)
    moved = tmp_path / "elsewhere.db"
    with serving(f"sqlite:///{db}") as base:
        page = watched.page
        page.goto(f"{base}/?place=SY-NW-OPP")
        expect(page.locator("#card-idps-value")).to_have_text("1,500,000")
        db.rename(moved)
        page.locator("#crumb-SY").click()
        expect(page.locator("#banners")).to_contain_text("Data temporarily unavailable")
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 503
        # The store comes back: the page recovers on its own, no reload.
        for leftover in tmp_path.glob("outage.db*"):
            leftover.unlink()
        moved.rename(db)
        expect(page.locator("#banners")).not_to_contain_text("unavailable", timeout=25_000)
        expect(page.locator("#place-heading")).to_contain_text("Syrian Arab Republic")
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        assert not any("Traceback" in e for e in watched.console_errors)
