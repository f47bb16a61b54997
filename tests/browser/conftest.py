"""A live dashboard over the bundled data, and headless Chromium to drive it."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from etl.pipeline import import_hxl
from etl.reference import load_reference
from etl.store import DATA_DIR, open_store

# A loaded 2-core machine takes seconds to draw a view: assertions wait as long as page
# actions do (20 s) before they fail, in place of Playwright's 5 s.
expect.set_options(timeout=20_000)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store loaded with the bundled reference data and default input."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'bundled.db'}"
    store = open_store(url)
    load_reference(store, DATA_DIR)
    report = import_hxl(store, DATA_DIR / "bundled" / "nw_syria_2019_2020.csv")
    assert report.ok, report.message
    store.dispose()
    return url


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """`python -m dashboard` serving a store on a free loopback port; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    # The server logs every request to stderr. A pipe nobody reads fills after a few hundred
    # requests and then the server blocks on its next log line, so the log goes to a file.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        try:
            while True:
                try:
                    if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    time.sleep(0.2)
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"dashboard exited: {log.read().decode()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError("dashboard did not answer /healthz within 60 s")
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(bundled_db: str) -> Iterator[str]:
    """The dashboard over the bundled data."""
    with serving(bundled_db) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium; a missing browser fails the suite, it never skips."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page with the console errors and off-machine requests it produced."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self.external_requests: list[str] = []
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("request", self._request)

    def _request(self, request) -> None:  # type: ignore[no-untyped-def]
        url = request.url
        if not url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            self.external_requests.append(url)

    def screenshot(self, name: str) -> Path:
        """Keep a screenshot under test-artifacts/screenshots/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A fresh page in a fresh context, 1440 px wide, accepting downloads."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield Watched(page)
    context.close()
