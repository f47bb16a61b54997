"""IDMC (Helix external API): Internal Displacement Updates and GIDD yearly figures.

IDU (`idus/last-180-days/`, `idus/all/` for history) redirects to a JSON dump of every
country, one entry per figure of new displacement: countries and `since` apply when mapping.
GIDD (`gidd/displacements/`) pages DRF-style {"count", "next", "results"}: yearly flows and
31 December stocks by cause. The `client_id` parameter is never stored or shown; IDMC's
`next` links carry it, so a page is asked for by its offset, not its link. No P-codes: all
figures sit on admin 0. The canonical keys have no cause, so of recommended figures of one
country, metric and period one counts (conflict, then the largest), the others triangulate;
an IDU figure's id goes into its publisher so distinct figures keep distinct keys.
"""

import datetime as dt
import html
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd

from etl.errors import SourceAuthError, SourceError, SourceFormatError
from etl.figure_ids import figure_id
from etl.frames import to_figure_frame
from etl.sources.base import (
    Connector,
    Credentials,
    Fetched,
    MapContext,
    MappedFigures,
    Refused,
    SourceConfig,
    checked_records,
    numbered_records,
)
from etl.transport import HttpClient
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Qualifier, Role, Unit
from schemas.figures import RECOMMENDED_KEY
from schemas.places import PLACE_COLUMNS
from schemas.raw.idmc import GiddDisplacementModel, IduModel
from schemas.runs import Rejection

NAME = "idmc"
CREDENTIAL = "idmc_client_id"
SECRET = "client_id"  # the query parameter that carries it
DEFAULT_BASE = "https://helix-tools-api.idmcdb.org/external-api"
DUMPS = ("last-180-days", "all", "all/disaster")
GIDD = "gidd-displacements"
GIDD_PATH = "/gidd/displacements/"
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
GIDD_PUBLISHER = "IDMC, Global Internal Displacement Database (GIDD), {}"
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
    key = credentials.get(CREDENTIAL)
    if not key:
        raise SourceAuthError(f"{NAME}: no client id (set {CREDENTIAL.upper()})")
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
    params: dict[str, object] = {"limit": int(cfg.options.get("limit", DEFAULT_LIMIT)), "offset": 0}
    if cfg.countries:
        params["iso3__in"] = ",".join(cfg.countries)
    if cfg.since:
        params["start_year"] = cfg.since.year
    if cfg.options.get("year_to"):
        params["end_year"] = int(cfg.options["year_to"])
    served, page, secret = 0, 1, frozenset({SECRET})
    while True:
        got = client.get(NAME, base + GIDD_PATH, params={**params, SECRET: key}, secrets=secret)
        fetched = Fetched(f"{GIDD}.{page}.json", got.content, got.url, dt.datetime.now(dt.UTC))
        doc = _gidd_page(fetched)
        yield fetched
        served += len(doc["results"])
        if doc["next"] is None and served < doc["count"]:
            problem = f"field 'count' is {doc['count']}, {served} served"
            raise SourceFormatError(f"{NAME}: {fetched.name}: {problem}")
        if doc["next"] is None:
            return
        params = _next_page(str(doc["next"]), params, fetched)
        page += 1


def _next_page(link: str, params: dict[str, object], fetched: Fetched) -> dict[str, object]:
    """The query of IDMC's `next` link less its client id, checked to move forward."""
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != SECRET}
    offset = query.get("offset", "")
    if not parts.path.endswith(GIDD_PATH) or not offset.isdigit():
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'next' is not a next page link")
    if int(offset) <= int(str(params["offset"])):
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'next' does not move forward")
    return dict(query)


def dataset_of(fetched: Fetched) -> str:
    """idus-last-180-days, idus-all, idus-all-disaster or gidd-displacements."""
    path = urlsplit(fetched.url or "").path
    if "/idus/" in path:
        return "idus-" + path.split("/idus/", 1)[1].strip("/").replace("/", "-")
    if path.endswith(GIDD_PATH):
        return GIDD
    stem = re.split(r"[?._]", fetched.name, maxsplit=1)[0]
    if stem.startswith(("idus", "gidd")):
        return stem if stem != "gidd" else GIDD
    return "idus" if fetched.body.lstrip()[:1] == b"[" else GIDD  # a file named otherwise


def _json(fetched: Fetched) -> object:
    where = f"{NAME}: {fetched.name}"
    if fetched.body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{where}: HTML where JSON was expected")
    try:
        return json.loads(fetched.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{where}: not valid JSON (truncated?): {exc}") from None


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


def read(fetched: Fetched) -> pd.DataFrame:
    """The IDU entries or GIDD rows of one response, checked against what IDMC promises."""
    dataset = dataset_of(fetched)
    if dataset == GIDD:
        rows, model = _gidd_page(fetched)["results"], GiddDisplacementModel
    else:
        rows, model = _json(fetched), IduModel
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SourceFormatError(f"{NAME}: {fetched.name}: not a JSON array of IDU entries")
    frame = checked_records(rows, model, f"{NAME}: {fetched.name}")
    wanted = parse_qs(fetched.name.split("?", 1)[1]) if "?" in fetched.name else {}
    frame.attrs["dataset"] = dataset
    frame.attrs["iso3"] = wanted["iso3"][0].split(",") if "iso3" in wanted else []
    frame.attrs["since"] = wanted["since"][0] if "since" in wanted else None
    return frame


class _Countries:
    """Admin-0 places the records name; those the gazetteer lacks become new places."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.known = set(places["pcode"]) if "pcode" in places else set()
        self.new: dict[str, Record] = {}

    def pcode(self, iso3: object, name: object) -> str:
        code = ISO3_TO_PCODE.get(str(iso3))
        if code is None:
            raise Refused("iso3", "country_code", "no admin-0 P-code for this code", iso3)
        if code not in self.known and code not in self.new:
            if not isinstance(name, str) or not name.strip():
                raise Refused("iso3", "place_name", f"{code} is not in the gazetteer, no name")
            cells = [code, "admin", name.strip(), None, 0, None, None, None]
            self.new[code] = dict(zip(PLACE_COLUMNS, cells, strict=True))
        return code

    def frame(self) -> pd.DataFrame | None:
        return pd.DataFrame(list(self.new.values()), columns=PLACE_COLUMNS) if self.new else None


def _day(value: object) -> pd.Timestamp | None:
    return pd.Timestamp(str(value)[:10]) if isinstance(value, str) and value.strip() else None


def _words(text: object) -> str | None:
    """IDMC's popup text without its HTML (the figure, the excerpt and the source)."""
    if not isinstance(text, str) or not text.strip():
        return None
    return " ".join(html.unescape(TAG.sub(" ", text)).split())


def _common(ctx: MapContext, pcode: str, value: object, **fields: object) -> Record:
    record: Record = {
        "source": ctx.source, "dataset": ctx.dataset, "run_id": ctx.run_id,
        "source_url": ctx.source_url, "retrieved_at": pd.Timestamp(ctx.retrieved_at),
        "pcode": pcode, "admin_level": 0, "origin_pcode": None, "sex": None, "age_group": None,
        "value": int(value), "unit": Unit.PEOPLE.value, **fields,  # type: ignore[call-overload]
    }  # fmt: skip
    record["figure_id"] = figure_id(record)
    return record


def _idu(row: Record, ctx: MapContext, countries: _Countries) -> Record:
    start, end = _day(row["displacement_start_date"]), _day(row["displacement_end_date"])
    start, end = start or end, end or start  # one date: the flow starts and ends on it
    if start is None:
        start = end = _day(row.get("displacement_date"))
    if start is None:
        raise Refused("displacement_start_date", "date_missing", "no date for the flow")
    excerpt = _words(row["standard_popup_text"]) or row.get("event_name")
    return _common(
        ctx,
        countries.pcode(row["iso3"], row["country"]),
        row["figure"],
        source_record_id=str(row["id"]),
        publisher=f"IDMC, Internal Displacement Updates, figure {row['id']}",
        metric=Metric.NEW_DISPLACEMENTS.value,
        period_start=start,
        period_end=end,
        qualifier=QUALIFIERS[str(row["qualifier"]).strip().lower()].value,
        cause=CAUSES[str(row["displacement_type"]).strip().lower()].value,
        role=ROLES[str(row["role"]).strip().lower()].value,
        excerpt=excerpt,
    )


def _gidd(row: Record, ctx: MapContext, countries: _Countries) -> list[Record]:
    year = int(row["year"])  # type: ignore[call-overload]
    pcode = countries.pcode(row["iso3"], row["country_name"])
    end = pd.Timestamp(year, 12, 31)
    out = []
    for column, (metric, cause) in GIDD_CELLS.items():
        if row[column] is None:
            continue  # IDMC has no figure of that kind for the year
        flow = metric == Metric.NEW_DISPLACEMENTS
        words = DEFINITIONS[metric].format(CAUSE_WORDS[cause], year)
        out.append(
            _common(ctx, pcode, row[column], source_record_id=f"{row['iso3']}/{year}/{column}",
                    publisher=GIDD_PUBLISHER.format(CAUSE_WORDS[cause]), metric=metric.value,
                    period_start=pd.Timestamp(year, 1, 1) if flow else end, period_end=end,
                    qualifier=Qualifier.EXACT.value, cause=cause.value,
                    role=Role.RECOMMENDED.value,
                    excerpt=f"{words} (not rounded), {row['country_name']}")
        )  # fmt: skip
    return out


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


def to_figures(raw: pd.DataFrame, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Country-level flows and stocks (and the countries they need) from one response."""
    gidd = raw.attrs.get("dataset", ctx.dataset) == GIDD
    wanted = set(raw.attrs.get("iso3") or [])
    since = pd.Timestamp(raw.attrs["since"]) if raw.attrs.get("since") else None
    countries = _Countries(places)
    records: list[Record] = []
    rows: list[int] = []
    rejections: list[Rejection] = []
    read = 0
    for number, row in numbered_records(raw):
        if wanted and row["iso3"] not in wanted:
            continue  # the IDU dump holds every country: only the configured ones are read
        try:
            made = _gidd(row, ctx, countries) if gidd else [_idu(row, ctx, countries)]
        except Refused as refused:
            rejections.append(refused.rejection(number, row))
            read += 1
            continue
        if since is not None and not gidd and made[0]["period_end"] < since:  # type: ignore[operator]
            continue  # before the configured window
        read += 1
        records += made
        rows += [number] * len(made)
    _one_recommended(records)
    figures = to_figure_frame(records)
    return MappedFigures(figures, rows, rejections, [], read, countries.frame())


CONNECTOR = Connector(
    name=NAME,
    title="IDMC: Internal Displacement Updates (events) and GIDD (yearly), per country",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    dataset_of=dataset_of,
    credentials=(CREDENTIAL,),
)
