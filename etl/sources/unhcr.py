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
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from etl.errors import SourceError, SourceFormatError
from etl.figure_ids import figure_ids
from etl.frames import figure_frame, to_figure_frame
from etl.sources.base import (
    Connector,
    Credentials,
    Fetched,
    MapContext,
    MappedFigures,
    Records,
    Refused,
    SourceConfig,
    checked_columns,
    checked_records,
    envelope_records,
    fill_defaults,
    json_document,
)
from etl.sources.columnwise import (
    Reading,
    Refusals,
    among,
    cells,
    coded_on_distinct,
    distinct,
    on_distinct,
    same,
    same_time,
)
from etl.sources.json_table import record_table
from etl.transport import HttpClient
from schemas.codes import Coded, cells_at
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Role
from schemas.places import PLACE_COLUMNS
from schemas.raw.unhcr import MODELS, NOT_APPLICABLE
from schemas.runs import RejectionCode

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
    model, where = MODELS[endpoint], f"{NAME}: {fetched.name}"
    table = record_table(fetched.body, "items")
    if table is not None:
        frame = checked_columns(table.keys, table.cells, model, where)
    else:
        rows = _envelope(fetched)["items"]
        assert isinstance(rows, list)
        frame = checked_records(rows, model, where)
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


def _reading(value: object) -> tuple[int | None, str | None]:
    """(the count, or None; why it is no count, or None) of one cell."""
    try:
        return _count(value, ""), None
    except Refused as refused:
        return None, refused.parts[2]


def _exactly_ints(cells: np.ndarray) -> np.ndarray:
    """Where a cell is exactly an int (True and False are ints to isinstance, yet no JSON
    count): each cell's type, found in C, compared at once."""
    return np.equal(np.fromiter(map(type, cells), dtype=object, count=len(cells)), int)


def _counts(served: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(count or None, why the cell is no count or None) of every cell, as `_count` reads one:
    JSON integers all at once, other cells once per distinct value."""
    values = np.full(len(served), None, dtype=object)
    wrong = np.full(len(served), None, dtype=object)
    integers = _exactly_ints(served)
    negative = integers.copy()
    negative[integers] = (served[integers] < 0).astype(bool)
    values[integers & ~negative] = served[integers & ~negative]
    wrong[negative] = "a negative count"
    rest = np.flatnonzero(~integers)
    readings = on_distinct(_reading, served[rest])
    values[rest] = [value for value, _ in readings]
    wrong[rest] = [reason for _, reason in readings]
    return values, wrong


def _as_of(year: int, retrieved: dt.datetime) -> pd.Timestamp:
    """31 December; 30 June when the year had not ended at retrieval (mid-year figures)."""
    if retrieved.date() <= dt.date(year, 12, 31):
        return pd.Timestamp(year, 6, 30)
    return pd.Timestamp(year, 12, 31)


class _Countries:
    """Admin-0 places the records name; those the gazetteer lacks become new places."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.known = set(places["pcode"].tolist()) if "pcode" in places else set()
        self.new: dict[str, Record] = {}

    def add(self, code: str, name: object, column: str) -> None:
        """Note the country `code` unless known; one to add needs a name, else it is refused."""
        if code not in self.known and code not in self.new:
            if not isinstance(name, str) or name.strip() in ("", NOT_APPLICABLE):
                raise Refused(
                    column, RejectionCode.PLACE_NAME, f"{code} is not in the gazetteer, no name"
                )
            cells = [code, "admin", name.strip(), None, 0, None, None, None]
            self.new[code] = dict(zip(PLACE_COLUMNS, cells, strict=True))

    def frame(self) -> pd.DataFrame | None:
        return pd.DataFrame(list(self.new.values()), columns=PLACE_COLUMNS) if self.new else None


def _country_pcode(iso3: object) -> str | None:
    return ISO3_TO_PCODE.get(str(iso3))


@dataclass(frozen=True)
class _Cells:
    """The count cells of a page, a record's cells one after another (record by record, in
    the order of CELLS): each cell's column and what its record says of where it applies."""

    endpoint: str
    columns: list[str]
    served: np.ndarray  # each cell as served
    record: np.ndarray  # the position of its record
    column: np.ndarray  # the position of its column in `columns`
    # Its record's coo_iso, coa_iso, coo_name, coa_name and year: coded, each record's
    # cell numbered once among the page's records, not once per count cell.
    origin: Coded
    asylum: Coded
    origin_name: Coded
    asylum_name: Coded
    year: Coded

    @classmethod
    def of(cls, raw: pd.DataFrame, endpoint: str) -> "_Cells":
        """Every count cell of `raw`, an `endpoint` page."""
        columns = list(CELLS[endpoint])
        width, count = len(columns), len(raw)
        served = np.column_stack([cells(raw, c) for c in columns]).reshape(count * width)
        record = np.repeat(np.arange(count), width)

        def spread(name: str) -> Coded:
            column = cells(raw, name)
            key, first = distinct(column)
            return Coded(key[record], column[first])

        return cls(
            endpoint,
            columns,
            served,
            record,
            np.tile(np.arange(width), count),
            spread("coo_iso"),
            spread("coa_iso"),
            spread("coo_name"),
            spread("coa_name"),
            spread("year"),
        )

    def of_column(self, values: list[object]) -> np.ndarray:
        """What each cell's column has among `values`, one per column of `columns`."""
        table = np.empty(len(values), dtype=object)
        table[:] = values
        return table[self.column]


def _where(counted: _Cells, values: np.ndarray, reading: Reading) -> tuple[np.ndarray, np.ndarray]:
    """The P-code of the country each count is in, and of its country of origin (refugees),
    refusing a count that cannot apply where its record says and codes no country has; a
    zero where a count cannot apply says nothing and is left out."""
    metrics = counted.of_column([CELLS[counted.endpoint][c][0] for c in counted.columns])
    labels = counted.of_column([CELLS[counted.endpoint][c][2] for c in counted.columns])
    refugees = metrics == Metric.REFUGEES
    origin, asylum = np.asarray(counted.origin), np.asarray(counted.asylum)
    # Refugees are abroad; IDPs and their returns are in their own country.
    applies = np.where(refugees, asylum != origin, (asylum == origin) | (asylum == NOT_APPLICABLE))
    reading.leave_out(~applies & (values == 0))

    def mismatch(position: int) -> Refused:
        where = f"origin {origin[position]}, asylum {asylum[position]}"
        reason = f"{labels[position]} counted for {where}"
        column = counted.columns[counted.column[position]]
        return Refused(column, RejectionCode.PLACE_MISMATCH, reason, values[position])

    reading.check(~applies, mismatch)
    abroad = refugees & (asylum != NOT_APPLICABLE)
    iso3 = np.where(abroad, asylum, origin)
    names = np.where(abroad, counted.asylum_name, counted.origin_name)
    fields = np.where(abroad, "coa_iso", "coo_iso").astype(object)
    # Each code's P-code found once per distinct code of the page's records.
    of_origin = on_distinct(_country_pcode, counted.origin)
    of_asylum = on_distinct(_country_pcode, counted.asylum)
    pcodes = _checked_countries(iso3, np.where(abroad, of_asylum, of_origin), fields, reading)
    stages = [(pcodes, names, fields, reading.open)]
    came_from = refugees & (origin != NOT_APPLICABLE)
    origin_fields = same("coo_iso", len(origin))
    origins = _checked_countries(origin, of_origin, origin_fields, reading, came_from)
    stages.append((origins, counted.origin_name, origin_fields, came_from & reading.open))
    return pcodes, np.where(came_from, origins, None), stages


def _checked_countries(
    iso3: np.ndarray,
    pcodes: np.ndarray,
    fields: np.ndarray,
    reading: Reading,
    asked: np.ndarray | None = None,
) -> np.ndarray:
    """The admin-0 P-code of each cell's country (`pcodes`, None for none), refusing (where
    `asked`) a code no country has: UNHCR's XXA, UNK, ... are not countries."""

    def no_country(position: int) -> Refused:
        reason = "no admin-0 P-code for this code (UNHCR's XXA, UNK, ... are not countries)"
        return Refused(fields[position], RejectionCode.COUNTRY_CODE, reason, iso3[position])

    missing = pd.isna(pcodes)
    reading.check(missing if asked is None else asked & missing, no_country)
    return pcodes


def _add_countries(stages: list, countries: _Countries, reading: Reading) -> None:
    """Note every country the gazetteer lacks, in the order the cells name them; a cell naming
    one without a name is refused there, unless a cell before it added the country."""
    parts: list[tuple[np.ndarray, ...]] = []
    for order, (pcodes, names, fields, reached) in enumerate(stages):
        new = reached & ~among(pcodes, countries.known)
        at = np.flatnonzero(new)
        parts.append((at, np.full(len(at), order), pcodes[at], names[at], fields[at]))
    at, order, pcodes, names, fields = (np.concatenate(p) for p in zip(*parts, strict=True))
    sequence = np.lexsort((order, at))
    at, pcodes, names, fields = at[sequence], pcodes[sequence], names[sequence], fields[sequence]
    if on_distinct(_is_name, names).astype(bool).all():  # each country from its first cell
        first = ~pd.Series(pcodes, dtype=object).duplicated().to_numpy()
        at, pcodes, names, fields = at[first], pcodes[first], names[first], fields[first]
    stopped = -1
    for position, pcode, name, field in zip(at, pcodes, names, fields, strict=True):
        if position == stopped:  # a cell refused is read no further
            continue
        try:
            countries.add(pcode, name, field)
        except Refused as refused:
            stopped = position
            reading.refuse(int(position), refused)


def _is_name(name: object) -> bool:
    return isinstance(name, str) and name.strip() not in ("", NOT_APPLICABLE)


def _figure_columns(
    counted: _Cells,
    kept: np.ndarray,
    values: np.ndarray,
    where: tuple[np.ndarray, np.ndarray],
    ctx: MapContext,
) -> dict[str, object]:
    """Every column of the figures of the cells `kept`."""
    endpoint, count = counted.endpoint, len(kept)
    cell_kinds = [CELLS[endpoint][c] for c in counted.columns]
    metrics = counted.of_column([m for m, _, _ in cell_kinds])[kept]
    causes = counted.of_column([c.value if c else None for _, c, _ in cell_kinds])[kept]
    labels = Coded.of(counted.column[kept], [label for _, _, label in cell_kinds])
    names = counted.of_column(counted.columns)[kept]
    refugees = metrics == Metric.REFUGEES
    years = cells_at(counted.year, kept)
    origin, asylum = cells_at(counted.origin, kept), cells_at(counted.asylum, kept)
    retrieved = functools.partial(_as_of, retrieved=ctx.retrieved_at)
    ends = coded_on_distinct(retrieved, years, dtype="datetime64[us]")
    firsts = on_distinct(_first_day, years, dtype="datetime64[us]")
    starts = np.where(metrics == Metric.RETURNS, firsts, np.asarray(ends))
    when = coded_on_distinct(_when, ends)
    # Each text made once per distinct part (a year, a pair of countries, a column) and the
    # parts joined: a page repeats its years and countries over many counts.
    origin_names = cells_at(counted.origin_name, kept)
    asylum_names = cells_at(counted.asylum_name, kept)
    place_names = on_distinct(str, origin_names)
    pair_names = on_distinct(lambda o, a: f"{o} -> {a}", origin_names, asylum_names)
    heads = on_distinct(lambda year: endpoint + "/" + str(year) + "/", years)
    pairs = on_distinct(lambda o, a: o + "-" + a + "/", origin, asylum)
    leads = on_distinct(lambda label, w, year: f"{label}, {w}{year}: ", labels, when, years)
    columns: dict[str, object] = {
        "source": Coded.constant(ctx.source, count),
        "dataset": Coded.constant(ctx.dataset, count),
        "source_record_id": heads + pairs + names,
        "publisher": Coded.constant(PUBLISHERS[endpoint], count),
        "metric": on_distinct(_value_of, metrics),
        "pcode": where[0][kept],
        "admin_level": Coded.constant(0, count),
        "origin_pcode": where[1][kept],
        "period_start": starts,
        "period_end": ends,
        "value": values[kept],
        "cause": causes,
        "role": Coded.constant(ROLES[endpoint].value, count),
        "excerpt": leads + np.where(refugees, pair_names, place_names),
        "source_url": Coded.constant(ctx.source_url, count),
        "retrieved_at": same_time(ctx.retrieved_at, count),
        "run_id": Coded.constant(ctx.run_id, count),
    }
    fill_defaults(columns, count)
    columns["figure_id"] = figure_ids(columns)
    return columns


def _first_day(year: int) -> pd.Timestamp:
    return pd.Timestamp(int(year), 1, 1)


def _when(end: np.datetime64) -> str:
    """mid- for a mid-year stock (30 June), else end- (31 December)."""
    return "mid-" if pd.Timestamp(end).month == 6 else "end-"


def _value_of(metric: Metric) -> str:
    return metric.value


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Admin-0 stocks and yearly returns, and the countries they need, from one page."""
    endpoint, raw = served.dataset, served.frame
    countries = _Countries(places)
    counted = _Cells.of(raw, endpoint)
    reading = Reading(len(counted.served), per_record=len(counted.columns))
    values, wrong = _counts(counted.served)

    def not_counts(at: np.ndarray) -> Refusals:
        column = np.array(counted.columns, dtype=object)[counted.column[at]]
        return Refusals(column, RejectionCode.NUMBER_FORMAT, wrong[at], counted.served[at])

    reading.check_all(~pd.isna(wrong), not_counts)
    reading.leave_out(pd.isna(values))
    pcodes, origins, stages = _where(counted, values, reading)
    _add_countries(stages, countries, reading)
    rejections = reading.rejections(raw)
    kept = np.flatnonzero(reading.open)
    if not len(kept):
        return MappedFigures(to_figure_frame([]), [], rejections, [], len(raw), countries.frame())
    columns = _figure_columns(counted, kept, values, (pcodes, origins), ctx)
    numbers = raw.index.to_numpy()[counted.record[kept]].tolist()
    return MappedFigures(
        figure_frame(columns), numbers, rejections, [], len(raw), countries.frame()
    )


CONNECTOR = Connector(
    name=NAME,
    title="UNHCR Refugee Statistics API: refugees by asylum country, IDPs, returned IDPs",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
)
