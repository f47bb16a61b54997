"""Every component id of the page, in one place: the layout names them, callbacks bind them.

The browser tests, the print view (`assets/print.js`) and the accessibility script
(`assets/a11y.js`) find components by these ids too, so an id is part of the page's contract.
"""

# The view: its URL, the filters and the timer that retries while the store is away.
URL = "url"
HEARTBEAT = "heartbeat"
PLACE = "filter-place"
DISTRICT = "filter-district"
DATES = "filter-dates"

# The picture: where the view is, its headline cards and their caveats.
BANNERS = "banners"
BREADCRUMB = "breadcrumb"
PLACE_HEADING = "place-heading"
CARDS = "cards"
QUALITY = "quality"

# Over time.
SERIES = "timeseries"
SERIES_NOTES = "timeseries-notes"
SERIES_TRIANGULATION = "series-triangulation"

# Within the place: the bars, their sort and the map.
BREAKDOWN_HEADING = "breakdown-heading"
BREAKDOWN = "breakdown"
BREAKDOWN_SORT = "breakdown-sort"
BREAKDOWN_SORT_LABEL = "breakdown-sort-label"
MAP = "map"
MAP_MEASURE = "map-measure"
MAP_MEASURE_LABEL = "map-measure-label"

# Disagreements, the figures table and its downloads.
DISAGREEMENTS = "disagreements"
DISAGREEMENTS_TABLE = "disagreements-table"
FIGURES_COUNT = "figures-count"
TABLE = "figures-table"
TABLE_MESSAGE = "table-message"
DOWNLOAD = "download"
DOWNLOAD_CSV = "download-button"
DOWNLOAD_EXCEL = "download-excel"
DOWNLOAD_ABOUT = "download-about"

# The briefing pack's control.
BRIEF_LABEL = "brief-label"
BRIEF_MESSAGE = "brief-message"
BRIEF_DOWNLOAD = "download-brief"

# Sources and freshness, at the foot of the page.
SOURCES_HEADING = "sources-heading"
SOURCES_PANEL = "sources-panel"
FRESHNESS = "freshness"


def sort_button(key: str) -> str:
    """The breakdown's button that sorts the bars by `key`."""
    return f"sort-{key}"


def measure_button(key: str) -> str:
    """The map's button that colours the areas by `key`."""
    return f"measure-{key}"


def brief_button(fmt: str, lang: str) -> str:
    """The button that makes the briefing pack as `fmt` (pptx, pdf) in `lang`."""
    return f"brief-{fmt}-{lang}"


def card(key: str) -> str:
    """A headline card."""
    return f"card-{key}"


def card_value(key: str) -> str:
    """The number on a headline card."""
    return f"card-{key}-value"


def crumb(pcode: str) -> str:
    """A link of the breadcrumb."""
    return f"crumb-{pcode}"


def pressed_key(button: object, prefix: str) -> str:
    """The key of a button id made by `sort_button` or `measure_button` (`prefix` "sort-")."""
    return str(button).removeprefix(prefix)


SORT_PREFIX = sort_button("")
MEASURE_PREFIX = measure_button("")
