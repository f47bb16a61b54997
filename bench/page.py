"""First load in headless Chromium: bytes transferred and time to the first drawn chart."""

import statistics
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# True once a graph holds at least one trace and plotly has drawn it: ms since navigation.
FIRST_CHART = """() => {
  const drawn = [...document.querySelectorAll('.js-plotly-plot')].some(
    (g) => Array.isArray(g.data) && g.data.length > 0 && g.querySelector('.main-svg .trace'));
  return drawn ? performance.now() : false;
}"""


def _local_only(route: Route) -> None:
    if urlparse(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def first_loads(
    url: str, runs: int, *, timeout_s: float = 90, repeat_under_s: float = 30
) -> dict[str, Any]:
    """Load `url` up to `runs` times, each in a fresh browser context (cold cache).

    A load that draws no chart within `timeout_s` is recorded as such (first_chart_ms None);
    a load slower than `repeat_under_s` is not repeated, to keep the run bounded.
    """
    measured = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(runs):
                context = browser.new_context(extra_http_headers={"Accept-Encoding": "gzip"})
                try:
                    one = _one_load(context, url, timeout_s)
                finally:
                    context.close()
                measured.append(one)
                if one["first_chart_ms"] is None or one["first_chart_ms"] > repeat_under_s * 1000:
                    break
        finally:
            browser.close()
    charts = [m["first_chart_ms"] for m in measured]
    return {
        "runs": measured,
        "bytes": statistics.median(m["bytes"] for m in measured),
        "first_chart_ms": None if None in charts else statistics.median(charts),
        "timeout_s": timeout_s,
    }


def _one_load(context: Any, url: str, timeout_s: float) -> dict[str, Any]:
    page = context.new_page()
    page.route("**/*", _local_only)
    finished: list[Any] = []
    failed: list[str] = []
    page.on("requestfinished", lambda r: finished.append(r))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    first_chart: float | None = None
    try:
        handle = page.wait_for_function(FIRST_CHART, polling="raf", timeout=timeout_s * 1000)
        first_chart = float(handle.json_value())
        page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        pass  # recorded: no chart (or no quiet network) within the time allowed
    resources = []
    for request in finished:
        sizes = request.sizes()
        response = request.response()
        headers = response.headers if response else {}
        resources.append(
            {
                "url": request.url.split("?")[0].replace(url.split("?")[0].rstrip("/"), ""),
                "method": request.method,
                "status": response.status if response else None,
                "encoding": headers.get("content-encoding", ""),
                "bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
            }
        )
    page.close()
    resources.sort(key=lambda r: r["bytes"], reverse=True)
    return {
        "first_chart_ms": first_chart,
        "bytes": sum(r["bytes"] for r in resources),
        "requests": len(resources),
        "failed": failed,
        "errors": [r for r in resources if (r["status"] or 0) >= 400],
        "largest": resources[:6],
    }
