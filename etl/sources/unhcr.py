"""UNHCR Refugee Statistics API: refugees abroad, IDPs and returned IDPs, by year and country.

`population/` is UNHCR's own statistics per country of origin and (coa_all) per country of
asylum; `idmc/` is IDMC's conflict IDP stock as UNHCR republishes it. Both page with
`page=` up to `maxPages` in {"page", "maxPages", "items": [...]}. Country level only: every
figure sits on an admin-0 P-code. Counts come as numbers or strings; "-" is not applicable.

Meaning: refugees are a stock in the country of asylum (origin = the country of origin);
IDPs a stock in the country; returned IDPs are people who went home *during* the year, so a
flow (`returns`) over the calendar year, not a stock. A stock is as of 31 December, or
30 June when fetched before that year ended (UNHCR then serves its mid-year figures).
IDMC's copy is triangulation beside UNHCR's own IDPs (IDMC's original is the idmc source).
"""

import datetime as dt
from collections.abc import Iterator
from urllib.parse import urlsplit

import pandas as pd

from etl.errors import SourceError, SourceFormatError
from etl.frames import to_figure_frame
from etl.sources.base import (
    Connector,
    Credentials,
    Fetched,
    MapContext,
    MappedFigures,
    Records,
    Refused,
    SourceConfig,
    checked_records,
    envelope_records,
    figure_record,
    json_document,
    numbered_records,
)
from etl.transport import HttpClient
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Role
from schemas.places import PLACE_COLUMNS
from schemas.raw.unhcr import MODELS, NOT_APPLICABLE
from schemas.runs import Rejection, RejectionCode

NAME = "unhcr"
DEFAULT_BASE = "https://api.unhcr.org/population/v1"
DEFAULT_LIMIT = 1000
FIRST_YEAR = 1951  # UNHCR's statistics start with its founding
PUBLISHERS = {
    "population": "UNHCR, Refugee Data Finder",
    "idmc": "IDMC via UNHCR, Refugee Data Finder",
}
ROLES = {"population": Role.RECOMMENDED, "idmc": Role.TRIANGULATION}
# Endpoint -> count column -> (metric, cause, UNHCR's own label for it).
CELLS: dict[str, dict[str, tuple[Metric, Cause | None, str]]] = {
    "population": {
        "refugees": (Metric.REFUGEES, None, "Refugees under UNHCR's mandate"),
        "idps": (Metric.IDPS, Cause.CONFLICT, "IDPs of concern to UNHCR"),
        "returned_idps": (Metric.RETURNS, Cause.CONFLICT, "Returned IDPs"),
    },
    "idmc": {"total": (Metric.IDPS, Cause.CONFLICT, "IDPs (conflict and violence, IDMC)")},
}
Record = dict[str, object]


def fetch(client: HttpClient, cfg: SourceConfig, _credentials: Credentials) -> Iterator[Fetched]:
    """Every page of each endpoint for each configured country of origin."""
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/")
    first = cfg.since.year if cfg.since else int(cfg.options.get("year_from", FIRST_YEAR))
    last = int(cfg.options.get("year_to", dt.date.today().year))
    limit = int(cfg.options.get("limit", DEFAULT_LIMIT))
    for iso3 in cfg.countries:
        for endpoint in cfg.options.get("endpoints", list(MODELS)):
            if endpoint not in MODELS:
                raise SourceError(f"{NAME}: unknown endpoint {endpoint!r} in the options")
            params: dict[str, object] = {
                "yearFrom": first,
                "yearTo": last,
                "coo": iso3,
                "cf_type": "ISO",  # coo/coa as ISO3, not UNHCR's own codes (GFR, ...)
                "limit": limit,
            }
            if endpoint == "population" and cfg.options.get("by_asylum", True):
                params["coa_all"] = "true"  # one row per asylum country (and the IDPs' own)
            page, pages = 1, 1
            while page <= pages:
                response = client.get(NAME, f"{base}/{endpoint}/", params={**params, "page": page})
                name = f"{endpoint}.{iso3}.{page}.json"
                fetched = Fetched(name, response.content, response.url, dt.datetime.now(dt.UTC))
                pages = _pages(fetched, page)
                yield fetched
                page += 1


def dataset_of(fetched: Fetched) -> str:
    """The endpoint: `population` or `idmc` (from the URL, else the file name)."""
    if fetched.url:
        return urlsplit(fetched.url).path.rstrip("/").rsplit("/", 1)[-1]
    return fetched.name.split(".", 1)[0].split("_", 1)[0]


def _envelope(fetched: Fetched) -> dict[str, object]:
    where = f"{NAME}: {fetched.name}"
    doc = json_document(fetched, where)
    envelope_records(doc, "items", where)
    return doc  # type: ignore[return-value]


def _pages(fetched: Fetched, page: int) -> int:
    """How many pages the upstream says there are; a page short of its promise is drift."""
    doc = _envelope(fetched)
    pages = doc.get("maxPages")
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 0:
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'maxPages' missing or not a count")
    if doc.get("page") not in (page, str(page)):
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'page' is not {page}")
    if page <= pages and not doc["items"]:
        raise SourceFormatError(f"{NAME}: {fetched.name}: no items on page {page} of {pages}")
    return pages


def read(fetched: Fetched) -> Records:
    """The items of one page, checked against what the API promises for its endpoint."""
    endpoint = dataset_of(fetched)
    if endpoint not in MODELS:
        raise SourceFormatError(f"{NAME}: {fetched.name}: not a known endpoint ({endpoint})")
    rows = _envelope(fetched)["items"]
    assert isinstance(rows, list)
    model = MODELS[endpoint]
    frame = checked_records(rows, model, f"{NAME}: {fetched.name}")
    return Records(frame, endpoint, fetched.name)


def _count(value: object, column: str) -> int | None:
    """A count as served: a number or numeric string; None when "-" or empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text in (NOT_APPLICABLE, ""):
            return None
        if not text.isdigit():
            raise Refused(
                column, RejectionCode.NUMBER_FORMAT, "not a whole number of people", value
            )
        return int(text)
    if isinstance(value, float) and not value.is_integer():
        raise Refused(column, RejectionCode.NUMBER_FORMAT, "not a whole number of people", value)
    if int(value) < 0:  # type: ignore[call-overload]
        raise Refused(column, RejectionCode.NUMBER_FORMAT, "a negative count", value)
    return int(value)  # type: ignore[call-overload]


def _as_of(year: int, retrieved: dt.datetime) -> pd.Timestamp:
    """31 December; 30 June when the year had not ended at retrieval (mid-year figures)."""
    if retrieved.date() <= dt.date(year, 12, 31):
        return pd.Timestamp(year, 6, 30)
    return pd.Timestamp(year, 12, 31)


class _Countries:
    """Admin-0 places the records name; those the gazetteer lacks become new places."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.known = set(places["pcode"]) if "pcode" in places else set()
        self.new: dict[str, Record] = {}

    def pcode(self, iso3: object, name: object, column: str) -> str:
        code = ISO3_TO_PCODE.get(str(iso3))
        if code is None:
            reason = "no admin-0 P-code for this code (UNHCR's XXA, UNK, ... are not countries)"
            raise Refused(column, RejectionCode.COUNTRY_CODE, reason, iso3)
        if code not in self.known and code not in self.new:
            if not isinstance(name, str) or name.strip() in ("", NOT_APPLICABLE):
                raise Refused(
                    column, RejectionCode.PLACE_NAME, f"{code} is not in the gazetteer, no name"
                )
            cells = [code, "admin", name.strip(), None, 0, None, None, None]
            self.new[code] = dict(zip(PLACE_COLUMNS, cells, strict=True))
        return code

    def frame(self) -> pd.DataFrame | None:
        return pd.DataFrame(list(self.new.values()), columns=PLACE_COLUMNS) if self.new else None


def _figure(
    row: Record, column: str, endpoint: str, ctx: MapContext, countries: _Countries
) -> Record | None:
    metric, cause, label = CELLS[endpoint][column]
    value = _count(row[column], column)
    if value is None:
        return None
    origin, asylum = row["coo_iso"], row["coa_iso"]
    refugees = metric == Metric.REFUGEES
    # Refugees are abroad; IDPs and their returns are in their own country.
    applies = asylum != origin if refugees else asylum in (origin, NOT_APPLICABLE)
    if not applies:
        if value == 0:
            return None  # a zero where the count cannot apply says nothing
        where = f"origin {origin}, asylum {asylum}"
        raise Refused(column, RejectionCode.PLACE_MISMATCH, f"{label} counted for {where}", value)
    if refugees and asylum != NOT_APPLICABLE:
        pcode = countries.pcode(asylum, row["coa_name"], "coa_iso")
    else:
        pcode = countries.pcode(origin, row["coo_name"], "coo_iso")
    from_pcode = None
    if refugees and origin != NOT_APPLICABLE:
        from_pcode = countries.pcode(origin, row["coo_name"], "coo_iso")
    year = int(row["year"])  # type: ignore[call-overload]
    end = _as_of(year, ctx.retrieved_at)
    start = pd.Timestamp(year, 1, 1) if metric == Metric.RETURNS else end
    when = ("mid-" if end.month == 6 else "end-") + str(year)
    names = row["coo_name"] if not refugees else f"{row['coo_name']} -> {row['coa_name']}"
    return figure_record(
        ctx,
        source_record_id=f"{endpoint}/{year}/{origin}-{asylum}/{column}",
        publisher=PUBLISHERS[endpoint],
        metric=metric.value,
        pcode=pcode,
        admin_level=0,
        origin_pcode=from_pcode,
        period_start=start,
        period_end=end,
        value=value,
        cause=cause.value if cause else None,
        role=ROLES[endpoint].value,
        excerpt=f"{label}, {when}: {names}",
    )


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Admin-0 stocks and yearly returns, and the countries they need, from one page."""
    endpoint, raw = served.dataset, served.frame
    countries = _Countries(places)
    records: list[Record] = []
    rows: list[int] = []
    rejections: list[Rejection] = []
    for number, row in numbered_records(raw):
        for column in CELLS[endpoint]:
            try:
                record = _figure(row, column, endpoint, ctx, countries)
            except Refused as refused:
                rejections.append(refused.rejection(number, row))
                continue
            if record is not None:
                records.append(record)
                rows.append(number)
    figures = to_figure_frame(records)
    return MappedFigures(figures, rows, rejections, [], len(raw), countries.frame())


CONNECTOR = Connector(
    name=NAME,
    title="UNHCR Refugee Statistics API: refugees by asylum country, IDPs, returned IDPs",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
)
