"""IDMC (Helix external API): Internal Displacement Updates and GIDD yearly figures.

IDU (`idus/last-180-days/`, `idus/all/` for history) redirects to a JSON dump of every
country, one entry per figure of new displacement: countries and `since` apply when mapping.
Its timestamps are midnight in Pacific/Auckland written in UTC (`2023-08-02T12:00:00.000Z` is
3 August): the date of a figure is that Auckland calendar date. An entry without `role` (the
real dump has none) is a figure IDMC published as an update: recommended, unless another
recommended figure of the same country, metric and period outranks it (below).
GIDD pages DRF-style {"count", "next", "results"} on three endpoints, told apart by their
fields: `gidd/displacements/` (country-years, `conflict_`/`disaster_` counts),
`gidd/conflicts/` (country-years of conflict, counts without a prefix) and `gidd/disasters/`
(one row per event and year, with its dates and hazard). Each count comes exact and rounded
(as the GRID prints it): the exact one is the figure, the rounded one is kept beside it as
triangulation under its own publisher, never counted with it; a null is no figure, never 0.
The `client_id` parameter is never stored or shown; IDMC's `next` links carry it (twice from
page 2 on), so a page is asked for by its offset, not its link. No P-codes: all figures sit on
admin 0. The canonical keys have a cause but no event. Each IDU entry is an event of its own
(Cyclone Biparjoy's evacuations of 13 June 2023 are seven entries, one per district), so the
entries of one country, period and cause add up to one figure, as a sheet's sites add up to
their unit, naming every entry it sums: the HXL edition of the same dump gives the same
figures. Of other recommended figures of one country, metric, period and cause one counts
(the largest), the others triangulate; a disaster's event goes into the publisher so
distinct events keep distinct keys.
"""

import datetime as dt
import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

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
    all_records,
    checked_columns,
    checked_records,
    credential,
    fill_defaults,
    json_document,
    numbered_records,
    record_keys,
)
from etl.sources.columnwise import (
    Reading,
    Refusals,
    cells,
    distinct,
    on_distinct,
    same,
    same_time,
)
from etl.sources.hxl import sum_qualifier
from etl.sources.json_table import ABSENT, RecordTable, record_table
from etl.transport import HttpClient
from schemas.codes import Coded, cells_at, factorized, group_ids
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Qualifier, Role
from schemas.places import PLACE_COLUMNS
from schemas.raw.idmc import (
    GiddConflictModel,
    GiddDisasterModel,
    GiddDisplacementModel,
    IduModel,
)
from schemas.runs import Rejection, RejectionCode

NAME = "idmc"
CREDENTIAL = "idmc_client_id"
SECRET = "client_id"  # the query parameter that carries it
DEFAULT_BASE = "https://helix-tools-api.idmcdb.org/external-api"
DUMPS = ("last-180-days", "all", "all/disaster")
GIDD = "gidd-displacements"
GIDD_CONFLICTS = "gidd-conflicts"
GIDD_DISASTERS = "gidd-disasters"
# endpoint (the path after gidd/) -> dataset, and the row model of each
GIDD_ENDPOINTS = {"displacements": GIDD, "conflicts": GIDD_CONFLICTS, "disasters": GIDD_DISASTERS}
GIDD_MODELS = {
    GIDD: GiddDisplacementModel,
    GIDD_CONFLICTS: GiddConflictModel,
    GIDD_DISASTERS: GiddDisasterModel,
}
# IDU timestamps are local midnight where IDMC's server runs, written in UTC.
IDU_ZONE = ZoneInfo("Pacific/Auckland")
DEFAULT_LIMIT = 100
QUALIFIERS = {
    "total": Qualifier.EXACT, "exact": Qualifier.EXACT, "approximately": Qualifier.APPROXIMATELY,
    "more than": Qualifier.MORE_THAN, "more than or equal": Qualifier.MORE_THAN,
    "less than": Qualifier.LESS_THAN, "less than or equal": Qualifier.LESS_THAN,
}  # fmt: skip
ROLES = {
    "recommended figure": Role.RECOMMENDED,
    "triangulation": Role.TRIANGULATION,
    "triangulation figure": Role.TRIANGULATION,
}
CAUSES = {"conflict": Cause.CONFLICT, "disaster": Cause.DISASTER, "other": Cause.OTHER}
GIDD_CELLS = {  # column -> (metric, cause)
    "conflict_new_displacement": (Metric.NEW_DISPLACEMENTS, Cause.CONFLICT),
    "conflict_total_displacement": (Metric.IDPS, Cause.CONFLICT),
    "disaster_new_displacement": (Metric.NEW_DISPLACEMENTS, Cause.DISASTER),
    "disaster_total_displacement": (Metric.IDPS, Cause.DISASTER),
}
# gidd/conflicts/ and gidd/disasters/ name their counts without the cause
CONFLICT_CELLS = {
    "new_displacement": (Metric.NEW_DISPLACEMENTS, Cause.CONFLICT),
    "total_displacement": (Metric.IDPS, Cause.CONFLICT),
}
DISASTER_CELLS = {"new_displacement": Metric.NEW_DISPLACEMENTS, "total_displacement": Metric.IDPS}
GIDD_PUBLISHER = "IDMC, Global Internal Displacement Database (GIDD), {}"
ROUNDED = " (rounded)"  # the publisher of a figure as IDMC rounds it for the GRID
CAUSE_WORDS = {Cause.CONFLICT: "conflict and violence", Cause.DISASTER: "disasters"}
# IDMC's definitions (GIDD serializer help texts), the excerpt of a GIDD figure.
DEFINITIONS = {
    Metric.NEW_DISPLACEMENTS: "Internal displacements (flows) due to {} over {}",
    Metric.IDPS: "IDPs (stock) due to {} at the end of {}",
}
TAG = re.compile(r"<[^>]+>")
# The fields of the recommended key (RECOMMENDED_KEY) an IDMC figure has a value of its own in:
# the others (origin, sex, age group, unit) are one value for every figure.
KEY_FIELDS = ("metric", "pcode", "period_start", "period_end", "cause")
Record = dict[str, object]


def fetch(client: HttpClient, cfg: SourceConfig, credentials: Credentials) -> Iterator[Fetched]:
    """The IDU dump (one response) and every GIDD page, as the options say."""
    key = credential(credentials, CREDENTIAL, NAME, "client id")
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/")
    for dataset in cfg.options.get("datasets", ["idu", "gidd"]):
        if dataset == "idu":
            yield _fetch_idu(client, cfg, base, str(key))
        elif dataset == "gidd":
            yield from _fetch_gidd(client, cfg, base, str(key))
        else:
            raise SourceError(f"{NAME}: unknown dataset {dataset!r} in the options (idu, gidd)")


def _fetch_idu(client: HttpClient, cfg: SourceConfig, base: str, key: str) -> Fetched:
    dump = str(cfg.options.get("idu_dump", DUMPS[0]))
    if dump not in DUMPS:
        raise SourceError(f"{NAME}: idu_dump {dump!r} is not one of {', '.join(DUMPS)}")
    url = f"{base}/idus/{dump}/"
    response = client.get(NAME, url, params={SECRET: key}, secrets=frozenset({SECRET}))
    if response.status_code == 202:  # IDMC answers [] while it builds the dump
        raise SourceError(f"{NAME}: {response.url}: HTTP 202: the dump is being built, retry later")
    wanted = {"iso3": ",".join(cfg.countries), "since": cfg.since.isoformat() if cfg.since else ""}
    name = f"idus-{dump.replace('/', '-')}?{urlencode({k: v for k, v in wanted.items() if v})}"
    return Fetched(name, response.content, response.url, dt.datetime.now(dt.UTC))


def _fetch_gidd(client: HttpClient, cfg: SourceConfig, base: str, key: str) -> Iterator[Fetched]:
    """Every page of each configured GIDD endpoint (option `gidd_endpoints`)."""
    endpoints = [str(e) for e in cfg.options.get("gidd_endpoints", ["displacements"])]
    for endpoint in endpoints:
        if endpoint not in GIDD_ENDPOINTS:
            known = ", ".join(GIDD_ENDPOINTS)
            raise SourceError(f"{NAME}: gidd_endpoints {endpoint!r} is not one of {known}")
    for endpoint in endpoints:
        yield from _fetch_gidd_endpoint(client, cfg, base, endpoint, key)


def _fetch_gidd_endpoint(
    client: HttpClient, cfg: SourceConfig, base: str, endpoint: str, key: str
) -> Iterator[Fetched]:
    path = f"/gidd/{endpoint}/"
    url, dataset = base + path, GIDD_ENDPOINTS[endpoint]
    params: dict[str, object] = {"limit": int(cfg.options.get("limit", DEFAULT_LIMIT)), "offset": 0}
    if cfg.countries:
        params["iso3__in"] = ",".join(cfg.countries)
    if cfg.since:
        params["start_year"] = cfg.since.year
    if cfg.options.get("year_to"):
        params["end_year"] = int(cfg.options["year_to"])
    served, page, secret = 0, 1, frozenset({SECRET})
    while True:
        got = client.get(NAME, url, params={**params, SECRET: key}, secrets=secret)
        fetched = Fetched(f"{dataset}.{page}.json", got.content, got.url, dt.datetime.now(dt.UTC))
        doc = _gidd_page(fetched)
        yield fetched
        served += len(doc["results"])
        if doc["next"] is None and served < doc["count"]:
            problem = f"field 'count' is {doc['count']}, {served} served"
            raise SourceFormatError(f"{NAME}: {fetched.name}: {problem}")
        if doc["next"] is None:
            return
        params = _next_page(str(doc["next"]), params, fetched, path)
        page += 1


def _next_page(
    link: str, params: dict[str, object], fetched: Fetched, path: str
) -> dict[str, object]:
    """The query of IDMC's `next` link less its client id (every copy of it), checked to
    move forward on the same endpoint."""
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != SECRET}
    offset = query.get("offset", "")
    if not parts.path.endswith(path) or not offset.isdigit():
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'next' is not a next page link")
    if int(offset) <= int(str(params["offset"])):
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'next' does not move forward")
    return dict(query)


def dataset_of(fetched: Fetched) -> str:
    """idus-last-180-days, idus-all, idus-all-disaster (idus for a saved dump), or the GIDD
    endpoint's dataset: gidd-displacements, gidd-conflicts or gidd-disasters."""
    return _dataset_of(fetched, _Page(fetched))


class _Page:
    """A GIDD page, parsed once however often it is asked for (its dataset, then its rows)."""

    def __init__(self, fetched: Fetched) -> None:
        self.fetched = fetched
        self.doc: dict | None = None
        self.error: SourceFormatError | None = None

    def __call__(self) -> dict:
        """The checked page; the same SourceFormatError each time when it is not one."""
        if self.error is not None:
            raise self.error
        if self.doc is None:
            try:
                self.doc = _gidd_page(self.fetched)
            except SourceFormatError as error:
                self.error = error
                raise
        return self.doc

    @functools.cached_property
    def table(self) -> RecordTable | None:
        """The page's rows as columns where every row has the first's fields and the page is
        whole (a count, a next link, rows); None for any other page, which `__call__` reads
        and refuses as it must."""
        table = record_table(self.fetched.body, "results", ("count", "next"))
        whole = table is not None and table.envelope["next"] is not ABSENT
        return table if whole and isinstance(table.envelope["count"], int) else None

    @functools.cached_property
    def keys(self) -> list[str]:
        """Every field its rows have, looked for once (they name the endpoint, then become
        the columns read)."""
        table = self.table
        return table.keys if table is not None else record_keys(self()["results"])


def _dataset_of(fetched: Fetched, page: _Page) -> str:
    path = urlsplit(fetched.url or "").path
    if "/idus/" in path:
        return "idus-" + path.split("/idus/", 1)[1].strip("/").replace("/", "-")
    stem = re.split(r"[?._]", fetched.name, maxsplit=1)[0]
    if "/gidd/" not in path:
        if stem.startswith("idus"):
            return stem
        if not stem.startswith("gidd") and fetched.body.lstrip()[:1] == b"[":
            return "idus"  # a bare array is the IDU dump, whatever the file is called
    return _gidd_dataset(page, path, stem)


def _gidd_dataset(page: _Page, path: str, stem: str) -> str:
    """The endpoint a GIDD page came from: by its rows' fields; for a page without rows (or
    one that does not parse, which `read` refuses), by its URL, then its name."""
    try:
        fields = set(page.keys)
    except SourceFormatError:
        fields = set()
    by_fields = gidd_endpoint(fields)
    if by_fields is not None:
        return by_fields
    for endpoint, dataset in GIDD_ENDPOINTS.items():
        if path.endswith(f"/gidd/{endpoint}/"):
            return dataset
    return stem if stem in GIDD_MODELS else GIDD


def gidd_endpoint(fields: set[str]) -> str | None:
    """The GIDD dataset whose rows have these fields; None when they match none.

    `gidd/displacements/` prefixes its counts with the cause; `gidd/disasters/` gives events,
    with their names, dates and hazard; `gidd/conflicts/` has bare counts and neither.
    """
    if any(f.startswith(("conflict_", "disaster_")) for f in fields):
        return GIDD
    if fields & {"event_name", "start_date", "end_date"} or any(
        f.startswith("hazard_") for f in fields
    ):
        return GIDD_DISASTERS
    if fields & {"new_displacement", "total_displacement"}:
        return GIDD_CONFLICTS
    return None


def _json(fetched: Fetched) -> object:
    return json_document(fetched, f"{NAME}: {fetched.name}")


def _gidd_page(fetched: Fetched) -> dict:
    doc = _json(fetched)
    where = f"{NAME}: {fetched.name}"
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list) or not all_records(results):
        raise SourceFormatError(f"{where}: field 'results' missing from the page or not a list")
    if not isinstance(doc.get("count"), int) or "next" not in doc:
        raise SourceFormatError(f"{where}: field 'count' or 'next' missing from the page")
    if not results and (doc["next"] is not None or doc["count"] > 0):
        raise SourceFormatError(f"{where}: no results on a page that promises more")
    return doc


def read(fetched: Fetched) -> Records:
    """The IDU entries or GIDD rows of one response, checked against what IDMC promises, and
    the countries and first day the configuration asked for (an IDU dump holds every one)."""
    page = _Page(fetched)
    dataset = _dataset_of(fetched, page)
    where = f"{NAME}: {fetched.name}"
    table = page.table if dataset in GIDD_MODELS else None
    if table is not None:
        frame = checked_columns(table.keys, table.cells, GIDD_MODELS[dataset], where)
    elif dataset in GIDD_MODELS:
        frame = checked_records(page()["results"], GIDD_MODELS[dataset], where, page.keys)
    elif (entries := record_table(fetched.body, None)) is not None:
        frame = checked_columns(entries.keys, entries.cells, IduModel, where)
    else:
        rows = _json(fetched)
        if not isinstance(rows, list) or not all_records(rows):
            raise SourceFormatError(f"{where}: not a JSON array of IDU entries")
        frame = checked_records(rows, IduModel, where)
    wanted = parse_qs(fetched.name.split("?", 1)[1]) if "?" in fetched.name else {}
    countries = tuple(wanted["iso3"][0].split(",")) if "iso3" in wanted else ()
    since = dt.date.fromisoformat(wanted["since"][0]) if "since" in wanted else None
    return Records(frame, dataset, fetched.name, countries=countries, since=since)


def _admin0(iso3: object) -> str | None:
    return ISO3_TO_PCODE.get(str(iso3))


def _is_name(name: object) -> bool:
    return isinstance(name, str) and bool(name.strip())


def _new_place(code: str, name: str) -> Record:
    cells = [code, "admin", name.strip(), None, 0, None, None, None]
    return dict(zip(PLACE_COLUMNS, cells, strict=True))


def _countries(
    iso3: np.ndarray, names: np.ndarray, reading: Reading, places: pd.DataFrame
) -> tuple[Coded, pd.DataFrame | None]:
    """The admin-0 P-code of each record's country (coded: each record numbered by its code
    as served), and the countries the gazetteer lacks (each named by the first record that
    names it, in the order of those records).

    A code no country has is refused; so is a record that names a country to add without a
    name, unless a record before it added the country.
    """
    # Each code's P-code and whether the gazetteer has it, found once per code.
    code, first = distinct(iso3)
    countries = [_admin0(iso3[position]) for position in first]
    pcodes = Coded.of(code, countries)

    def no_country(at: np.ndarray) -> Refusals:
        reason = "no admin-0 P-code for this code"
        return Refusals("iso3", RejectionCode.COUNTRY_CODE, reason, iso3[at])

    reading.check_all(np.array([c is None for c in countries], dtype=bool)[code], no_country)
    known = set(places["pcode"].tolist()) if "pcode" in places else set()
    lacking = np.array([c not in known for c in countries], dtype=bool)[code]
    at = np.flatnonzero(reading.open & lacking)
    if not len(at):
        return pcodes, None
    country, codes = pd.factorize(pcodes[at])
    named = on_distinct(_is_name, names[at]).astype(bool)
    adding, first = np.unique(country[named], return_index=True)
    naming = np.full(len(codes), len(iso3))  # the first record naming each; none: past all
    naming[adding] = at[named][first]
    unnamed = np.zeros(len(iso3), dtype=bool)
    unnamed[at[at < naming[country]]] = True  # before the first record that names its country

    def no_name(at: np.ndarray) -> Refusals:
        reasons = on_distinct("{} is not in the gazetteer, no name".format, pcodes.at(at))
        return Refusals("iso3", RejectionCode.PLACE_NAME, reasons)

    reading.check_all(unnamed, no_name)
    if not len(adding):
        return pcodes, None
    added = np.sort(naming[adding])  # in the order of the records that name them
    new = [_new_place(pcodes[position], names[position]) for position in added]
    return pcodes, pd.DataFrame(new, columns=PLACE_COLUMNS)


def _wanted(served: Records, reading: Reading) -> None:
    """Leave out the records of countries not asked for (the IDU dump holds every one)."""
    if served.countries:
        iso3 = pd.Series(cells(served.frame, "iso3"), dtype=object)
        reading.leave_out(~iso3.isin(list(served.countries)).to_numpy())


def _columns(ctx: MapContext, count: int, fields: dict[str, np.ndarray]) -> dict[str, object]:
    """Every canonical column of `count` admin-0 figures: the run's, the defaults, `fields`."""
    columns: dict[str, object] = {
        "source": Coded.constant(ctx.source, count),
        "dataset": Coded.constant(ctx.dataset, count),
        "source_url": Coded.constant(ctx.source_url, count),
        "retrieved_at": same_time(ctx.retrieved_at, count),
        "run_id": Coded.constant(ctx.run_id, count),
        "admin_level": Coded.constant(0, count),
        **fields,
    }
    fill_defaults(columns, count)
    published = columns["published_pcode"]  # kept only where it differs from the P-code
    if not isinstance(published, Coded):  # (coded: settled per country already)
        columns["published_pcode"] = np.where(published == columns["pcode"], None, published)
    return columns


def _mapped(
    columns: dict[str, object] | None,
    numbers: list[int],
    rejections: list[Rejection],
    rows_read: int,
    new_places: pd.DataFrame | None,
) -> MappedFigures:
    """The figures of `columns` (none when None), their ids hashed, and the rest as given."""
    if columns is None:
        figures = to_figure_frame([])
    else:
        columns["figure_id"] = figure_ids(columns)
        figures = figure_frame(columns)
    return MappedFigures(figures, numbers, rejections, [], rows_read, new_places)


# --- IDU ----------------------------------------------------------------------------------------

IDU_PUBLISHER = "IDMC, Internal Displacement Updates"


def _idu_day(value: object) -> tuple[dt.date | None, bool]:
    """The calendar date IDMC means by an IDU date, and whether the value is no such date: a
    plain date as written; a timestamp is midnight in Pacific/Auckland written in UTC, so its
    date is the Auckland date (never the first ten characters, a day early)."""
    if not isinstance(value, str) or not value.strip():
        return None, False
    stamp = dt.datetime.fromisoformat(value.strip())  # the raw model checked the form
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(IDU_ZONE)
    if stamp.time() != dt.time(0):
        return None, True
    return stamp.date(), False


def _idu_days(raw: pd.DataFrame, column: str, reading: Reading, asked: np.ndarray) -> np.ndarray:
    """The day of each entry's `column` (NaT for none), refusing where `asked` a timestamp
    that is not midnight in Auckland."""
    served = cells(raw, column)
    codes, uniques = factorized(served)
    readings = [_idu_day(value) for value in uniques]
    days = np.array([day for day, _ in readings], dtype="datetime64[us]")[codes]
    wrong = np.array([bad for _, bad in readings], dtype=bool)[codes]

    def not_midnight(position: int) -> Refused:
        reason = "not midnight in Pacific/Auckland, so not a calendar date IDMC means"
        return Refused(column, RejectionCode.DATE_TIME_OF_DAY, reason, served[position])

    reading.check(wrong & asked, not_midnight)
    return days


def _idu_period(raw: pd.DataFrame, reading: Reading) -> tuple[np.ndarray, np.ndarray]:
    """The first and last day of each entry's flow: one date given, it starts and ends on
    it; neither, on `displacement_date`; an entry without any is refused."""
    everywhere = np.ones(len(raw), dtype=bool)
    start = _idu_days(raw, "displacement_start_date", reading, everywhere)
    end = _idu_days(raw, "displacement_end_date", reading, everywhere)
    start, end = np.where(np.isnat(start), end, start), np.where(np.isnat(end), start, end)
    undated = np.isnat(start)
    day = _idu_days(raw, "displacement_date", reading, undated)
    start, end = np.where(undated, day, start), np.where(undated, day, end)

    def no_date(_: int) -> Refused:
        reason = "no date for the flow"
        return Refused("displacement_start_date", RejectionCode.DATE_MISSING, reason)

    reading.check(np.isnat(start), no_date)
    return start, end


def _words(text: object) -> str | None:
    """IDMC's popup text without its HTML (the figure, the excerpt and the source)."""
    if not isinstance(text, str) or not text.strip():
        return None
    return " ".join(html.unescape(TAG.sub(" ", text)).split())


def _qualifier(value: object) -> str:
    return QUALIFIERS[str(value).strip().lower()].value


def _cause(value: object) -> str:
    return CAUSES[str(value).strip().lower()].value


def _role(value: object) -> str:
    """IDMC's role; none (the real dump has none): a published update, recommended."""
    return ROLES[str(value).strip().lower()].value if value else Role.RECOMMENDED.value


def _idu_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """A flow per IDU entry from the first day asked for, the entries of one country, period
    and cause added up."""
    raw = served.frame
    reading = Reading(len(raw))
    _wanted(served, reading)
    asked = reading.open
    period = _idu_period(raw, reading)
    iso3 = cells(raw, "iso3")
    pcodes, new_places = _countries(iso3, cells(raw, "country"), reading, places)
    early = np.zeros(len(raw), dtype=bool)
    if served.since is not None:  # before the configured window: not read
        early = reading.open & (period[1] < np.datetime64(served.since, "us"))
        reading.leave_out(early)
    rows = np.flatnonzero(reading.open)
    rejections = reading.rejections(raw)
    rows_read = int((asked & ~early).sum())
    entries = _idu_entries(raw, rows, iso3, pcodes, period)
    figures, refused = _add_up_idu(raw, rows, entries)
    if not len(figures):
        return _mapped(None, [], rejections + refused, rows_read, new_places)
    columns = _columns(ctx, len(figures), {k: v[figures] for k, v in entries.items()})
    numbers = raw.index.to_numpy()[rows[figures]].tolist()
    return _mapped(columns, numbers, rejections + refused, rows_read, new_places)


def _idu_entries(
    raw: pd.DataFrame,
    rows: np.ndarray,
    iso3: np.ndarray,
    pcodes: np.ndarray,
    period: tuple[np.ndarray, np.ndarray],
) -> dict[str, np.ndarray]:
    """The fields of the figure of each entry read (`rows`)."""
    ids = np.fromiter(map(str, cells(raw, "id")[rows]), dtype=object, count=len(rows))
    words = on_distinct(_words, cells(raw, "standard_popup_text")[rows])
    return {
        "pcode": pcodes[rows],
        "published_pcode": iso3[rows],
        "source_record_id": ids,
        "publisher": f"{IDU_PUBLISHER}, figure " + ids,
        "metric": same(Metric.NEW_DISPLACEMENTS.value, len(rows)),
        "period_start": period[0][rows],
        "period_end": period[1][rows],
        "value": cells(raw, "figure")[rows],
        "qualifier": on_distinct(_qualifier, cells(raw, "qualifier")[rows]),
        "cause": on_distinct(_cause, cells(raw, "displacement_type")[rows]),
        "role": on_distinct(_role, cells(raw, "role")[rows]),
        "excerpt": np.where(words.astype(bool), words, cells(raw, "event_name")[rows]),
    }


def _add_up_idu(
    raw: pd.DataFrame, rows: np.ndarray, entries: dict[str, np.ndarray]
) -> tuple[np.ndarray, list[Rejection]]:
    """The recommended IDU entries of one country, period and cause as one figure (their
    sum), which stays where the first entry it sums was; an entry IDMC marks as triangulation
    stays as it is. The entries that remain figures, and the refusals of sums that cannot be."""
    recommended = np.flatnonzero(entries["role"] == Role.RECOMMENDED.value)
    everyone = np.arange(len(rows))
    if not len(recommended):
        return everyone, []
    group = group_ids(*(entries[k][recommended] for k in KEY_FIELDS))
    several = np.bincount(group)[group] > 1
    if not several.any():
        return everyone, []
    members, group = recommended[several], group[several]
    order = np.argsort(group, kind="stable")
    split = np.flatnonzero(np.diff(group[order])) + 1
    events = _idu_events(raw, rows, entries["source_record_id"])
    dropped: list[np.ndarray] = []
    refused: list[np.ndarray] = []
    # one group after another in the order of their first entries, as a refusal names them
    for parts in sorted(np.split(members[order], split), key=lambda p: int(p[0])):
        if _sum_into_first(parts, entries, events):
            dropped.append(parts[1:])
        else:
            refused.append(parts)
    dropped += refused
    kept = np.setdiff1d(everyone, np.concatenate(dropped), assume_unique=True)
    return kept, _sum_refusals(refused, raw, rows, entries)


def _idu_events(raw: pd.DataFrame, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The event of each entry read (`rows`; `ids`, their ids): its name, else the entry
    itself (each entry is an event of its own)."""
    names = cells(raw, "event_name")[rows]
    return np.where(names.astype(bool), names, "entry " + ids)


def _sum_into_first(
    parts: np.ndarray, entries: dict[str, np.ndarray], events: np.ndarray
) -> bool:
    """Make the first of the entries `parts` the figure of their sum, naming every entry;
    False, changing nothing, when their qualifiers pull both ways (no sum is true)."""
    qualifier = sum_qualifier(set(entries["qualifier"][parts].tolist()))
    if qualifier is None:
        return False
    ids = entries["source_record_id"][parts].tolist()
    named = dict.fromkeys(map(str, events[parts].tolist()))
    first = parts[0]
    entries["value"][first] = sum(map(int, entries["value"][parts].tolist()))
    entries["qualifier"][first] = qualifier
    entries["source_record_id"][first] = ";".join(ids)
    entries["publisher"][first] = f"{IDU_PUBLISHER}, sum of the entries of the period"
    entries["excerpt"][first] = (
        f"sum of {len(parts)} IDU entries ({', '.join(ids)}) of this country, period "
        f"and cause: {'; '.join(named)}"
    )
    return True


def _sum_refusals(
    refused: list[np.ndarray], raw: pd.DataFrame, rows: np.ndarray, entries: dict[str, np.ndarray]
) -> list[Rejection]:
    """A refusal of each entry of the sums (`refused`) whose qualifiers pull both ways."""
    if not refused:
        return []
    reason = "the entries of this period mix 'more than' and 'less than': no sum"
    parts = np.concatenate(refused)
    records = numbered_records(raw.iloc[rows[parts]])
    return [
        Rejection(number, "qualifier", RejectionCode.SUM_QUALIFIER, reason,
                  entries["qualifier"][part], record)
        for part, (number, record) in zip(parts, records, strict=True)
    ]  # fmt: skip


# --- GIDD ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Count:
    """A figure a GIDD row may give: a count, exact or as IDMC rounds it."""

    column: str  # the exact count's column
    metric: Metric
    cause: Cause
    rounded: bool

    @property
    def served(self) -> str:
        """The column it is served in."""
        return f"{self.column}_rounded" if self.rounded else self.column

    @property
    def flow(self) -> bool:
        """Whether it counts over the year (a flow), not at its end (a stock)."""
        return self.metric == Metric.NEW_DISPLACEMENTS

    @property
    def publisher(self) -> str:
        """Its publisher, before an event's label."""
        return GIDD_PUBLISHER.format(CAUSE_WORDS[self.cause])

    def head(self, year: int) -> str:
        """The excerpt up to the place: IDMC's definition, and whether it is rounded."""
        words = DEFINITIONS[self.metric].format(CAUSE_WORDS[self.cause], year)
        return f"{words} ({ROUNDED_WORDS if self.rounded else 'not rounded'})"


ROUNDED_WORDS = "rounded figures at national level"  # IDMC's words for its rounded counts


def _counts(dataset: str) -> list[_Count]:
    """The figures a row of `dataset` may give, in the order a row gives them: each count,
    exact then rounded."""
    if dataset == GIDD_DISASTERS:
        kinds = {column: (metric, Cause.DISASTER) for column, metric in DISASTER_CELLS.items()}
    else:
        kinds = GIDD_CELLS if dataset == GIDD else CONFLICT_CELLS
    return [
        _Count(column, metric, cause, rounded)
        for column, (metric, cause) in kinds.items()
        for rounded in (False, True)
    ]


def _event_date(value: object) -> pd.Timestamp | None:
    """A GIDD date: YYYY-MM-DD, a calendar date (the raw model allows nothing else)."""
    return pd.Timestamp(dt.date.fromisoformat(value)) if isinstance(value, str) else None


def _event_period(start_date: object, end_date: object, year: int) -> tuple[object, ...]:
    """The first and last day of the reporting year the event spans (its figure counts
    displacements over that year, so an event running over New Year gives each year its own
    part), or the check its dates fail: PERIOD, EVENT_DATES."""
    start, end = _event_date(start_date), _event_date(end_date)
    if start is not None and end is not None and end < start:
        return None, None, RejectionCode.PERIOD  # it ends before it starts
    first = max(start, pd.Timestamp(year, 1, 1)) if start else pd.Timestamp(year, 1, 1)
    last = min(end, pd.Timestamp(year, 12, 31)) if end else pd.Timestamp(year, 12, 31)
    if last < first:
        return None, None, RejectionCode.EVENT_DATES
    return first, last, None


def _event_periods(
    raw: pd.DataFrame, years: np.ndarray, reading: Reading
) -> tuple[np.ndarray, np.ndarray]:
    """The days of each event's reporting year it spans, refusing an event that ends before
    it starts or whose dates lie outside its year."""
    starts, ends = cells(raw, "start_date"), cells(raw, "end_date")
    key, firsts = distinct(starts, ends, years)
    periods = [_event_period(starts[p], ends[p], years[p]) for p in firsts]
    failed = np.array([check for _, _, check in periods], dtype=object)[key]

    def backwards(position: int) -> Refused:
        reason = "the event ends before it starts"
        return Refused("end_date", RejectionCode.PERIOD, reason, ends[position])

    def outside(position: int) -> Refused:
        reason = f"the event's dates lie outside its reporting year {years[position]}"
        return Refused("start_date", RejectionCode.EVENT_DATES, reason, starts[position])

    reading.check(failed == RejectionCode.PERIOD, backwards)
    reading.check(failed == RejectionCode.EVENT_DATES, outside)
    first = np.array([day for day, _, _ in periods], dtype="datetime64[us]")[key]
    last = np.array([day for _, day, _ in periods], dtype="datetime64[us]")[key]
    return first, last


def _codes_text(codes: object) -> str | None:
    return ", ".join(codes) if isinstance(codes, list) and codes else None


def _event_label(name: object, start: object, end: object, codes: object) -> str:
    """The event as IDMC names it, with its dates and codes: several events of a country and
    year may share a name, and the label keeps their figures apart."""
    label = f"{str(name).strip()} ({start or '?'} to {end or '?'})"
    return f"{label} [{codes}]" if codes is not None else label


def _hazard(*names: object) -> str:
    return " / ".join(dict.fromkeys(str(n).strip() for n in names if n)) or "hazard not given"


def _events(raw: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The label and hazard of the event of each row read (`rows`)."""
    codes = cells(raw, "event_codes")[rows]
    texts = np.fromiter(map(_codes_text, codes), dtype=object, count=len(rows))
    served = (cells(raw, c)[rows] for c in ("event_name", "start_date", "end_date"))
    labels = on_distinct(_event_label, *served, texts)
    kinds = ("category", "sub_category", "type", "sub_type")
    hazards = on_distinct(_hazard, *(cells(raw, f"hazard_{k}_name")[rows] for k in kinds))
    return labels, hazards


def _year_days(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 January and 31 December of each year."""
    first = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    last = (years - 1969).astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(1, "D")
    return first.astype("datetime64[us]"), last.astype("datetime64[us]")


def _given(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a table of counts (as the raw model holds them: Python ints or null) gives one,
    and the counts given, in order, as 64-bit integers (typed once for the frame and for
    ranking; as served where one is beyond 64 bits)."""
    # JSON's null is None, found by identity at half the cost of testing for NaN too; a NaN
    # (read from a 'NaN' literal) cannot become an integer, and sends the table to pandas.
    given = table != None  # noqa: E711 (elementwise)
    try:
        return given, table[given].astype(np.int64)
    except (OverflowError, ValueError):
        given = ~pd.isna(table)
        try:
            return given, table[given].astype(np.int64)
        except OverflowError:
            return given, table[given]


@dataclass(frozen=True)
class _GiddFigures:
    """The figures of the rows read of a GIDD page (a null is no figure), row by row and each
    row's in the order of its counts: of each, its row (in `rows`) and count (in `counts`)."""

    raw: pd.DataFrame
    counts: list[_Count]
    rows: np.ndarray  # the rows read, positions in `raw`
    at: np.ndarray  # each figure's row, a position in `rows`
    kind: np.ndarray  # each figure's count, a position in `counts`
    values: np.ndarray
    beside_exact: np.ndarray  # whether it is a rounding whose exact count is given too
    year: np.ndarray  # each row's year, a position in `years`
    years: list[int]  # the rows' years, each once

    @classmethod
    def of(cls, raw: pd.DataFrame, dataset: str, rows: np.ndarray) -> "_GiddFigures":
        """The figures of the rows `rows` of `raw`, a `dataset` page."""
        counts = _counts(dataset)
        table = np.column_stack([cells(raw, count.served)[rows] for count in counts])
        given, values = _given(table)
        at, kind = np.nonzero(given)  # row by row
        rounded = np.array([count.rounded for count in counts])[kind]
        beside_exact = rounded & given[at, kind - rounded]
        # The raw model holds every year a whole number: numbered as 64-bit integers.
        year, years = pd.factorize(cells(raw, "year")[rows].astype(np.int64))
        return cls(raw, counts, rows, at, kind, values, beside_exact, year, years.tolist())

    def of_count(self, values: list[object]) -> np.ndarray:
        """What each figure's count has among `values`, one per count."""
        table = np.empty(len(values), dtype=object)
        table[:] = values
        return table[self.kind]

    def coded(self, values: list[object]) -> Coded:
        """What each figure's count has among `values`, one per count, as codes: the count
        is each figure's number into them."""
        return Coded.of(self.kind, values)

    def fields(
        self, spans: tuple[np.ndarray, np.ndarray] | None
    ) -> dict[str, np.ndarray | Coded]:
        """The fields of every figure but its place; an event's (`spans`, per row of `raw`,
        for a disasters page) named and dated as the event."""
        exact, rounded = Qualifier.EXACT.value, Qualifier.APPROXIMATELY.value
        return {
            "value": self.values,
            "metric": self.coded([count.metric.value for count in self.counts]),
            "cause": self.coded([count.cause.value for count in self.counts]),
            "qualifier": self.coded([rounded if c.rounded else exact for c in self.counts]),
            # coded: a rounding beside its exact count triangulates (code 1)
            "role": Coded.of(self.beside_exact, [Role.RECOMMENDED.value, Role.TRIANGULATION.value]),
            **self._periods(spans),
            **self._texts(events=spans is not None),
        }

    def _periods(
        self, spans: tuple[np.ndarray, np.ndarray] | None
    ) -> dict[str, np.ndarray | Coded]:
        """A flow's days: the year, or the days of it an event spans; a stock's: the year's
        last."""
        first, last = _year_days(np.asarray(self.years).astype(np.int64))  # each year's, once
        year = self.year[self.at]
        flow = np.array([count.flow for count in self.counts])[self.kind]
        if spans is not None:
            where = self.rows[self.at]
            last = np.where(flow, spans[1][where], last[year])
            return {"period_start": np.where(flow, spans[0][where], last), "period_end": last}
        # Coded by each figure's year and whether it counts a flow: numbered 2 * year + flow,
        # a year's last day then its first.
        starts = np.column_stack([last, first]).ravel()
        return {
            "period_start": Coded.of(year * 2 + flow, starts),
            "period_end": Coded.of(year, last),
        }

    def _texts(self, events: bool) -> dict[str, np.ndarray | Coded]:
        """Each figure's record id, publisher and excerpt; an event's naming the event."""
        rows, raw, at, year, years = self.rows, self.raw, self.at, self.year, self.years
        names = [count.publisher for count in self.counts]
        rounded = [ROUNDED if count.rounded else "" for count in self.counts]
        # What each count gives in each year, made once; each figure's found by its count's
        # and year's numbers, so that a figure's text takes one join with its row's.
        of_year = self.kind * len(years) + year[at]
        heads = [count.head(int(y)) for count in self.counts for y in years]
        if not events:
            ends = [f"/{y}/{count.served}" for count in self.counts for y in years]
            return {
                "source_record_id": cells(raw, "iso3")[rows[at]] + _text_array(ends)[of_year],
                # one text for a count's figures (coded: hashed and typed once)
                "publisher": self.coded([n + tail for n, tail in zip(names, rounded, strict=True)]),
                "excerpt": _text_array([h + ", " for h in heads])[of_year]
                + cells(raw, "country_name")[rows[at]],
            }
        labels, hazards = _events(raw, rows)
        ids = cells(raw, "iso3")[rows] + _text_array([f"/{y}/" for y in years])[year] + labels
        tails = ", " + cells(raw, "country_name")[rows] + ": " + labels + "; " + hazards
        return {
            "source_record_id": ids[at] + self.of_count(["/" + c.served for c in self.counts]),
            "publisher": self.of_count(names) + ", event " + labels[at] + self.of_count(rounded),
            "excerpt": _text_array(heads)[of_year] + tails[at],
        }


def _text_array(texts: list[str]) -> np.ndarray:
    """Texts as an object array (never cut short, as numpy's own text arrays would)."""
    return np.array(texts, dtype=object)


def _gidd_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """A country-year's (or an event's) flows over the year and stocks at its end, each
    count exact (the figure) and as IDMC rounds it (triangulation beside it)."""
    raw = served.frame
    reading = Reading(len(raw))
    _wanted(served, reading)
    rows_read = int(reading.open.sum())
    iso3 = cells(raw, "iso3")
    pcodes, new_places = _countries(iso3, cells(raw, "country_name"), reading, places)
    events = served.dataset == GIDD_DISASTERS
    spans = _event_periods(raw, cells(raw, "year"), reading) if events else None
    rejections = reading.rejections(raw)
    figures = _GiddFigures.of(raw, served.dataset, np.flatnonzero(reading.open))
    if not len(figures.at):
        return _mapped(None, [], rejections, rows_read, new_places)
    rows = figures.rows[figures.at]
    # Each figure's country by the number of its row's code: its P-code, and the code as
    # served where it differs, made once per country.
    country = pcodes.codes[rows]
    served_codes = np.empty(len(pcodes.values), dtype=object)  # each number's code as served
    served_codes[pcodes.codes[figures.rows]] = iso3[figures.rows]
    published = [
        None if c == p else c for c, p in zip(served_codes, pcodes.values.tolist(), strict=True)
    ]
    fields = {
        "pcode": Coded(country, pcodes.values),
        "published_pcode": Coded.of(country, published),
        **figures.fields(spans),
    }
    columns = _columns(ctx, len(rows), fields)
    _one_recommended(columns)
    numbers = raw.index.to_numpy()[rows].tolist()
    return _mapped(columns, numbers, rejections, rows_read, new_places)


def _one_recommended(columns: dict[str, object]) -> None:
    """Of recommended figures of one place, metric and period, the largest counts (the first
    of equals; then by record id); the others triangulate."""
    role: Coded = columns["role"]
    recommended = np.flatnonzero((role.values == Role.RECOMMENDED.value)[role.codes])
    if not len(recommended):
        return
    group = group_ids(*(cells_at(columns[k], recommended) for k in KEY_FIELDS))
    several = np.bincount(group)[group] > 1
    members, group = recommended[several], group[several]
    if not len(members):
        return
    values = np.asarray(columns["value"])[members].astype(np.int64)
    ids = np.asarray(columns["source_record_id"])[members]
    # Each group's largest count, and the first figure giving it: found in one pass each,
    # where sorting every figure by group and count takes several.
    top = np.full(int(group.max()) + 1, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(top, group, values)
    largest = values == top[group]
    lead = np.full(len(top), len(members), dtype=np.intp)  # each group's winner so far
    np.minimum.at(lead, group[largest], np.flatnonzero(largest))
    keep = np.zeros(len(members), dtype=bool)
    keep[lead[lead < len(members)]] = True
    # Of equal largest counts the smallest record id wins: looked for only in the groups
    # where a figure ties with the first of them and gives another record id.
    tied = np.flatnonzero(largest & ~keep)
    tied = tied[ids[tied] != ids[lead[group[tied]]]]
    if len(tied):
        contest = np.flatnonzero(np.isin(group, group[tied]))
        by_id = pd.factorize(ids[contest], sort=True)[0]
        order = np.lexsort((members[contest], by_id, -values[contest], group[contest]))
        keep[contest] = False
        keep[contest[_firsts(group[contest], order)]] = True
    role.codes[members[~keep]] = list(role.values).index(Role.TRIANGULATION.value)


def _firsts(group: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The first of each group in `order` (positions into `group`)."""
    ranked = group[order]
    return order[np.concatenate([[True], ranked[1:] != ranked[:-1]])]


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Country-level flows and stocks (and the countries they need) from one response."""
    if served.dataset in GIDD_MODELS:
        return _gidd_figures(served, ctx, places)
    return _idu_figures(served, ctx, places)


CONNECTOR = Connector(
    name=NAME,
    title="IDMC: Internal Displacement Updates (events) and GIDD (yearly), per country",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    credentials=(CREDENTIAL,),
)
