"""IOM Displacement Tracking Matrix (DTM) API v3: IDPs present per country, admin 1 and 2.

One GET per country and admin level (no paging); the answer is {"result": [...],
"statusCode": 200, "isSuccess": true, "errorMessages": [], "totalRecordsCount": N}, or isSuccess
false with the upstream's error messages. The subscription key travels in a header only. Each
record is a stock of IDPs as of its reporting date, per operation, round and (v3) admin 1 of
origin; a male/female split gives figures of its own, and a null split is missing, never 0.

Two things DTM really does (Chad, Lake Chad Basin Crisis, 2017-2025):
- A round is split by `displacementReason` (TD07 on 2025-01-31: 221,543 Conflict and 4,146
  Natural disaster). Each part is a figure of its own, with its cause and its reason in its
  provenance; none is dropped.
- The same place and date are published under two assessment types (BA and SA; TD07 on
  2017-09-30 has 147,032 under each). The baseline counts; the site assessment is kept for
  triangulation, whatever its origin or reason fields say.
"""

import datetime as dt
import functools
from collections import defaultdict
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
    NewPlaces,
    Records,
    Refused,
    SourceConfig,
    checked_records,
    credential,
    figure_record,
    json_document,
    numbered_records,
)
from etl.transport import HttpClient
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Role
from schemas.figures import NATURAL_KEY, RECOMMENDED_KEY
from schemas.pcodes import admin_level_of, normalise_pcode
from schemas.raw.dtm import MODELS
from schemas.runs import Rejection, RejectionCode

NAME = "dtm"
CREDENTIAL = "dtm_subscription_key"
HEADER = "Ocp-Apim-Subscription-Key"
DEFAULT_BASE = "https://dtmapi.iom.int"
PATH = "/v3/displacement/admin{level}"
ASSESSMENTS = {"BA": "baseline assessment", "SA": "site assessment", "ETT": "event tracking"}
# displacementReason is free text upstream; words that say which cause it is. The first
# that matches wins: "No reason for displacement reported" is no other reason.
CAUSE_WORDS = {
    Cause.NOT_REPORTED: ["no reason"],
    Cause.INSECURITY: ["insecurity"],
    Cause.CONFLICT: ["conflict", "clash", "violence", "tension", "attack", "fighting"],
    Cause.DISASTER: ["disaster", "flood", "drought", "climat", "earthquake", "cyclone", "storm"],
    Cause.OTHER: ["other"],
}
NOT_GIVEN = {"", "not available", "n/a", "na", "unknown", "none", "-"}
Record = dict[str, object]
# Keys a record carries while its roles are settled, dropped before it becomes a figure.
REASON, BASELINE = "_reason", "_baseline"


def fetch(client: HttpClient, cfg: SourceConfig, credentials: Credentials) -> Iterator[Fetched]:
    """One response per configured country and admin level (0, 1, 2 unless `levels` says)."""
    key = credential(credentials, CREDENTIAL, NAME, "subscription key")
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/")
    for iso3 in cfg.countries:
        for level in cfg.options.get("levels", [0, 1, 2]):
            if int(level) not in MODELS:
                raise SourceError(f"{NAME}: admin level {level!r} in the options is not 0, 1 or 2")
            params: dict[str, object] = {"Admin0Pcode": iso3}
            if cfg.since:
                params["FromReportingDate"] = cfg.since.isoformat()
            if cfg.options.get("until"):
                params["ToReportingDate"] = str(cfg.options["until"])
            url = base + PATH.format(level=int(level))
            response = client.get(NAME, url, params=params, headers={HEADER: str(key)})
            name = f"admin{int(level)}.{iso3}.json"
            yield Fetched(name, response.content, response.url, dt.datetime.now(dt.UTC))


def _fields_level(rows: list[Record]) -> int | None:
    """The admin level a response is for, from its fields: the deepest `adminN...` field.

    `idpOriginAdmin1Pcode` is where people came from, not a level of the response.
    """
    keys = set().union(*rows) if rows else set()
    levels = [n for n in (2, 1, 0) if any(str(k).startswith(f"admin{n}") for k in keys)]
    return levels[0] if levels else None


def _url_level(fetched: Fetched) -> int | None:
    """The level the request asked for (`.../admin2?...`), when the response has its URL."""
    if not fetched.url:
        return None
    last = urlsplit(fetched.url).path.rstrip("/").rsplit("/", 1)[-1]
    return int(last[-1]) if last in ("admin0", "admin1", "admin2") else None


def _result(fetched: Fetched) -> list[Record]:
    """The `result` records of an envelope, or the upstream's error, or why it is no envelope."""
    where = f"{NAME}: {fetched.name}"
    doc = json_document(fetched, where)
    if not isinstance(doc, dict) or not isinstance(doc.get("isSuccess"), bool):
        raise SourceFormatError(f"{where}: field 'isSuccess' missing from the envelope")
    if not doc["isSuccess"]:
        messages = [str(m) for m in doc.get("errorMessages") or []] or ["no message"]
        raise SourceError(f"{where}: the upstream reported an error: {'; '.join(messages)}")
    result = doc.get("result")
    if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
        raise SourceFormatError(f"{where}: field 'result' missing or not a list of records")
    total = doc.get("totalRecordsCount")
    # The count the upstream says it sent: fewer records means a cut or changed response.
    if isinstance(total, int) and not isinstance(total, bool) and total != len(result):
        raise SourceFormatError(
            f"{where}: totalRecordsCount is {total} but 'result' holds {len(result)} records"
        )
    return result


def read(fetched: Fetched) -> Records:
    """The records of one response, checked against what the API promises for its level,
    as the endpoint of that level (admin0, admin1 or admin2)."""
    rows = _result(fetched)
    level = _url_level(fetched)
    if level is None:
        level = _fields_level(rows)
    if level is None:  # no records to tell by: an empty answer, named by its endpoint or not
        name = fetched.name.split(".", 1)[0]
        level = int(name[-1]) if name in ("admin0", "admin1", "admin2") else 0
    model = MODELS[level]
    frame = checked_records(rows, model, f"{NAME}: {fetched.name}")
    return Records(frame, f"admin{level}", fetched.name, admin_level=level)


def _code(row: Record, field: str, level: int, parent: str, places: NewPlaces) -> str:
    """The admin P-code in `field`Pcode in the gazetteer's spelling, checked against the COD
    pattern and its parent."""
    published = row.get(f"{field}Pcode")
    code = normalise_pcode(published)
    if code is None:
        raise Refused(
            f"{field}Pcode", RejectionCode.PLACE_UNSPECIFIED, f"no admin {level} P-code", published
        )
    if admin_level_of(code) != level or not code.startswith(parent):
        reason = f"not an admin-{level} COD P-code under {parent}"
        raise Refused(f"{field}Pcode", RejectionCode.PCODE_FORMAT, reason, published)
    places.add(code, row.get(f"{field}Name"), level, parent)
    return code


def _where(row: Record, level: int, places: NewPlaces) -> tuple[str, str | None, str | None]:
    """(P-code where the IDPs are, the code as DTM wrote it when it differs, P-code of the
    admin 1 they came from or None)."""
    country = ISO3_TO_PCODE.get(str(row["admin0Pcode"]).strip().upper())
    if country is None:
        reason = "no admin-0 P-code for this ISO3 code in schemas.countries"
        raise Refused("admin0Pcode", RejectionCode.COUNTRY_CODE, reason, row["admin0Pcode"])
    places.add(country, row["admin0Name"], 0, None)
    pcode, published = country, row["admin0Pcode"]
    for depth in range(1, level + 1):
        pcode = _code(row, f"admin{depth}", depth, pcode, places)
        published = row.get(f"admin{depth}Pcode")
    as_published = published if isinstance(published, str) and published != pcode else None
    # "Not available" (and null) is no origin: the figure has none, never a place named so.
    origin = row.get("idpOriginAdmin1Pcode")
    if str(origin or "").strip().lower() in NOT_GIVEN or normalise_pcode(origin) is None:
        return pcode, as_published, None
    # Internal displacement: the admin 1 of origin is in the same country.
    return pcode, as_published, _code(row, "idpOriginAdmin1", 1, country, places)


def _whole(value: object, column: str) -> int | None:
    """A count as a whole number; None (missing, never 0) for a null."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and not value.is_integer():
        raise Refused(column, RejectionCode.NUMBER_FORMAT, "not a whole number of people", value)
    if int(value) < 0:  # type: ignore[call-overload]
        raise Refused(column, RejectionCode.NUMBER_FORMAT, "a negative number of people", value)
    return int(value)  # type: ignore[call-overload]


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.fromisoformat(text).date())


@functools.lru_cache(maxsize=256)
def _cause(reason: object) -> str | None:
    text = str(reason or "").lower()
    for cause, words in CAUSE_WORDS.items():
        if any(w in text for w in words):
            return cause.value
    return None  # an unknown reason is kept in the excerpt, not guessed into a cause


def _reason(row: Record) -> str | None:
    """The displacement reason as DTM wrote it, or None when it gives none."""
    reason = row.get("displacementReason")
    return reason.strip() if isinstance(reason, str) and reason.strip() else None


def _figures(row: Record, level: int, ctx: MapContext, places: NewPlaces) -> list[Record]:
    total = _whole(row["numPresentIdpInd"], "numPresentIdpInd")
    if total is None:
        raise Refused("numPresentIdpInd", RejectionCode.VALUE_MISSING, "no number of IDPs present")
    pcode, published, origin = _where(row, level, places)
    as_of = _day(str(row["reportingDate"]))
    kind = str(row["assessmentType"])
    reason = _reason(row)
    ident = f"{row['operation']}/R{row['roundNumber']}"
    if row.get("id") is not None:
        ident += f"/{row['id']}"
    common: Record = {
        "source_record_id": ident,
        "publisher": f"IOM DTM, {row['operation']}, {ASSESSMENTS.get(kind, kind)}",
        "metric": Metric.IDPS.value,
        "pcode": pcode,
        "published_pcode": published,
        "origin_pcode": origin,
        "period_start": as_of,
        "period_end": as_of,
        "cause": _cause(reason),
        "excerpt": f"IDPs present, round {row['roundNumber']}"
        + (f", displaced by: {reason}" if reason else ""),
        REASON: reason,
        BASELINE: kind == "BA",
    }
    out = []
    for sex, column in ((None, "numPresentIdpInd"), ("m", "numberMales"), ("f", "numberFemales")):
        value = total if sex is None else _whole(row.get(column), column)
        if value is not None:  # a null split is not published: no figure, never a 0
            out.append(figure_record(ctx, **common, sex=sex, value=value))
    return out


def _key(record: Record, columns: list[str]) -> tuple[str, ...]:
    return tuple("" if pd.isna(record.get(k)) else str(record.get(k)) for k in columns)


def _name_the_reasons(records: list[Record]) -> None:
    """Give the parts of a round split by reason a natural key each: the reason joins their
    `publisher` ("IOM DTM, Lake Chad Basin Crisis, baseline assessment, Natural disaster").

    Only a split gets it, so a round published with one reason keeps its figure id.
    """
    same = [c for c in NATURAL_KEY if c != "cause"]
    reasons: dict[tuple[str, ...], set[object]] = defaultdict(set)
    for record in records:
        reasons[_key(record, same)].add(record[REASON])
    for record in records:
        if len(reasons[_key(record, same)]) > 1:
            record["publisher"] = f"{record['publisher']}, {record[REASON] or 'no reason given'}"


def _settle_roles(records: list[Record]) -> None:
    """One recommended figure per key of the store, by DTM's own rules.

    1. Where a baseline assessment (BA) counts a place on a date, it is the count: every
       other assessment of that place, date and disaggregation (SA: the same people counted
       site by site) is triangulation, whatever its origin or reason fields say (DTM fills
       the origin for SA rows and leaves it "Not available" for BA rows of the same round).
    2. The parts of a split by reason each count: `cause` is part of the store's key
       (schemas.figures.RECOMMENDED_KEY), and each reason DTM gives has a cause of its own
       ("Insecurity" is insecurity, "No reason for displacement reported" not_reported),
       so each part is recommended. A reason no word names has no cause, never a guessed
       one: parts the key cannot tell apart leave the largest recommended and the others
       kept for triangulation, so no part is lost and none is counted twice.
    """
    where = [c for c in RECOMMENDED_KEY if c != "origin_pcode"]
    baseline: set[tuple[str, ...]] = {_key(r, where) for r in records if r[BASELINE]}
    for record in records:
        if not record[BASELINE] and _key(record, where) in baseline:
            record["role"] = Role.TRIANGULATION.value
    groups: dict[tuple[str, ...], list[Record]] = defaultdict(list)
    for record in records:
        if record["role"] == Role.RECOMMENDED.value:
            groups[_key(record, RECOMMENDED_KEY)].append(record)
    for group in groups.values():
        ranked = sorted(group, key=lambda r: (-int(r["value"]), str(r[REASON] or "")))  # type: ignore[call-overload]
        for record in ranked[1:]:
            record["role"] = Role.TRIANGULATION.value


def _finish(records: list[Record]) -> pd.DataFrame:
    """Provenance and roles settled over all records, ids from the natural key, as a frame."""
    _name_the_reasons(records)
    _settle_roles(records)
    for record in records:
        record.pop(REASON, None)
        record.pop(BASELINE, None)
        record["figure_id"] = None  # hashed over the settled records by to_figure_frame
    return to_figure_frame(records)


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """IDP stocks (and the places they need) from one response."""
    raw, level = served.frame, served.admin_level or 0
    known = NewPlaces(places)
    records: list[Record] = []
    rows: list[int] = []
    rejections: list[Rejection] = []
    for number, row in numbered_records(raw):
        try:
            made = _figures(row, level, ctx, known)
        except Refused as refused:
            rejections.append(refused.rejection(number, row))
            continue
        records += made
        rows += [number] * len(made)
    return MappedFigures(_finish(records), rows, rejections, [], len(raw), known.frame())


CONNECTOR = Connector(
    name=NAME,
    title="IOM DTM API v3: IDPs present per country, admin 1 and admin 2",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    credentials=(CREDENTIAL,),
)
