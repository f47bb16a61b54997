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
import html
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

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
    credential,
    figure_record,
    json_document,
    numbered_records,
)
from etl.sources.hxl import sum_qualifier
from etl.transport import HttpClient
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Qualifier, Role
from schemas.figures import RECOMMENDED_KEY
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
    path = urlsplit(fetched.url or "").path
    if "/idus/" in path:
        return "idus-" + path.split("/idus/", 1)[1].strip("/").replace("/", "-")
    stem = re.split(r"[?._]", fetched.name, maxsplit=1)[0]
    if "/gidd/" not in path:
        if stem.startswith("idus"):
            return stem
        if not stem.startswith("gidd") and fetched.body.lstrip()[:1] == b"[":
            return "idus"  # a bare array is the IDU dump, whatever the file is called
    return _gidd_dataset(fetched, path, stem)


def _gidd_dataset(fetched: Fetched, path: str, stem: str) -> str:
    """The endpoint a GIDD page came from: by its rows' fields; for a page without rows (or
    one that does not parse, which `read` refuses), by its URL, then its name."""
    try:
        rows = _gidd_page(fetched)["results"]
    except SourceFormatError:
        rows = []
    by_fields = gidd_endpoint({k for row in rows for k in row})
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
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise SourceFormatError(f"{where}: field 'results' missing from the page or not a list")
    if not isinstance(doc.get("count"), int) or "next" not in doc:
        raise SourceFormatError(f"{where}: field 'count' or 'next' missing from the page")
    if not results and (doc["next"] is not None or doc["count"] > 0):
        raise SourceFormatError(f"{where}: no results on a page that promises more")
    return doc


def read(fetched: Fetched) -> Records:
    """The IDU entries or GIDD rows of one response, checked against what IDMC promises, and
    the countries and first day the configuration asked for (an IDU dump holds every one)."""
    dataset = dataset_of(fetched)
    if dataset in GIDD_MODELS:
        rows, model = _gidd_page(fetched)["results"], GIDD_MODELS[dataset]
    else:
        rows, model = _json(fetched), IduModel
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SourceFormatError(f"{NAME}: {fetched.name}: not a JSON array of IDU entries")
    frame = checked_records(rows, model, f"{NAME}: {fetched.name}")
    wanted = parse_qs(fetched.name.split("?", 1)[1]) if "?" in fetched.name else {}
    countries = tuple(wanted["iso3"][0].split(",")) if "iso3" in wanted else ()
    since = dt.date.fromisoformat(wanted["since"][0]) if "since" in wanted else None
    return Records(frame, dataset, fetched.name, countries=countries, since=since)


class _Countries:
    """Admin-0 places the records name; those the gazetteer lacks become new places."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.known = set(places["pcode"]) if "pcode" in places else set()
        self.new: dict[str, Record] = {}

    def pcode(self, iso3: object, name: object) -> str:
        code = ISO3_TO_PCODE.get(str(iso3))
        if code is None:
            raise Refused(
                "iso3", RejectionCode.COUNTRY_CODE, "no admin-0 P-code for this code", iso3
            )
        if code not in self.known and code not in self.new:
            if not isinstance(name, str) or not name.strip():
                raise Refused(
                    "iso3", RejectionCode.PLACE_NAME, f"{code} is not in the gazetteer, no name"
                )
            cells = [code, "admin", name.strip(), None, 0, None, None, None]
            self.new[code] = dict(zip(PLACE_COLUMNS, cells, strict=True))
        return code

    def frame(self) -> pd.DataFrame | None:
        return pd.DataFrame(list(self.new.values()), columns=PLACE_COLUMNS) if self.new else None


def _idu_day(value: object, column: str) -> pd.Timestamp | None:
    """The calendar date IDMC means by an IDU date: a plain date as written; a timestamp is
    midnight in Pacific/Auckland written in UTC, so its date is the Auckland date (never the
    first ten characters, a day early)."""
    if not isinstance(value, str) or not value.strip():
        return None
    stamp = dt.datetime.fromisoformat(value.strip())  # the raw model checked the form
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(IDU_ZONE)
    if stamp.time() != dt.time(0):
        reason = "not midnight in Pacific/Auckland, so not a calendar date IDMC means"
        raise Refused(column, RejectionCode.DATE_TIME_OF_DAY, reason, value)
    return pd.Timestamp(stamp.date())


def _words(text: object) -> str | None:
    """IDMC's popup text without its HTML (the figure, the excerpt and the source)."""
    if not isinstance(text, str) or not text.strip():
        return None
    return " ".join(html.unescape(TAG.sub(" ", text)).split())


def _common(ctx: MapContext, pcode: str, value: object, **fields: object) -> Record:
    value = int(value)  # type: ignore[call-overload]
    return figure_record(ctx, pcode=pcode, admin_level=0, value=value, **fields)


def _idu_period(row: Record) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = _idu_day(row["displacement_start_date"], "displacement_start_date")
    end = _idu_day(row["displacement_end_date"], "displacement_end_date")
    start, end = start or end, end or start  # one date: the flow starts and ends on it
    if start is None:
        start = end = _idu_day(row.get("displacement_date"), "displacement_date")
    if start is None or end is None:
        raise Refused("displacement_start_date", RejectionCode.DATE_MISSING, "no date for the flow")
    return start, end


def _idu(row: Record, ctx: MapContext, countries: _Countries) -> list[Record]:
    start, end = _idu_period(row)
    excerpt = _words(row["standard_popup_text"]) or row.get("event_name")
    role = row.get("role")  # the real dump has none: a published update is recommended
    return [
        _common(
            ctx,
            countries.pcode(row["iso3"], row["country"]),
            row["figure"],
            published_pcode=row["iso3"],
            source_record_id=str(row["id"]),
            publisher=f"{IDU_PUBLISHER}, figure {row['id']}",
            metric=Metric.NEW_DISPLACEMENTS.value,
            period_start=start,
            period_end=end,
            qualifier=QUALIFIERS[str(row["qualifier"]).strip().lower()].value,
            cause=CAUSES[str(row["displacement_type"]).strip().lower()].value,
            role=ROLES[str(role).strip().lower()].value if role else Role.RECOMMENDED.value,
            excerpt=excerpt,
            event=row.get("event_name") or f"entry {row['id']}",
        )
    ]


def _exact_and_rounded(
    ctx: MapContext,
    pcode: str,
    row: Record,
    column: str,
    *,
    publisher: str,
    record_id: str,
    words: tuple[str, str],
    **fields: object,
) -> list[Record]:
    """The exact figure of `column` (recommended) and IDMC's rounding of it beside it.

    The rounded one is an approximation of the same number under a publisher of its own, so
    it is triangulation while the exact one exists; alone, it is the figure. A null is no
    figure. `words` is the excerpt's text before and after IDMC's "(not rounded)".
    """
    exact, rounded = row.get(column), row.get(f"{column}_rounded")
    out = []
    if exact is not None:
        out.append(_common(
            ctx, pcode, exact, **fields, publisher=publisher,
            source_record_id=f"{record_id}/{column}", qualifier=Qualifier.EXACT.value,
            role=Role.RECOMMENDED.value, excerpt=f"{words[0]} (not rounded){words[1]}",
        ))  # fmt: skip
    if rounded is not None:
        out.append(_common(
            ctx, pcode, rounded, **fields, publisher=publisher + ROUNDED,
            source_record_id=f"{record_id}/{column}_rounded",
            qualifier=Qualifier.APPROXIMATELY.value,
            role=(Role.TRIANGULATION if exact is not None else Role.RECOMMENDED).value,
            excerpt=f"{words[0]} (rounded figures at national level){words[1]}",
        ))  # fmt: skip
    return out


def _year_cells(
    row: Record, ctx: MapContext, pcode: str, cells: dict[str, tuple[Metric, Cause]]
) -> list[Record]:
    """A country-year's flows over the year and stocks at its end, exact and rounded."""
    year = int(row["year"])  # type: ignore[call-overload]
    end = pd.Timestamp(year, 12, 31)
    out = []
    for column, (metric, cause) in cells.items():
        flow = metric == Metric.NEW_DISPLACEMENTS
        words = DEFINITIONS[metric].format(CAUSE_WORDS[cause], year)
        out += _exact_and_rounded(
            ctx, pcode, row, column, published_pcode=row["iso3"],
            record_id=f"{row['iso3']}/{year}", publisher=GIDD_PUBLISHER.format(CAUSE_WORDS[cause]),
            metric=metric.value, period_start=pd.Timestamp(year, 1, 1) if flow else end,
            period_end=end, cause=cause.value,
            words=(words, f", {row['country_name']}"),
        )  # fmt: skip
    return out


def _gidd(row: Record, ctx: MapContext, countries: _Countries) -> list[Record]:
    """A `gidd/displacements/` row: both causes of one country-year."""
    pcode = countries.pcode(row["iso3"], row["country_name"])
    return _year_cells(row, ctx, pcode, GIDD_CELLS)


def _gidd_conflicts(row: Record, ctx: MapContext, countries: _Countries) -> list[Record]:
    """A `gidd/conflicts/` row: one country-year of conflict and violence."""
    pcode = countries.pcode(row["iso3"], row["country_name"])
    return _year_cells(row, ctx, pcode, CONFLICT_CELLS)


def _event_date(value: object) -> pd.Timestamp | None:
    """A GIDD date: YYYY-MM-DD, a calendar date (the raw model allows nothing else)."""
    return pd.Timestamp(dt.date.fromisoformat(value)) if isinstance(value, str) else None


def _event_period(row: Record, year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days of the reporting year the event spans: its figure counts displacements over
    that year, so an event running over New Year gives each year its own part."""
    start, end = _event_date(row["start_date"]), _event_date(row["end_date"])
    if start is not None and end is not None and end < start:
        raise Refused(
            "end_date", RejectionCode.PERIOD, "the event ends before it starts", row["end_date"]
        )
    first = max(start, pd.Timestamp(year, 1, 1)) if start else pd.Timestamp(year, 1, 1)
    last = min(end, pd.Timestamp(year, 12, 31)) if end else pd.Timestamp(year, 12, 31)
    if last < first:
        reason = f"the event's dates lie outside its reporting year {year}"
        raise Refused("start_date", RejectionCode.EVENT_DATES, reason, row["start_date"])
    return first, last


def _event_label(row: Record) -> str:
    """The event as IDMC names it, with its dates and codes: several events of a country and
    year may share a name, and the label keeps their figures apart."""
    label = str(row["event_name"]).strip()
    label += f" ({row['start_date'] or '?'} to {row['end_date'] or '?'})"
    codes = row.get("event_codes")
    if isinstance(codes, list) and codes:
        label += " [" + ", ".join(codes) + "]"
    return label


def _hazard(row: Record) -> str:
    names = [row.get(f"hazard_{k}_name") for k in ("category", "sub_category", "type", "sub_type")]
    return " / ".join(dict.fromkeys(str(n).strip() for n in names if n)) or "hazard not given"


def _gidd_disaster(row: Record, ctx: MapContext, countries: _Countries) -> list[Record]:
    """A `gidd/disasters/` row: one event's displacements over the year (a flow over the
    days of the year it spans) and its IDPs at the end of the year."""
    year = int(row["year"])  # type: ignore[call-overload]
    pcode = countries.pcode(row["iso3"], row["country_name"])
    first, last = _event_period(row, year)
    label, end = _event_label(row), pd.Timestamp(year, 12, 31)
    out = []
    for column, metric in DISASTER_CELLS.items():
        flow = metric == Metric.NEW_DISPLACEMENTS
        words = DEFINITIONS[metric].format(CAUSE_WORDS[Cause.DISASTER], year)
        out += _exact_and_rounded(
            ctx, pcode, row, column, published_pcode=row["iso3"],
            record_id=f"{row['iso3']}/{year}/{label}",
            publisher=f"{GIDD_PUBLISHER.format(CAUSE_WORDS[Cause.DISASTER])}, event {label}",
            metric=metric.value, period_start=first if flow else end,
            period_end=last if flow else end, cause=Cause.DISASTER.value,
            words=(words, f", {row['country_name']}: {label}; {_hazard(row)}"),
        )  # fmt: skip
    return out


IDU_PUBLISHER = "IDMC, Internal Displacement Updates"


def _idu_sum(parts: list[Record]) -> Record | None:
    """One figure for the IDU entries of one country, period and cause: their sum, with
    every entry's id; None when their qualifiers pull both ways (no sum is true)."""
    qualifier = sum_qualifier(str(p["qualifier"]) for p in parts)
    if qualifier is None:
        return None
    ids = [str(p["source_record_id"]) for p in parts]
    events = list(dict.fromkeys(str(p["event"]) for p in parts))
    record = dict(parts[0])
    record.update(
        value=sum(int(p["value"]) for p in parts),  # type: ignore[call-overload]
        qualifier=qualifier,
        source_record_id=";".join(ids),
        publisher=f"{IDU_PUBLISHER}, sum of the entries of the period",
        excerpt=f"sum of {len(parts)} IDU entries ({', '.join(ids)}) of this country, period "
        f"and cause: {'; '.join(events)}",
    )
    record["figure_id"] = None  # the sum's own key, hashed by to_figure_frame
    return record


def _add_up_idu(
    records: list[Record], rows: list[int], entries: dict[int, Record], rejections: list[Rejection]
) -> tuple[list[Record], list[int]]:
    """The recommended IDU entries of one country, period and cause as one figure (their
    sum); a figure stays where the first entry it sums was. An entry IDMC marks as
    triangulation stays as it is."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for position, record in enumerate(records):
        if record["role"] == Role.RECOMMENDED.value:
            groups[tuple(str(record[k]) for k in RECOMMENDED_KEY)].append(position)
    replaced: dict[int, Record | None] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        summed = _idu_sum([records[m] for m in members])
        if summed is None:
            reason = "the entries of this period mix 'more than' and 'less than': no sum"
            rejections += [
                Rejection(rows[m], "qualifier", RejectionCode.SUM_QUALIFIER, reason,
                          records[m]["qualifier"], entries[rows[m]])
                for m in members
            ]  # fmt: skip
        replaced.update(dict.fromkeys(members[1:]))  # None: summed into the first
        replaced[members[0]] = summed
    out: list[tuple[Record, int]] = []
    for position, record in enumerate(records):
        figure = replaced.get(position, record)
        if figure is not None:
            out.append((figure, rows[position]))
    return [figure for figure, _ in out], [number for _, number in out]


def _rank(record: Record) -> tuple[bool, int, str]:
    value = int(record["value"])  # type: ignore[call-overload]
    return record["cause"] != Cause.CONFLICT.value, -value, str(record["source_record_id"])


def _one_recommended(records: list[Record]) -> None:
    """Of recommended figures of one place, metric and period, conflict then the largest counts."""
    groups: dict[tuple[str, ...], list[Record]] = defaultdict(list)
    for record in records:
        if record["role"] == Role.RECOMMENDED.value:
            groups[tuple(str(record[k]) for k in RECOMMENDED_KEY)].append(record)
    for group in groups.values():
        for record in sorted(group, key=_rank)[1:]:
            record["role"] = Role.TRIANGULATION.value


Mapper = Callable[[Record, MapContext, _Countries], list[Record]]
MAPPERS: dict[str, Mapper] = {
    GIDD: _gidd,
    GIDD_CONFLICTS: _gidd_conflicts,
    GIDD_DISASTERS: _gidd_disaster,
}


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Country-level flows and stocks (and the countries they need) from one response."""
    raw, mapper = served.frame, MAPPERS.get(served.dataset, _idu)
    gidd = mapper is not _idu
    wanted = set(served.countries)
    since = pd.Timestamp(served.since) if served.since else None
    countries = _Countries(places)
    records: list[Record] = []
    rows: list[int] = []
    rejections: list[Rejection] = []
    read = 0
    entries: dict[int, Record] = {}  # IDU entries by number, for a refused sum to name
    for number, row in numbered_records(raw):
        if wanted and row["iso3"] not in wanted:
            continue  # the IDU dump holds every country: only the configured ones are read
        try:
            made = mapper(row, ctx, countries)
        except Refused as refused:
            rejections.append(refused.rejection(number, row))
            read += 1
            continue
        if since is not None and not gidd and made[0]["period_end"] < since:  # type: ignore[operator]
            continue  # before the configured window
        read += 1
        records += made
        rows += [number] * len(made)
        entries[number] = row
    if not gidd:
        records, rows = _add_up_idu(records, rows, entries, rejections)
    for record in records:
        record.pop("event", None)
    _one_recommended(records)
    figures = to_figure_frame(records)
    return MappedFigures(figures, rows, rejections, [], read, countries.frame())


CONNECTOR = Connector(
    name=NAME,
    title="IDMC: Internal Displacement Updates (events) and GIDD (yearly), per country",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    credentials=(CREDENTIAL,),
)
