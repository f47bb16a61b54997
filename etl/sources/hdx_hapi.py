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
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pandera.pandas as pa
import pycountry

from etl.errors import SourceError, SourceFormatError
from etl.frames import to_figure_frame
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
    checked_records,
    credential,
    envelope_records,
    figure_record,
    json_document,
    numbered_records,
)
from etl.transport import HttpClient
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Metric, Role
from schemas.figures import RECOMMENDED_KEY
from schemas.pcodes import admin_level_of, normalise_pcode
from schemas.raw import hdx_hapi as raw
from schemas.runs import Rejection, RejectionCode

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
ASSESSMENTS = {"BA": "baseline assessment", "SA": "site assessment", "ETT": "event tracking"}
PUBLISHERS = {
    "refugees-persons-of-concern": "UNHCR Refugee Population Statistics, via HDX HAPI",
    "baseline-population": "UNFPA/OCHA Global Subnational Population Statistics (COD-PS), "
    "via HDX HAPI",
}
REFUGEES = "refugees-persons-of-concern"
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
                count = len(_records(fetched))
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
        return urlsplit(fetched.url).path.rstrip("/").rsplit("/", 1)[-1]
    try:
        fields = _fields(fetched)
    except SourceError:
        fields = set()
    for dataset, signature in SIGNATURES.items():
        if signature <= fields:
            return dataset
    return fetched.name.split(".", 1)[0]


def _is_csv(fetched: Fetched) -> bool:
    """True for a CSV table: what does not open as JSON, HTML or nothing."""
    start = fetched.body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start not in (b"{", b"[", b"<", b"")


def _fields(fetched: Fetched) -> set[str]:
    """The field names of a saved response: a CSV's header, or the keys of a page's records."""
    if _is_csv(fetched):
        return set(_csv_table(fetched)[0])
    return {str(k) for r in _records(fetched) for k in r}


def _csv_table(fetched: Fetched) -> tuple[list[str], list[list[str]]]:
    """A CSV table's header and rows, as HDX writes them (UTF-8, a BOM, CRLF line ends)."""
    where = f"{NAME}: {fetched.name}"
    try:
        text = fetched.body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{where}: not UTF-8 text: {exc}") from None
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SourceFormatError(f"{where}: not a readable CSV table: {exc}") from None
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise SourceFormatError(f"{where}: an empty CSV table (no header row)")
    header = [cell.strip() for cell in lines[0]]
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            raise SourceFormatError(
                f"{where}: line {number} has {len(line)} cells for {len(header)} columns"
            )
    return header, lines[1:]


def _csv_cell(column: str, text: str) -> object:
    """A CSV cell as the JSON API sends it: empty is null, an integer field's digits an int.

    Anything else stays text, so a count that is not a whole number fails its field's check
    by name rather than being read as something it is not.
    """
    value = text.strip()
    if not value:
        return None
    if column in CSV_INTEGERS and WHOLE.fullmatch(value):
        return int(value)
    return value


def _csv_records(fetched: Fetched) -> list[dict[str, object]]:
    """The records of a CSV table, typed as the JSON API's records."""
    header, rows = _csv_table(fetched)
    return [
        {column: _csv_cell(column, cell) for column, cell in zip(header, row, strict=True)}
        for row in rows
    ]


def _records(fetched: Fetched) -> list[dict[str, object]]:
    if _is_csv(fetched):
        return _csv_records(fetched)
    where = f"{NAME}: {fetched.name}"
    if not fetched.body.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise SourceFormatError(f"{where}: an empty response (no JSON page, no CSV header)")
    doc = json_document(fetched, where)
    if isinstance(doc, dict) and "error" in doc and "data" not in doc:
        raise SourceError(f"{where}: the upstream answered with an error: {doc['error']}")
    return envelope_records(doc, "data", where)


def read(fetched: Fetched) -> Records:
    """The records of one page, checked against what HAPI promises for that endpoint, and
    the first day the request asked for (`start_date`)."""
    dataset = dataset_of(fetched)
    if dataset not in ENDPOINTS:
        raise SourceFormatError(f"{NAME}: {fetched.name}: not a known HAPI endpoint ({dataset})")
    rows = _records(fetched)
    model = ENDPOINTS[dataset][1]
    # Every key any record has; an empty page gets the promised columns and nothing to check.
    frame = checked_records(rows, model, f"{NAME}: {fetched.name}")
    query = parse_qs(urlsplit(fetched.url or "").query)
    since = dt.date.fromisoformat(query["start_date"][0]) if "start_date" in query else None
    return Records(frame, dataset, fetched.name, since=since)


def _country_name(iso3: object, name: object) -> object:
    """The country's name as the record gives it, else ISO 3166's (the CSV tables have none)."""
    if isinstance(name, str) and name.strip():
        return name
    country = pycountry.countries.get(alpha_3=str(iso3).strip().upper())
    return country.name if country is not None else None


def _country(iso3: object, name: object, places: NewPlaces, column: str) -> str:
    pcode = ISO3_TO_PCODE.get(str(iso3).strip().upper())
    if pcode is None:
        reason = "no admin-0 P-code for this ISO3 code in schemas.countries"
        raise Refused(column, RejectionCode.COUNTRY_CODE, reason, iso3)
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
    if admin_level_of(pcode) != level or not pcode.startswith(parent):
        reason = f"not an admin-{level} COD P-code under {parent}"
        raise Refused(column, RejectionCode.PCODE_FORMAT, reason, code)
    places.add(pcode, name, level, parent)
    return pcode


def _place(row: Record, places: NewPlaces) -> tuple[str, str | None]:
    """The most specific P-code of a record with the location/admin block, and that code as
    HAPI wrote it when it differs (TCD0704 for TD0704)."""
    location = row["location_code"]
    where = _country(location, row.get("location_name"), places, "location_code")
    published = location
    for depth in range(1, int(row["admin_level"]) + 1):  # type: ignore[call-overload]
        code, name = row.get(f"admin{depth}_code"), row.get(f"admin{depth}_name")
        where = _admin(code, name, depth, where, f"admin{depth}_code", places)
        published = code
    return where, published if isinstance(published, str) and published != where else None


def _upstream_error(row: Record) -> None:
    """A record HAPI itself marks in its `error` column is refused with HAPI's words."""
    error = row.get("error")
    if isinstance(error, str) and error.strip():
        raise Refused(
            "error", RejectionCode.UPSTREAM_ERROR, f"HDX HAPI marks the record: {error}", error
        )


def _as_of(row: Record) -> pd.Timestamp:
    """A stock's as-of date: the reference period's end, or its start when open."""
    when = row.get("reference_period_end") or row.get("reference_period_start")
    if not when:
        raise Refused("reference_period_start", RejectionCode.DATE_MISSING, "no reference period")
    return _day(str(when))


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.fromisoformat(text).date())


def _before(row: Record, since: dt.date | None) -> bool:
    """True for a record ending before the start_date asked for (the server did not filter)."""
    end = row.get("reference_period_end")
    return bool(end and since and dt.datetime.fromisoformat(str(end)).date() < since)


def _split(row: Record, ignored: dict[str, int]) -> str | None:
    """'' for a total, f or m for a whole-population sex split; None for other bands."""
    gender, age = row.get("gender"), row.get("age_range")
    if age != "all" or gender not in _SEX:
        ignored[f"gender {gender} / age_range {age}: not a canonical disaggregation"] += 1
        return None
    return _SEX[str(gender)]


def _figure(ctx: MapContext, as_of: object, **fields: object) -> Record:
    return figure_record(ctx, period_start=as_of, period_end=as_of, **fields)


def _map(
    dataset: str, row: Record, ctx: MapContext, places: NewPlaces, ignored: dict[str, int]
) -> list[Record]:
    """The figures of one data record (none for a disaggregation the model does not carry)."""
    _upstream_error(row)
    origin, sex, ident, published = None, "", str(row["resource_hdx_id"]), None
    excerpt = None
    if dataset == "idps":
        kind = str(row["assessment_type"])
        metric = Metric.IDPS
        pcode, published = _place(row, places)
        # HAPI's IDP figure is IOM DTM's round summed over its displacement reasons (TCD07
        # 225,689 on 2025-01-31 is DTM's 221,543 conflict + 4,146 natural disaster). It is
        # kept apart from DTM's own figures, never added to them: its organisation is HDX
        # HAPI, not IOM DTM (schemas.figures.organisation), so a sum of one publisher's
        # parts never takes it in; it has no cause (all reasons together); and a headline
        # takes one stock per place and date, never the sum of two sources' stocks.
        publisher = f"HDX HAPI, IOM DTM {row['operation']}, {ASSESSMENTS.get(kind, kind)}"
        ident += f"/{row['operation']}/R{row['reporting_round']}/{kind}"
        excerpt = f"IDPs present, round {row['reporting_round']}, all displacement reasons"
    else:
        if dataset == REFUGEES and row["population_group"] != "REF":
            ignored[f"population_group {row['population_group']}: not refugees (REF)"] += 1
            return []
        split = _split(row, ignored)
        if split is None:
            return []
        sex, publisher = split, PUBLISHERS[dataset]
        if dataset == REFUGEES:
            asylum, came_from = row["asylum_location_code"], row["origin_location_code"]
            metric = Metric.REFUGEES
            pcode = _country(asylum, row["asylum_location_name"], places, "asylum_location_code")
            origin = _country(
                came_from, row["origin_location_name"], places, "origin_location_code"
            )
            ident += f"/{came_from}-{asylum}/REF"
        else:
            metric = Metric.POPULATION
            pcode, published = _place(row, places)
    warning = row.get("warning")
    if isinstance(warning, str) and warning.strip():
        excerpt = f"{excerpt + '; ' if excerpt else ''}HDX HAPI warns: {warning.strip()}"
    as_of = _as_of(row)
    return [
        _figure(
            ctx,
            metric=metric.value,
            pcode=pcode,
            origin_pcode=origin,
            as_of=as_of,
            value=row["population"],
            sex=sex or None,
            publisher=publisher,
            source_record_id=ident,
            published_pcode=published,
            excerpt=excerpt,
        )
    ]


def _metadata(dataset: str, row: Record, places: NewPlaces) -> None:
    """A unit of metadata/admin1 or admin2, added with its parents when the gazetteer lacks it."""
    parent = _country(row["location_code"], row["location_name"], places, "location_code")
    if dataset == "admin2":
        parent = _admin(row["admin1_code"], row["admin1_name"], 1, parent, "admin1_code", places)
    _admin(row["code"], row["name"], int(dataset[-1]), parent, "code", places)


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
    # One string per figure for its key, with every kind of missing value (None, NaN, NaT, NA)
    # read alike, so figures mapped from different pages group together.
    cells = figures.loc[scope, RECOMMENDED_KEY]
    keys = pd.Series(
        ["\x1f".join("" if pd.isna(v) else str(v) for v in row) for row in cells.itertuples(False)],
        index=cells.index,
    )
    publisher = figures.loc[scope, "publisher"].astype(str)
    baseline = publisher.str.contains(ASSESSMENTS["BA"], regex=False)
    demote = baseline.groupby(keys).transform("any") & ~baseline
    if not demote.any():
        return figures
    out = figures.copy()
    out.loc[demote[demote].index, "role"] = Role.TRIANGULATION.value
    return out


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Figures (and the places they need) from one page of one endpoint."""
    dataset, since, raw = served.dataset, served.since, served.frame
    known = NewPlaces(places)
    records: list[Record] = []
    rows: list[int] = []
    rejections: list[Rejection] = []
    ignored: dict[str, int] = defaultdict(int)
    for number, row in numbered_records(raw):
        try:
            if dataset in ("admin1", "admin2"):
                _metadata(dataset, row, known)
                continue
            if _before(row, since):
                ignored[f"records ending before start_date {since}"] += 1
                continue
            made = _map(dataset, row, ctx, known, ignored)
        except Refused as refused:
            rejections.append(refused.rejection(number, row))
            continue
        records += made
        rows += [number] * len(made)
    notes = [f"{text} ({count} records)" for text, count in sorted(ignored.items())]
    frame = prefer_baseline(to_figure_frame(records))
    return MappedFigures(frame, rows, rejections, notes, len(raw), known.frame())


CONNECTOR = Connector(
    name=NAME,
    title="HDX HAPI v2: IDPs (IOM DTM), refugees (UNHCR), baseline population (COD-PS)",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    credentials=(CREDENTIAL,),
    settle=prefer_baseline,
)
