"""Exports for briefings: each chart as a PNG from its toolbar, and the view on one A4 page."""

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser import png

pytestmark = pytest.mark.browser

# (element id, file name stem after "displacement-")
CHARTS = [("timeseries", "time-series"), ("breakdown", "breakdown"), ("map", "map")]
# North-west Syria draws all three charts with data.
CHART_VIEW = "?place=SY-NW"
# Idleb in early 2020: the view a coordinator would print for a briefing.
PRINT_VIEW = "?place=SY07&from=2020-01-01&to=2020-03-31"

# A4 at 96 CSS px per inch, less 12 mm margins on every side (style.css sets the same `@page`).
MM = 96 / 25.4
PRINTABLE_WIDTH = (210 - 2 * 12) * MM  # ~703 px
PRINTABLE_HEIGHT = (297 - 2 * 12) * MM  # ~1032 px

# The colours a chart's traces are drawn in, composited over the white paper the way the
# browser does it (element, fill or stroke, and every enclosing group's opacity).
TRACE_COLOURS = """(id) => {
  const out = [];
  for (const el of document.querySelectorAll(`#${id} g.trace path, #${id} g.trace rect`)) {
    const style = getComputedStyle(el);
    const filled = style.fill !== 'none';
    const colour = filled ? style.fill : style.stroke;
    const extent = el.getBBox();
    if (!colour || colour === 'none' || (extent.width === 0 && extent.height === 0)) continue;
    if (!colour.startsWith('rgb')) continue;  // a pattern (the map's hatching) is no one colour
    const rgba = colour.match(/[\\d.]+/g).map(Number);
    let alpha = parseFloat(style.opacity)
      * parseFloat(filled ? style.fillOpacity : style.strokeOpacity)
      * (rgba.length > 3 ? rgba[3] : 1);
    for (let p = el.parentElement; p && !p.classList.contains('main-svg'); p = p.parentElement) {
      alpha *= parseFloat(getComputedStyle(p).opacity);
    }
    out.push(rgba.slice(0, 3).map(c => Math.round(c * alpha + 255 * (1 - alpha))));
  }
  return out;
}"""

DRAWN_SIZE = """(id) => {
  const gd = document.querySelector(`#${id}.js-plotly-plot, #${id} .js-plotly-plot`);
  return [gd._fullLayout.width, gd._fullLayout.height];
}"""


# A first render can take seconds on a busy two-core machine; waits, not timing asserts.
LOAD = 30_000


def _open(watched, base: str, query: str) -> None:
    watched.page.goto(f"{base}/{query}")
    expect(watched.page.locator("#card-population-value")).to_be_visible(timeout=LOAD)


def _wait_for_charts(page) -> None:
    """Every chart drawn from the server's figure (an empty chart has no trace)."""
    for chart, _ in CHARTS:
        expect(page.locator(f"#{chart} .main-svg").first).to_be_visible(timeout=LOAD)
    page.wait_for_load_state("networkidle")


def _check_png(data: bytes, drawn: tuple[float, float], colours: list[list[int]]) -> None:
    assert data[:8] == png.SIGNATURE, data[:8]
    width, height = png.size(data)
    # scale 2: twice the size the chart is drawn at on screen
    assert abs(width - 2 * drawn[0]) <= 2 and abs(height - 2 * drawn[1]) <= 2, (
        (width, height),
        drawn,
    )
    image = png.decode(data).rgb()
    assert image.shape == (height, width, 3)
    packed = (image[..., 0].astype(np.uint32) << 16) | (image[..., 1].astype(np.uint32) << 8)
    packed |= image[..., 2]
    values, counts = np.unique(packed, return_counts=True)
    assert len(values) > 1, "the PNG is one flat colour"
    assert counts.max() / packed.size < 0.995, "the PNG is nearly all background"
    # The data is in the picture: the colours the traces are drawn in on screen.
    wanted = {tuple(c) for c in colours}
    assert wanted, "the chart on screen draws no trace"
    found = {
        c: int(np.all(np.abs(image.astype(np.int16) - np.array(c)) <= 2, axis=2).sum())
        for c in wanted
    }
    present = [c for c, n in found.items() if n >= 20]
    assert len(present) >= min(2, len(wanted)), found
    assert max(found.values()) >= 100, found


@pytest.mark.parametrize(("chart", "name"), CHARTS)
def test_each_chart_downloads_as_a_png_from_its_toolbar(watched, live_server, chart, name):
    _open(watched, live_server, CHART_VIEW)
    page = watched.page
    _wait_for_charts(page)
    graph = page.locator(f"#{chart}")
    expect(graph.locator("g.trace").first).to_be_attached(timeout=LOAD)
    toolbar = graph.locator(".modebar-group").first
    page.mouse.move(0, 0)
    expect(toolbar).to_have_css("opacity", "0")  # out of the way until wanted
    graph.hover()
    expect(toolbar).to_have_css("opacity", "1")
    # Nothing in the toolbar sends the chart off the machine (plotly's "Share chart").
    expect(graph.locator(".modebar-btn")).not_to_have_count(0)
    expect(graph.get_by_role("button", name=re.compile("share", re.I))).to_have_count(0)
    drawn = page.evaluate(DRAWN_SIZE, chart)
    box = graph.locator(".main-svg").first.bounding_box()
    assert box and abs(box["width"] - drawn[0]) <= 1 and abs(box["height"] - drawn[1]) <= 1
    colours = page.evaluate(TRACE_COLOURS, chart)
    with page.expect_download() as info:
        graph.get_by_role("button", name="Download plot as a PNG").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"displacement-{name}.png"
    _check_png(Path(download.path()).read_bytes(), drawn, colours)
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_the_png_download_is_reachable_by_keyboard(watched, live_server):
    _open(watched, live_server, CHART_VIEW)
    page = watched.page
    _wait_for_charts(page)
    toolbar = page.locator("#timeseries .modebar-group").first
    expect(toolbar).to_have_css("opacity", "0")
    page.locator("#crumb-SY").focus()
    for _ in range(15):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.getAttribute('aria-label'),"
            " !!document.activeElement.closest('#timeseries')]"
        )
        if focused == ["Download plot as a PNG", True]:
            break
    else:
        pytest.fail("Tab never reached the time series' PNG button")
    expect(toolbar).to_have_css("opacity", "1")  # a keyboard user sees what has focus
    drawn = page.evaluate(DRAWN_SIZE, "timeseries")
    colours = page.evaluate(TRACE_COLOURS, "timeseries")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == "displacement-time-series.png"
    _check_png(Path(info.value.path()).read_bytes(), drawn, colours)
    assert watched.external_requests == []


def _pdf_pages(pdf: bytes) -> tuple[int, int]:
    """Page objects (`/Type /Page`, not `/Pages`) and the page tree's `/Count`."""
    assert pdf.startswith(b"%PDF-"), pdf[:8]
    objects = len(re.findall(rb"/Type\s*/Page\b", pdf))
    counts = [int(n) for n in re.findall(rb"/Count\s+(\d+)", pdf)]
    return objects, max(counts, default=0)


GEOMETRY = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return {
    top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right,
    width: r.width, height: r.height, shown: r.width > 0 && r.height > 0
      && getComputedStyle(el).visibility !== 'hidden' }; };
  const page = document.querySelector('.page');
  const out = {page: box(page), scrollWidth: document.documentElement.scrollWidth};
  for (const id of ['cards', 'timeseries', 'breakdown', 'map', 'figures-table', 'freshness']) {
    out[id] = box(document.getElementById(id));
  }
  out.cards_each = Array.from(document.querySelectorAll('.card')).map(box);
  out.charts = Array.from(document.querySelectorAll('.js-plotly-plot .main-svg:first-of-type'))
    .map(box);
  // Text drawn on a chart (event labels, "no figures" notes) stays inside the chart.
  out.clipped = [];
  for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg:first-of-type')) {
    const frame = svg.getBoundingClientRect();
    for (const text of svg.parentElement.querySelectorAll('.annotation-text')) {
      const r = text.getBoundingClientRect();
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1
          || r.bottom > frame.bottom + 1) out.clipped.push(text.textContent);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1440, 360])
def test_the_view_prints_on_one_a4_page_with_its_numbers_and_sources(watched, live_server, width):
    page = watched.page
    page.set_viewport_size({"width": width, "height": 1000})
    _open(watched, live_server, PRINT_VIEW)
    expect(page.locator("#place-heading")).to_contain_text("Idleb", timeout=LOAD)
    expect(page.locator("#figures-count")).to_contain_text("figures", timeout=LOAD)
    _wait_for_charts(page)
    screen = page.evaluate(DRAWN_SIZE, "timeseries")

    page.emulate_media(media="print")
    # Every number with its qualifier, its date and who published it.
    population = page.locator("#card-population")
    expect(population).to_be_visible()
    expect(page.locator("#card-population-value")).to_have_text("~3,000,000")
    expect(population.locator(".card-detail")).to_contain_text("as of 2020-01-28")
    expect(population.locator(".card-source")).to_contain_text("T-Intelligence")
    expect(page.locator("#card-idps-value")).to_have_text("555,000+")
    expect(page.locator("#card-idps .card-source")).to_contain_text("UNHCR")
    for card in page.locator(".card").all():
        expect(card.locator(".card-value")).to_be_visible()
        expect(card.locator(".card-detail")).to_be_visible()
    expect(page.locator("#figures-table")).to_be_visible()
    expect(page.locator("#figures-table")).to_contain_text("~560,000")
    expect(page.locator("#figures-table")).to_contain_text("OCHA")
    expect(page.locator("#freshness")).to_be_visible()
    # Controls have no place on paper.
    for hidden in ("#filter-place", "#download-button", "#sort-idps", ".modebar-container"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("#figures-table .previous-next-container")).to_have_count(0)
    # The charts are redrawn at their paper size.
    expect(page.locator("#timeseries .main-svg").first).to_have_attribute(
        "width", re.compile(r"^(6\d\d|70[0-3])(\.\d+)?$")
    )

    watched.screenshot(f"print-idleb-{width}")
    geometry = page.evaluate(GEOMETRY)
    sheet = geometry["page"]
    assert sheet["width"] <= PRINTABLE_WIDTH + 1, sheet
    assert sheet["height"] <= PRINTABLE_HEIGHT, sheet
    assert geometry["scrollWidth"] <= max(width, PRINTABLE_WIDTH + 1), geometry["scrollWidth"]
    parts = ["cards", "timeseries", "breakdown", "map", "figures-table", "freshness"]
    for part in [geometry[p] for p in parts] + geometry["cards_each"] + geometry["charts"]:
        assert part["shown"], (part, geometry)
        assert sheet["left"] - 1 <= part["left"] and part["right"] <= sheet["right"] + 1, part
        assert sheet["top"] - 1 <= part["top"] and part["bottom"] <= sheet["bottom"] + 1, part
    assert len(geometry["cards_each"]) >= 3 and len(geometry["charts"]) == 3
    assert geometry["clipped"] == []

    pdf = page.pdf(format="A4", print_background=True)
    assert _pdf_pages(pdf) == (1, 1)
    watched.screenshot(f"print-idleb-{width}")

    # Back on screen, the charts follow their containers again.
    page.emulate_media(media="screen")
    expect(page.locator("#filter-place")).to_be_visible()
    page.wait_for_function(
        "([w, h]) => { const gd = document.querySelector('#timeseries .js-plotly-plot');"
        " return gd._fullLayout.width === w && gd._fullLayout.height === h; }",
        arg=screen,
    )
    assert watched.console_errors == []
    assert watched.external_requests == []


def test_printing_without_print_emulation_also_fits_one_page(watched, live_server):
    """What a browser's own print does: `beforeprint` redraws the charts for paper."""
    page = watched.page
    _open(watched, live_server, PRINT_VIEW)
    _wait_for_charts(page)
    screen = page.evaluate(DRAWN_SIZE, "timeseries")
    assert screen[0] > PRINTABLE_WIDTH  # drawn for a wide screen, too wide for paper as is
    pdf = page.pdf(format="A4", print_background=True)
    assert _pdf_pages(pdf) == (1, 1)
    page.wait_for_function(
        "([w, h]) => { const gd = document.querySelector('#timeseries .js-plotly-plot');"
        " return gd._fullLayout.width === w && gd._fullLayout.height === h; }",
        arg=screen,
    )
    assert watched.console_errors == []


def test_each_chart_is_titled_with_its_place_dates_and_sources(watched, live_server):
    # The title is drawn into the chart, so a downloaded PNG keeps it.
    _open(watched, live_server, "?place=SY07&from=2020-01-01&to=2020-03-31")
    page = watched.page
    _wait_for_charts(page)
    drawn = page.locator("#timeseries .infolayer")
    expect(drawn).to_contain_text("Idleb · 2020-01-01 to 2020-03-31")
    expect(drawn).to_contain_text(re.compile(r"Sources: [A-Z]"))
    # Idleb's districts published nothing in the range: the bars say so, untitled; the map
    # still draws the districts, titled, and says it has no figure for them.
    bars = page.locator("#breakdown .infolayer")
    expect(bars).to_contain_text("No figures")
    expect(bars).not_to_contain_text("Within Idleb ·")
    drawn_map = page.locator("#map .infolayer")
    expect(drawn_map).to_contain_text("Within Idleb · 2020-01-01 to 2020-03-31")
    expect(page.locator("#map")).to_contain_text("No figure of people displaced")
