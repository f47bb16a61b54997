"""HDX HAPI v2: IDPs (IOM DTM), refugees (UNHCR) and baseline population (COD-PS).

Each endpoint is paged per country with limit/offset until a page is short; a page is
{"data": [...]}. Places are the upstream's own P-codes; a unit the gazetteer lacks is added
from the upstream's code, name and parent (the records, or metadata/admin1 and admin2).
"""

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pandera.pandas as pa

from etl.errors import SourceAuthError, SourceError, SourceFormatError
from etl.figure_ids import figure_id
from etl.frames import to_figure_frame
from etl.sources.base import (
    Connector,
    Credentials,
    Fetched,
    MapContext,
    MappedFigures,
    NewPlaces,
    Refused,
    SourceConfig,
    checked_records,
    numbered_records,
)
from etl.transport import HttpClient
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Metric, Qualifier, Role, Unit
from schemas.figures import RECOMMENDED_KEY
from schemas.pcodes import admin_level_of
from schemas.raw import hdx_hapi as raw
from schemas.runs import Rejection

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
    key = credentials.get(CREDENTIAL)
    if not key:
        raise SourceAuthError(f"{NAME}: no app identifier (set {CREDENTIAL.upper()})")
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
    """The endpoint's last path segment (idps, baseline-population, admin2, ...)."""
    if fetched.url:
        return urlsplit(fetched.url).path.rstrip("/").rsplit("/", 1)[-1]
    return fetched.name.split(".", 1)[0]


def _records(fetched: Fetched) -> list[dict[str, object]]:
    where = f"{NAME}: {fetched.name}"
    if fetched.body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{where}: HTML where JSON was expected")
    try:
        doc = json.loads(fetched.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{where}: not valid JSON (truncated?): {exc}") from None
    if isinstance(doc, dict) and "error" in doc and "data" not in doc:
        raise SourceError(f"{where}: the upstream answered with an error: {doc['error']}")
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise SourceFormatError(f"{where}: field 'data' missing from the envelope or not a list")
    if not all(isinstance(r, dict) for r in doc["data"]):
        raise SourceFormatError(f"{where}: field 'data' holds something other than records")
    return doc["data"]


def read(fetched: Fetched) -> pd.DataFrame:
    """The records of one page, checked against what HAPI promises for that endpoint."""
    dataset = dataset_of(fetched)
    if dataset not in ENDPOINTS:
        raise SourceFormatError(f"{NAME}: {fetched.name}: not a known HAPI endpoint ({dataset})")
    rows = _records(fetched)
    model = ENDPOINTS[dataset][1]
    # Every key any record has; an empty page gets the promised columns and nothing to check.
    frame = checked_records(rows, model, f"{NAME}: {fetched.name}")
    frame.attrs["dataset"] = dataset
    return frame


def _country(iso3: object, name: object, places: NewPlaces, column: str) -> str:
    pcode = ISO3_TO_PCODE.get(str(iso3))
    if pcode is None:
        reason = "no admin-0 P-code for this ISO3 code in schemas.countries"
        raise Refused(column, "country_code", reason, iso3)
    places.add(pcode, name, 0, None)
    return pcode


def _admin(
    code: object, name: object, level: int, parent: str, column: str, places: NewPlaces
) -> str:
    if not code:
        raise Refused(column, "place_unspecified", f"admin {level} not specified upstream")
    pcode = str(code).strip().upper()
    if admin_level_of(pcode) != level or not pcode.startswith(parent):
        reason = f"not an admin-{level} COD P-code under {parent}"
        raise Refused(column, "pcode_format", reason, pcode)
    places.add(pcode, name, level, parent)
    return pcode


def _place(row: Record, places: NewPlaces) -> str:
    """The most specific P-code of a record with the location/admin block."""
    where = _country(row["location_code"], row["location_name"], places, "location_code")
    for depth in range(1, int(row["admin_level"]) + 1):  # type: ignore[call-overload]
        code, name = row.get(f"admin{depth}_code"), row.get(f"admin{depth}_name")
        where = _admin(code, name, depth, where, f"admin{depth}_code", places)
    return where


def _as_of(row: Record) -> pd.Timestamp:
    """A stock's as-of date: the reference period's end, or its start when open."""
    when = row.get("reference_period_end") or row.get("reference_period_start")
    if not when:
        raise Refused("reference_period_start", "date_missing", "no reference period")
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


def _figure(ctx: MapContext, **fields: object) -> Record:
    record: Record = {
        "source": ctx.source,
        "dataset": ctx.dataset,
        "qualifier": Qualifier.EXACT.value,
        "cause": None,
        "age_group": None,
        "unit": Unit.PEOPLE.value,
        "role": Role.RECOMMENDED.value,
        "excerpt": None,
        "source_url": ctx.source_url,
        "retrieved_at": pd.Timestamp(ctx.retrieved_at),
        "run_id": ctx.run_id,
        **fields,
    }
    record["admin_level"] = admin_level_of(str(record["pcode"]))
    record["period_start"] = record["period_end"] = record.pop("as_of")
    record["figure_id"] = figure_id(record)
    return record


def _map(
    dataset: str, row: Record, ctx: MapContext, places: NewPlaces, ignored: dict[str, int]
) -> list[Record]:
    """The figures of one data record (none for a disaggregation the model does not carry)."""
    origin, sex, ident = None, "", str(row["resource_hdx_id"])
    if dataset == "idps":
        kind = str(row["assessment_type"])
        metric, pcode = Metric.IDPS, _place(row, places)
        publisher = f"IOM DTM, {row['operation']}, {ASSESSMENTS.get(kind, kind)} (via HDX HAPI)"
        ident += f"/{row['operation']}/R{row['reporting_round']}/{kind}"
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
            metric, pcode = Metric.POPULATION, _place(row, places)
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


def to_figures(raw: pd.DataFrame, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Figures (and the places they need) from one page of one endpoint."""
    dataset = str(raw.attrs.get("dataset", ctx.dataset))
    query = parse_qs(urlsplit(ctx.source_url or "").query)
    since = dt.date.fromisoformat(query["start_date"][0]) if "start_date" in query else None
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
    dataset_of=dataset_of,
    credentials=(CREDENTIAL,),
    settle=prefer_baseline,
)
