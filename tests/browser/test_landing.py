"""The page a newcomer opens after `make run`: a number on every card, in headless Chromium.

The store is loaded by `python -m etl refresh` with the default sources (the HXL file and the
shipped ISIMM months, offline), as `make run` loads it.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serving

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
# The first view of a fresh server waits for its first reads.
LOAD = 30_000
CARDS = ["population", "idps", "new", "share"]
# A number as published ("~4,000,000", "1,000+", "~68%"), never the dash.
_NUMBER = re.compile(r"\d")


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard over a store that `python -m etl refresh` filled with the defaults."""
    folder = tmp_path_factory.mktemp("refreshed")
    url = f"sqlite:///{folder / 'refreshed.db'}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SOURCES_CONFIG", "DATA_DIR")},
        "DATABASE_URL": url,
        "ETL_LOCK_PATH": str(folder / "etl.lock"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "etl", "refresh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "cccm-isimm" in done.stdout and "hxl" in done.stdout
    with serving(url) as base:
        yield base


@pytest.mark.parametrize("width", [1440, 360])
def test_the_landing_view_has_a_number_on_every_card(watched, default_server, width):
    page = watched.page
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{default_server}/")
    expect(page.locator("#place-heading")).to_contain_text("North-west Syria", timeout=LOAD)
    for key in CARDS:
        expect(page.locator(f"#card-{key}-value")).to_have_text(_NUMBER)
    expect(page.locator("#filter-dates")).to_have_value("2019-12-01")
    page.wait_for_load_state("networkidle")
    watched.screenshot(f"landing-{width}")
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_a_place_without_its_own_figure_says_so_and_shows_a_labelled_sum(watched, default_server):
    page = watched.page
    page.goto(f"{default_server}/?place=SY")
    expect(page.locator("#place-heading")).to_contain_text("Syrian Arab Republic", timeout=LOAD)
    idps = page.locator("#card-idps")
    expect(idps.locator(".card-value")).to_have_text(_NUMBER)
    expect(idps.locator(".card-detail")).to_contain_text(
        "no country-wide figure; sum of 2 governorates, CCCM Cluster (Syria cross-border)"
    )
    expect(page.locator("#card-population .card-detail")).to_contain_text(
        "no country-wide figure; its governorates report: Idleb ~3,000,000"
    )
    watched.screenshot("syria-parts-1440")


def test_idleb_districts_show_monthly_people_in_sites(watched, default_server):
    page = watched.page
    page.goto(f"{default_server}/?place=SY07&district=SY0703&from=2017-01-01&to=2020-05-01")
    expect(page.locator("#place-heading")).to_contain_text("Harim", timeout=LOAD)
    expect(page.locator("#card-idps-value")).to_have_text("835,179")
    expect(page.locator("#card-idps .card-source")).to_contain_text("CCCM Cluster")
    expect(page.locator("#timeseries .main-svg").first).to_be_visible()
    watched.screenshot("harim-1440")
