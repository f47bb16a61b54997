"""HDX HAPI v2: IDPs (IOM DTM), refugees (UNHCR) and baseline population (COD-PS).

Each endpoint is paged per country with limit/offset until a page is short; a page is
{"data": [...]}. HDX also publishes the same rows as CSV tables (UTF-8 with a BOM, CRLF, a
`warning` and an `error` column); import reads either, and tells the endpoint by the fields
a saved response holds, not by its file name.

HAPI rewrites the codes it takes from IOM DTM (TD07 becomes TCD07, its `warning` says so):
every code is stored in the gazetteer's spelling (schemas.pcodes.normalise_pcode) and the
code as published stays in `published_pcode`. A unit the gazetteer lacks is added from the
upstream's code, name and parent (the records, or metadata/admin1 and admin2).
"""

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pycountry
from pandas.api.types import is_datetime64_any_dtype

from etl.errors import SourceError, SourceFormatError
from etl.figure_ids import figure_ids
from etl.frames import figure_frame, to_figure_frame
from etl.sources.base import (
    Connector,
    Credentials,
    Fetched,
    MapContext,
    MappedFigures,
    NewPlaces,
    Records,
    Refused,
    SourceConfig,
    credential,
    envelope_records,
    fill_defaults,
    grid,
    json_document,
)
from etl.sources.columnwise import (
    Fields,
    Reading,
    Refusals,
    Slot,
    add_places,
    coded_on_distinct,
    on_distinct,
    same,
    same_time,
)
from etl.sources.csv_cells import csv_cells
from etl.transport import HttpClient
from schemas.codes import Coded, cells_at, combined, factorized, group_ids
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Metric, Role
from schemas.figures import RECOMMENDED_KEY
from schemas.pcodes import admin_level_of, normalise_pcode
from schemas.raw import hdx_hapi as raw
from schemas.raw.hdx_hapi import failures
from schemas.runs import RejectionCode

NAME = "hdx-hapi"
CREDENTIAL = "hdx_hapi_app_identifier"
SECRET = "app_identifier"  # the query parameter that carries it; never stored or shown
DEFAULT_BASE = "https://hapi.humdata.org"
DEFAULT_LIMIT = 10_000  # the API's maximum page
# Endpoint (the dataset name) -> its path and the raw model of its records.
ENDPOINTS: dict[str, tuple[str, type[pa.DataFrameModel]]] = {
    "idps": ("/api/v2/affected-people/idps", raw.HapiIdpsModel),
    "refugees-persons-of-concern": (
        "/api/v2/affected-people/refugees-persons-of-concern",
        raw.HapiRefugeesModel,
    ),
    "baseline-population": (
        "/api/v2/geography-infrastructure/baseline-population",
        raw.HapiPopulationModel,
    ),
    "admin1": ("/api/v2/metadata/admin1", raw.HapiAdmin1Model),
    "admin2": ("/api/v2/metadata/admin2", raw.HapiAdmin2Model),
}
# Fields only one endpoint's records have, to tell a saved response (JSON or CSV) by them.
SIGNATURES: dict[str, frozenset[str]] = {
    "idps": frozenset({"assessment_type", "operation", "reporting_round"}),
    "refugees-persons-of-concern": frozenset(
        {"asylum_location_code", "origin_location_code", "population_group"}
    ),
    "baseline-population": frozenset({"admin_level", "gender", "age_range", "population"}),
    "admin2": frozenset({"code", "name", "admin1_code"}),
    "admin1": frozenset({"code", "name", "location_code"}),
}
# Integer fields of the CSV tables, read back to the integers the JSON API sends.
CSV_INTEGERS = frozenset({"admin_level", "population", "reporting_round", "min_age", "max_age"})
WHOLE = re.compile(r"-?\d+")
PADDING = re.compile(rb"[\xef\xbb\xbf \t\r\n]*")  # what may come before a page's first byte
ASSESSMENTS = {"BA": "baseline assessment", "SA": "site assessment", "ETT": "event tracking"}
PUBLISHERS = {
    "refugees-persons-of-concern": "UNHCR Refugee Population Statistics, via HDX HAPI",
    "baseline-population": "UNFPA/OCHA Global Subnational Population Statistics (COD-PS), "
    "via HDX HAPI",
}
REFUGEES = "refugees-persons-of-concern"
METRICS = {"idps": Metric.IDPS, REFUGEES: Metric.REFUGEES, "baseline-population": Metric.POPULATION}
NO_COUNTRY = "no admin-0 P-code for this ISO3 code in schemas.countries"
DATED = ("idps", REFUGEES, "baseline-population")
_SEX = {"all": "", "f": "f", "m": "m"}
Record = dict[str, object]


def fetch(client: HttpClient, cfg: SourceConfig, credentials: Credentials) -> Iterator[Fetched]:
    """Every page of every configured endpoint for every configured country."""
    key = credential(credentials, CREDENTIAL, NAME, "app identifier")
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/")
    limit = int(cfg.options.get("limit", DEFAULT_LIMIT))
    for iso3 in cfg.countries:
        for dataset in cfg.options.get("endpoints", list(ENDPOINTS)):
            if dataset not in ENDPOINTS:
                raise SourceError(f"{NAME}: unknown endpoint {dataset!r} in the options")
            filters: dict[str, object] = {"location_code": iso3}
            if dataset == REFUGEES:
                # This endpoint has no location_code filter (it would be ignored): by asylum.
                filters = {"asylum_location_code": iso3, "population_group": "REF"}
            if cfg.since and dataset in DATED:
                filters["start_date"] = cfg.since.isoformat()
            offset = 0
            while True:
                page = {"output_format": "json", "limit": limit, "offset": offset, SECRET: key}
                url = base + ENDPOINTS[dataset][0]
                params = {**filters, **page}
                response = client.get(NAME, url, params=params, secrets=frozenset({SECRET}))
                name = f"{dataset}.{iso3}.{offset}.json"
                fetched = Fetched(name, response.content, response.url, dt.datetime.now(dt.UTC))
                count = len(_table(fetched)[0])
                if count > limit:
                    raise SourceFormatError(f"{NAME}: {name}: {count} records for limit {limit}")
                yield fetched
                if count < limit:
                    break
                offset += limit


def dataset_of(fetched: Fetched) -> str:
    """The endpoint (idps, baseline-population, admin2, ...): the last segment of the URL
    asked, else the endpoint whose fields a saved response (JSON or CSV) holds, else the
    file's name up to its first dot (read() then says it is no known endpoint)."""
    if fetched.url:
        return _endpoint_asked(fetched.url)
    try:
        fields = set(_table(fetched)[0].columns)
    except SourceError:
        fields = set()
    return _endpoint_by_fields(fetched.name, fields)


def _endpoint_asked(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _endpoint_by_fields(name: str, fields: set[str]) -> str:
    for dataset, signature in SIGNATURES.items():
        if signature <= fields:
            return dataset
    return name.split(".", 1)[0]


def _is_csv(fetched: Fetched) -> bool:
    """True for a CSV table: what does not open as JSON, HTML or nothing."""
    return _first_byte(fetched.body) not in (b"{", b"[", b"<", b"")


def _first_byte(body: bytes) -> bytes:
    """The first byte after a BOM and white space; b"" when there is none."""
    start = PADDING.match(body).end()  # type: ignore[union-attr]
    return body[start : start + 1]


def _table(fetched: Fetched) -> tuple[pd.DataFrame, Mapping[str, Coded]]:
    """A saved response's records as one frame of cells as served (a CSV table's typed as the
    JSON API's), unchecked: a column per field any record has, in the order they appear; and
    the fields already held as numbers into their cells (a CSV table's)."""
    if _is_csv(fetched):
        return _csv_frame(fetched)
    return _record_frame(_records(fetched)), {}


def _record_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """JSON records as a frame of objects; a record without a field holds None there."""
    frame = pd.DataFrame(rows, dtype=object)
    if sum(map(len, rows)) == len(rows) * frame.shape[1]:  # every record has every field
        return frame
    # pandas fills a field a record lacks with NaN: None, as the record's dict.get gives it.
    return pd.DataFrame(
        {c: pd.Series([r.get(c) for r in rows], dtype=object) for c in frame.columns}
    )


def _csv_table(fetched: Fetched) -> tuple[list[str], np.ndarray]:
    """A CSV table's header and its rows' cells, as HDX writes them (UTF-8, a BOM, CRLF line
    ends)."""
    where = f"{NAME}: {fetched.name}"
    try:
        text = fetched.body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{where}: not UTF-8 text: {exc}") from None
    cells = csv_cells(text)  # every line as long as the header, none blank, as HDX writes
    if cells is not None and any(map(str.strip, cells[0].tolist())):
        return [cell.strip() for cell in cells[0].tolist()], cells[1:]
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SourceFormatError(f"{where}: not a readable CSV table: {exc}") from None
    if lines and any(map(str.strip, lines[0])) and set(map(len, lines)) == {len(lines[0])}:
        # Every line as long as the header (as HDX writes them): none is refused for its
        # length, and `_csv_frame` drops the blank ones, told by their distinct cells.
        return [cell.strip() for cell in lines[0]], grid(lines[1:], len(lines) - 1, len(lines[0]))
    lines = [line for line in lines if any(map(str.strip, line))]
    if not lines:
        raise SourceFormatError(f"{where}: an empty CSV table (no header row)")
    header = [cell.strip() for cell in lines[0]]
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            raise SourceFormatError(
                f"{where}: line {number} has {len(line)} cells for {len(header)} columns"
            )
    return header, grid(lines[1:], len(lines) - 1, len(header))


def _csv_cell(text: str, whole: bool) -> object:
    """A CSV cell as the JSON API sends it: empty is null, an integer field's digits an int.

    Anything else stays text, so a count that is not a whole number fails its field's check
    by name rather than being read as something it is not.
    """
    value = text.strip()
    if not value:
        return None
    if whole and WHOLE.fullmatch(value):
        return int(value)
    return value


def _csv_frame(fetched: Fetched) -> tuple[pd.DataFrame, Mapping[str, Coded]]:
    """The records of a CSV table, typed as the JSON API's records, a column per header name
    (a name the header repeats holds its last cell, as a record of the row would); and each
    column as numbers into its cells, from the numbers its texts got as they were read."""
    header, rows = _csv_table(fetched)
    positions = {column: position for position, column in enumerate(header)}
    # Each distinct text is read once, as text and as an integer field's.
    numbers, texts = factorized(rows.ravel())
    numbers = numbers.reshape(rows.shape)
    blank = np.fromiter((not text.strip() for text in texts), dtype=bool, count=len(texts))
    filled = ~blank[numbers].all(axis=1)
    if not filled.all():  # a line of nothing but separators and spaces holds no record
        numbers = numbers[filled]
    # Each distinct text as a text field's cell (row 0) and an integer field's (row 1); every
    # column's cells then picked at once, laid out as a frame keeps them, column by column.
    typed = np.stack([_typed_cells(texts, whole) for whole in (False, True)])
    whole = np.array([[column in CSV_INTEGERS] for column in positions], dtype=np.intp)
    cells = typed[whole, numbers[:, list(positions.values())].T]
    frame = pd.DataFrame(cells.T, columns=list(positions), dtype=object, copy=False)
    layout = {
        column: (typed[kind], numbers[:, at])
        for (column, at), kind in zip(positions.items(), whole[:, 0].tolist(), strict=True)
    }
    return frame, _CodedColumns(layout)


class _CodedColumns(Mapping[str, Coded]):
    """A CSV table's columns as `Coded`, each made when first asked for: its numbers into the
    table's distinct texts renumbered among its own (a pass over integers), and those texts
    as its field's cells."""

    def __init__(self, layout: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self._layout = layout  # each column's typed cells and numbers into them
        self._made: dict[str, Coded] = {}

    def __getitem__(self, column: str) -> Coded:
        if column not in self._made:
            cells, numbers = self._layout[column]
            codes, used = pd.factorize(numbers)
            self._made[column] = Coded(codes, cells[used])
        return self._made[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout)

    def __len__(self) -> int:
        return len(self._layout)


def _typed_cells(texts: np.ndarray, whole: bool) -> np.ndarray:
    cells = np.empty(len(texts), dtype=object)
    cells[:] = [_csv_cell(text, whole) for text in texts]
    return cells


def _records(fetched: Fetched) -> list[dict[str, object]]:
    """The records of a JSON page."""
    where = f"{NAME}: {fetched.name}"
    if not _first_byte(fetched.body):
        raise SourceFormatError(f"{where}: an empty response (no JSON page, no CSV header)")
    doc = json_document(fetched, where)
    if isinstance(doc, dict) and "error" in doc and "data" not in doc:
        raise SourceError(f"{where}: the upstream answered with an error: {doc['error']}")
    return envelope_records(doc, "data", where)


def read(fetched: Fetched) -> Records:
    """The records of one page, checked against what HAPI promises for that endpoint, and
    the first day the request asked for (`start_date`)."""
    table: tuple[pd.DataFrame, Mapping[str, Coded]] | None = None
    failure: SourceError | None = None
    if fetched.url:
        dataset = _endpoint_asked(fetched.url)
    else:
        # Read once: the fields tell the endpoint. A response that cannot be read fails as
        # such only once it is known to be a HAPI endpoint's (as dataset_of, then reading).
        try:
            table = _table(fetched)
        except SourceError as exc:
            failure = exc
        fields = set() if table is None else set(table[0].columns)
        dataset = _endpoint_by_fields(fetched.name, fields)
    if dataset not in ENDPOINTS:
        raise SourceFormatError(f"{NAME}: {fetched.name}: not a known HAPI endpoint ({dataset})")
    if failure is not None:
        raise failure
    served, coded = _table(fetched) if table is None else table
    frame = _checked(served, ENDPOINTS[dataset][1], fetched, coded)
    query = parse_qs(urlsplit(fetched.url or "").query)
    since = dt.date.fromisoformat(query["start_date"][0]) if "start_date" in query else None
    if frame is not served:  # a page without records, given the promised columns
        coded = {}
    return Records(frame, dataset, fetched.name, since=since, coded=coded)


def _checked(
    table: pd.DataFrame,
    model: type[pa.DataFrameModel],
    fetched: Fetched,
    coded: Mapping[str, Coded],
) -> pd.DataFrame:
    """The records checked against what HAPI promises for the endpoint, indexed by their
    position from 1, as etl.sources.base.checked_records checks records: a page without
    records (or whose records have no field) gets the promised columns.

    Where every column is coded and every check looks at one cell at a time, the checks
    read each column's distinct cells once, in the order they first appear: the same cells
    pass or fail, and a failure names the same first cell."""
    count = len(table)
    if not count or not len(table.columns):
        promised = model.to_schema().columns
        table = pd.DataFrame({c: pd.Series([None] * count, dtype=object) for c in promised})
    if count:
        every = coded and set(table.columns) <= set(coded) and _cell_by_cell(model)
        cells = _distinct_cells(table, coded) if every else table
        try:
            model.validate(cells, lazy=True, inplace=True)  # nothing to coerce: no copy
        except pa.errors.SchemaErrors as exc:
            raise SourceFormatError(f"{NAME}: {fetched.name}: {failures(exc)}") from None
    table.index = range(1, count + 1)
    return table


@functools.cache
def _cell_by_cell(model: type[pa.DataFrameModel]) -> bool:
    """Whether every check of `model` looks at one cell at a time (no check of the whole
    frame, no uniqueness)."""
    schema = model.to_schema()
    columns = schema.columns.values()
    return not schema.checks and not schema.unique and not any(c.unique for c in columns)


def _distinct_cells(table: pd.DataFrame, coded: Mapping[str, Coded]) -> pd.DataFrame:
    """A frame of each column's distinct cells in the order they first appear, a shorter
    column filled out with its first cell."""
    values = {column: coded[column].values for column in table.columns}
    height = max(map(len, values.values()))
    out = {}
    for column, distinct in values.items():
        cells = np.empty(height, dtype=object)
        cells[: len(distinct)] = distinct
        cells[len(distinct) :] = distinct[0]
        out[column] = cells
    return pd.DataFrame(out, dtype=object, copy=False)


def _country_pcode(iso3: object) -> str | None:
    return ISO3_TO_PCODE.get(str(iso3).strip().upper())


def _country_name(iso3: object, name: object) -> object:
    """The country's name as the record gives it, else ISO 3166's (the CSV tables have none)."""
    if isinstance(name, str) and name.strip():
        return name
    country = pycountry.countries.get(alpha_3=str(iso3).strip().upper())
    return country.name if country is not None else None


def _fits(level: int, pcode: object, parent: object) -> bool:
    """Whether `pcode` is an admin-`level` COD P-code under `parent` (True where either is
    missing: that record is refused by an earlier check)."""
    if not isinstance(pcode, str) or not isinstance(parent, str):
        return True
    return admin_level_of(pcode) == level and pcode.startswith(parent)


def _country(iso3: object, name: object, places: NewPlaces, column: str) -> str:
    pcode = _country_pcode(iso3)
    if pcode is None:
        raise Refused(column, RejectionCode.COUNTRY_CODE, NO_COUNTRY, iso3)
    places.add(pcode, _country_name(iso3, name), 0, None)
    return pcode


def _admin(
    code: object, name: object, level: int, parent: str, column: str, places: NewPlaces
) -> str:
    pcode = normalise_pcode(code)
    if pcode is None:
        raise Refused(
            column, RejectionCode.PLACE_UNSPECIFIED, f"admin {level} not specified upstream", code
        )
    if not _fits(level, pcode, parent):
        reason = f"not an admin-{level} COD P-code under {parent}"
        raise Refused(column, RejectionCode.PCODE_FORMAT, reason, code)
    places.add(pcode, name, level, parent)
    return pcode


def _place(row: Record, places: NewPlaces) -> tuple[str, str | None]:
    """The most specific P-code of one record with the location/admin block, and that code
    as HAPI wrote it when it differs (TCD0704 for TD0704): one record read as `_located`
    reads them all."""
    location = row["location_code"]
    where = _country(location, row.get("location_name"), places, "location_code")
    published = location
    for depth in range(1, int(row["admin_level"]) + 1):  # type: ignore[call-overload]
        code, name = row.get(f"admin{depth}_code"), row.get(f"admin{depth}_name")
        where = _admin(code, name, depth, where, f"admin{depth}_code", places)
        published = code
    return where, published if isinstance(published, str) and published != where else None


# --- the records of a page, column by column ---------------------------------------------------


def _countries(
    iso3: np.ndarray | Coded,
    names: np.ndarray | Coded,
    column: str,
    reading: Reading,
    slots: list[Slot],
) -> np.ndarray:
    """The admin-0 P-code of every record's country in `column`, refusing the codes no
    country has; the country is a place the records name (named by ISO 3166 where not)."""
    pcodes = on_distinct(_country_pcode, iso3)

    def no_country(position: int) -> Refused:
        return Refused(column, RejectionCode.COUNTRY_CODE, NO_COUNTRY, iso3[position])

    reading.check(pd.isna(pcodes), no_country)
    country_names = on_distinct(_country_name, iso3, names)
    slots.append(Slot(pcodes, country_names, 0, same(None, len(iso3)), reading.open))
    return pcodes


def _admins(
    published: np.ndarray | Coded,
    names: np.ndarray | Coded,
    level: int,
    parents: np.ndarray,
    column: str,
    asked: np.ndarray,
    reading: Reading,
    slots: list[Slot],
) -> np.ndarray:
    """The admin-`level` P-codes of `column` in the gazetteer's spelling for the records
    `asked`, refusing a code missing or off the COD pattern under its parent."""
    pcodes = on_distinct(normalise_pcode, published)

    def unspecified(position: int) -> Refused:
        reason = f"admin {level} not specified upstream"
        return Refused(column, RejectionCode.PLACE_UNSPECIFIED, reason, published[position])

    def misfit(position: int) -> Refused:
        reason = f"not an admin-{level} COD P-code under {parents[position]}"
        return Refused(column, RejectionCode.PCODE_FORMAT, reason, published[position])

    reading.check(asked & pd.isna(pcodes), unspecified)
    fits = on_distinct(functools.partial(_fits, level), pcodes, parents).astype(bool)
    reading.check(asked & ~fits, misfit)
    slots.append(Slot(pcodes, names, level, parents, asked & reading.open))
    return pcodes


def _located(
    fields: Fields, reading: Reading, slots: list[Slot]
) -> tuple[np.ndarray, np.ndarray]:
    """The most specific P-code of every record with the location/admin block, and that code
    as HAPI wrote it where it differs (TCD0704 for TD0704)."""
    iso3 = fields("location_code")
    pcodes = _countries(iso3, fields("location_name"), "location_code", reading, slots)
    published: np.ndarray | Coded = iso3
    levels = fields.served("admin_level").astype(np.int64)
    for depth in range(1, int(levels.max(initial=0)) + 1):
        asked = levels >= depth
        codes, names = fields(f"admin{depth}_code"), fields(f"admin{depth}_name")
        column = f"admin{depth}_code"
        deeper = _admins(codes, names, depth, pcodes, column, asked, reading, slots)
        pcodes = np.where(asked, deeper, pcodes)
        published = np.where(asked, codes, published)
    differs = on_distinct(_differs, published, pcodes).astype(bool)
    return pcodes, np.where(differs, published, None)


def _differs(published: object, pcode: object) -> bool:
    return isinstance(published, str) and published != pcode


def _admin_units(fields: Fields, dataset: str, known: NewPlaces, reading: Reading) -> None:
    """The units of metadata/admin1 or admin2, added with their parents when the gazetteer
    lacks them."""
    slots: list[Slot] = []
    everyone = np.ones(len(fields.frame), dtype=bool)
    names = fields("location_name")
    parents = _countries(fields("location_code"), names, "location_code", reading, slots)
    if dataset == "admin2":
        codes, names = fields("admin1_code"), fields("admin1_name")
        parents = _admins(codes, names, 1, parents, "admin1_code", everyone, reading, slots)
    codes, names, level = fields("code"), fields("name"), int(dataset[-1])
    _admins(codes, names, level, parents, "code", everyone, reading, slots)
    add_places(slots, known, reading)


def _ends_before(end: object, since: dt.date) -> bool:
    """True for a record ending before the start_date asked for (the server did not filter)."""
    return bool(end and dt.datetime.fromisoformat(str(end)).date() < since)


def _is_marked(error: object) -> bool:
    return isinstance(error, str) and bool(error.strip())


def _leave_out(fields: Fields, dataset: str, since: dt.date | None, reading: Reading) -> None:
    """Leave out what the page holds beyond the figures (records before the start date asked
    for, groups other than refugees, disaggregations the model does not carry) and refuse the
    records HAPI itself marks in its `error` column, with HAPI's words."""
    count = len(fields.frame)
    if since is not None:
        ends = fields("reference_period_end")
        before = on_distinct(functools.partial(_ends_before, since=since), ends).astype(bool)
        reading.leave_out(before, same(f"records ending before start_date {since}", count))
    errors = fields("error")

    def marked(at: np.ndarray) -> Refusals:
        reasons = on_distinct("HDX HAPI marks the record: {}".format, errors[at])
        return Refusals("error", RejectionCode.UPSTREAM_ERROR, reasons, errors[at])

    reading.check_all(on_distinct(_is_marked, errors).astype(bool), marked)
    if dataset == REFUGEES:
        groups = fields.served("population_group")
        notes = on_distinct("population_group {}: not refugees (REF)".format, groups)
        reading.leave_out(groups != "REF", notes)
    if dataset != "idps":
        genders, ages = fields("gender"), fields("age_range")
        canonical = on_distinct(_canonical, genders, ages).astype(bool)
        note = "gender {} / age_range {}: not a canonical disaggregation".format
        reading.leave_out(~canonical, on_distinct(note, genders, ages))


def _canonical(gender: object, age: object) -> bool:
    """True for a total or a whole-population sex split (f, m); not for other bands."""
    return age == "all" and gender in _SEX


def _as_of(fields: Fields, reading: Reading) -> np.ndarray:
    """Each record's as-of day: its reference period's end, or its start when open (a record
    with neither is refused)."""
    ends = fields("reference_period_end")
    starts = fields("reference_period_start")
    when = on_distinct(_when, ends, starts)

    def undated(_: int) -> Refused:
        return Refused("reference_period_start", RejectionCode.DATE_MISSING, "no reference period")

    reading.check(pd.isna(when), undated)
    return on_distinct(_day_of, when, dtype="datetime64[us]")


def _when(end: object, start: object) -> object:
    return end or start or None


def _day_of(when: object) -> pd.Timestamp | None:
    return None if when is None else _day(str(when))


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.fromisoformat(text).date())


def _warned(excerpt: object, warning: object) -> object:
    """The excerpt with HAPI's warning about the record, if it gives one."""
    if isinstance(warning, str) and warning.strip():
        return f"{excerpt + '; ' if excerpt else ''}HDX HAPI warns: {warning.strip()}"
    return excerpt


def _idp_fields(fields: Fields, kept: np.ndarray) -> dict[str, np.ndarray | Coded]:
    """Publisher, record id and excerpt of the IDP figures of the records `kept`."""
    ids = cells_at(fields("resource_hdx_id"), kept)
    operations = cells_at(fields("operation"), kept)
    # Each made once per distinct value and kept coded: the texts made from them are too.
    rounds = coded_on_distinct(str, cells_at(fields("reporting_round"), kept))
    kinds = coded_on_distinct(str, cells_at(fields("assessment_type"), kept))
    # HAPI's IDP figure is IOM DTM's round summed over its displacement reasons (TCD07
    # 225,689 on 2025-01-31 is DTM's 221,543 conflict + 4,146 natural disaster). It is
    # kept apart from DTM's own figures, never added to them: its organisation is HDX
    # HAPI, not IOM DTM (schemas.figures.organisation), so a sum of one publisher's
    # parts never takes it in; it has no cause (all reasons together); and a headline
    # takes one stock per place and date, never the sum of two sources' stocks.
    publishers = coded_on_distinct(_idp_publisher, operations, kinds)
    # A resource holds a few operations, rounds and assessments: each text is made once.
    return {
        "publisher": publishers,
        "source_record_id": coded_on_distinct(_idp_record_id, ids, operations, rounds, kinds),
        "excerpt": coded_on_distinct(_idp_excerpt, rounds),
        "sex": Coded.constant(None, len(kept)),
    }


def _idp_publisher(operation: object, kind: str) -> str:
    return f"HDX HAPI, IOM DTM {operation}, {ASSESSMENTS.get(kind, kind)}"


def _idp_record_id(resource: str, operation: str, round_: str, kind: str) -> str:
    return resource + "/" + operation + "/R" + round_ + "/" + kind


def _idp_excerpt(round_: str) -> str:
    return "IDPs present, round " + round_ + ", all displacement reasons"


def _split_fields(
    fields: Fields, dataset: str, kept: np.ndarray
) -> dict[str, np.ndarray | Coded]:
    """Publisher, record id and sex of the refugee or population figures of the records
    `kept` (a total or a whole-population sex split)."""
    ids = fields.served("resource_hdx_id")[kept]
    if dataset == REFUGEES:
        came_from = fields.served("origin_location_code")[kept]
        asylum = fields.served("asylum_location_code")[kept]
        ids = ids + "/" + came_from + "-" + asylum + "/REF"
    return {
        "publisher": Coded.constant(PUBLISHERS[dataset], len(kept)),
        "source_record_id": ids,
        "excerpt": same(None, len(kept)),
        "sex": on_distinct(_sex, cells_at(fields("gender"), kept)),
    }


def _sex(gender: object) -> str | None:
    return _SEX[str(gender)] or None


def _figure_columns(
    page: Fields,
    dataset: str,
    kept: np.ndarray,
    where: dict[str, np.ndarray],
    ctx: MapContext,
) -> dict[str, Any]:
    """Every column of the figures of the records `kept`, one figure per record."""
    count = len(kept)
    fields = _idp_fields(page, kept) if dataset == "idps" else _split_fields(page, dataset, kept)
    pcodes = where["pcode"][kept]
    as_of = where["as_of"][kept]
    columns = {
        "source": Coded.constant(ctx.source, count),
        "dataset": Coded.constant(ctx.dataset, count),
        "metric": Coded.constant(METRICS[dataset].value, count),
        "pcode": pcodes,
        "admin_level": on_distinct(_level_of, pcodes),
        "origin_pcode": where["origin_pcode"][kept],
        "period_start": as_of,
        "period_end": as_of,
        "value": page.served("population")[kept],
        "age_group": Coded.constant(None, count),
        "cause": Coded.constant(None, count),
        "source_url": Coded.constant(ctx.source_url, count),
        "retrieved_at": same_time(ctx.retrieved_at, count),
        "run_id": Coded.constant(ctx.run_id, count),
        "published_pcode": where["published_pcode"][kept],
        **fields,
    }
    warnings = cells_at(page("warning"), kept)
    columns["excerpt"] = coded_on_distinct(_warned, fields["excerpt"], warnings)
    fill_defaults(columns, count)
    if ctx.source == NAME and ctx.dataset == "idps":  # as prefer_baseline's scope
        columns["role"] = _idp_roles(columns)
    columns["figure_id"] = figure_ids(columns)
    return columns


def _level_of(pcode: object) -> int | None:
    return admin_level_of(str(pcode))


def prefer_baseline(figures: pd.DataFrame) -> pd.DataFrame:
    """Where an IOM DTM baseline assessment and another assessment count the same thing (the
    same place, metric, period and disaggregation), the baseline counts and the others are kept
    for triangulation.

    Works on any set of this source's figures: one page (to_figures applies it) or every page of
    a run, which is where a baseline on one page and a site assessment on the next meet. Rows,
    their order and everything but `role` are kept; other sources and datasets are untouched.
    """
    if figures.empty:
        return figures
    scope = (figures["source"] == NAME) & (figures["dataset"] == "idps")
    if not scope.any():
        return figures
    publisher = figures.loc[scope, "publisher"].astype(str)
    baseline = on_distinct(_names_baseline, publisher.to_numpy(dtype=object)).astype(bool)
    if baseline.all() or not baseline.any():  # nothing to prefer one over another
        return figures
    groups = _key_groups(figures.loc[scope, RECOMMENDED_KEY])
    demote = pd.Series(_demoted(groups, baseline), index=publisher.index)
    if not demote.any():
        return figures
    out = figures.copy()
    out.loc[demote[demote].index, "role"] = Role.TRIANGULATION.value
    return out


def _names_baseline(publisher: str) -> bool:
    return ASSESSMENTS["BA"] in publisher


def _demoted(groups: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Where a figure is not the baseline's and a baseline figure shares its group."""
    counted = np.zeros(int(groups.max(initial=-1)) + 1, dtype=bool)
    counted[groups[baseline]] = True
    return counted[groups] & ~baseline


def _idp_roles(columns: dict[str, Any]) -> Coded:
    """Each IDP figure's role on one page, as prefer_baseline would give it: the figures of a
    page share their columns' types, so each key column is grouped by value, not by text."""
    baseline = on_distinct(_names_baseline, columns["publisher"]).astype(bool)
    demote = np.zeros(len(baseline), dtype=bool)
    if baseline.any() and not baseline.all():
        demote = _demoted(group_ids(*(columns[c] for c in RECOMMENDED_KEY)), baseline)
    roles = [Role.RECOMMENDED.value, Role.TRIANGULATION.value]
    return Coded.of(demote.astype(np.intp), roles)


def _key_groups(key: pd.DataFrame) -> np.ndarray:
    """One number per figure, shared by the figures whose key reads the same: each cell as
    text, with every kind of missing value (None, NaN, NaT, NA) read alike, so figures mapped
    from different pages group together."""
    return combined(*(_text_codes(key[column]) for column in key.columns))


def _text_codes(column: pd.Series) -> np.ndarray:
    """A number for the text of each cell ('' for any missing value)."""
    by_value = isinstance(column.dtype, pd.StringDtype) or is_datetime64_any_dtype(column)
    # Values equal but written apart (8 and 8.0, -0.0 and 0.0) are read cell by cell.
    codes, values = factorized(column) if by_value else (None, column)
    texts = np.array(["" if pd.isna(v) else str(v) for v in values], dtype=object)
    numbers = pd.factorize(texts)[0]
    return numbers if codes is None else numbers[codes]


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Figures (and the places they need) from one page of one endpoint."""
    dataset, raw, fields = served.dataset, served.frame, Fields(served)
    known = NewPlaces(places)
    reading = Reading(len(raw))
    if dataset in ("admin1", "admin2"):
        _admin_units(fields, dataset, known, reading)
        rejections = reading.rejections(raw)
        return MappedFigures(to_figure_frame([]), [], rejections, [], len(raw), known.frame())
    _leave_out(fields, dataset, served.since, reading)
    slots: list[Slot] = []
    origins = same(None, len(raw))
    if dataset == REFUGEES:
        asylum = fields("asylum_location_code")
        names = fields("asylum_location_name")
        pcodes = _countries(asylum, names, "asylum_location_code", reading, slots)
        came_from = fields("origin_location_code")
        names = fields("origin_location_name")
        origins = _countries(came_from, names, "origin_location_code", reading, slots)
        published = same(None, len(raw))
    else:
        pcodes, published = _located(fields, reading, slots)
    add_places(slots, known, reading)
    where = {"pcode": pcodes, "published_pcode": published, "origin_pcode": origins}
    where["as_of"] = _as_of(fields, reading)
    rejections = reading.rejections(raw)
    kept = np.flatnonzero(reading.open)
    notes = reading.noted()
    if not len(kept):
        return MappedFigures(to_figure_frame([]), [], rejections, notes, len(raw), known.frame())
    frame = figure_frame(_figure_columns(fields, dataset, kept, where, ctx))
    numbers = raw.index.to_numpy()[kept].tolist()
    return MappedFigures(frame, numbers, rejections, notes, len(raw), known.frame())


CONNECTOR = Connector(
    name=NAME,
    title="HDX HAPI v2: IDPs (IOM DTM), refugees (UNHCR), baseline population (COD-PS)",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    credentials=(CREDENTIAL,),
    settle=prefer_baseline,
)
