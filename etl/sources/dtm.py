"""IOM Displacement Tracking Matrix (DTM) API v3: IDPs present per country, admin 1 and 2.

One GET per country and admin level (no paging); the answer is {"isSuccess": true,
"result": [...]}, or isSuccess false with the upstream's error messages. The subscription key
travels in a header only. Each record is a stock of IDPs as of its reporting date, per
operation, round and (v3) admin 1 of origin; a male/female split gives figures of its own.
"""

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import urlsplit

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
    NewPlaces,
    Refused,
    SourceConfig,
    checked_records,
    numbered_records,
)
from etl.transport import HttpClient
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Qualifier, Role, Unit
from schemas.figures import RECOMMENDED_KEY
from schemas.pcodes import admin_level_of
from schemas.raw.dtm import MODELS
from schemas.runs import Rejection

NAME = "dtm"
CREDENTIAL = "dtm_subscription_key"
HEADER = "Ocp-Apim-Subscription-Key"
DEFAULT_BASE = "https://dtmapi.iom.int"
PATH = "/v3/displacement/admin{level}"
ASSESSMENTS = {"BA": "baseline assessment", "SA": "site assessment", "ETT": "event tracking"}
# displacementReason is free text upstream; words that say which cause it is.
CAUSE_WORDS = {
    Cause.CONFLICT: ["conflict", "clash", "violence", "tension", "attack", "fighting"],
    Cause.DISASTER: ["disaster", "flood", "drought", "climat", "earthquake", "cyclone", "storm"],
    Cause.OTHER: ["other"],
}
NOT_GIVEN = {"", "not available", "n/a", "na", "unknown", "none", "-"}
Record = dict[str, object]


def fetch(client: HttpClient, cfg: SourceConfig, credentials: Credentials) -> Iterator[Fetched]:
    """One response per configured country and admin level (0, 1, 2 unless `levels` says)."""
    key = credentials.get(CREDENTIAL)
    if not key:
        raise SourceAuthError(f"{NAME}: no subscription key (set {CREDENTIAL.upper()})")
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


def dataset_of(fetched: Fetched) -> str:
    """The endpoint: admin0, admin1 or admin2."""
    if fetched.url:
        return urlsplit(fetched.url).path.rstrip("/").rsplit("/", 1)[-1]
    return fetched.name.split(".", 1)[0]


def _level(fetched: Fetched, rows: list[Record]) -> int:
    dataset = dataset_of(fetched)
    if dataset in ("admin0", "admin1", "admin2"):
        return int(dataset[-1])
    keys = set().union(*rows) if rows else set()  # a file named otherwise: the deepest code
    return 2 if "admin2Pcode" in keys else 1 if "admin1Pcode" in keys else 0


def _result(fetched: Fetched) -> list[Record]:
    where = f"{NAME}: {fetched.name}"
    if fetched.body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{where}: HTML where JSON was expected")
    try:
        doc = json.loads(fetched.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{where}: not valid JSON (truncated?): {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("isSuccess"), bool):
        raise SourceFormatError(f"{where}: field 'isSuccess' missing from the envelope")
    if not doc["isSuccess"]:
        messages = doc.get("errorMessages") or ["no message"]
        raise SourceError(f"{where}: the upstream reported an error: {'; '.join(messages)}")
    result = doc.get("result")
    if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
        raise SourceFormatError(f"{where}: field 'result' missing or not a list of records")
    return result


def read(fetched: Fetched) -> pd.DataFrame:
    """The records of one response, checked against what the API promises for its level."""
    rows = _result(fetched)
    level = _level(fetched, rows)
    model = MODELS[level]
    frame = checked_records(rows, model, f"{NAME}: {fetched.name}")
    frame.attrs["level"] = level
    return frame


def _code(row: Record, field: str, level: int, parent: str, places: NewPlaces) -> str:
    """The admin P-code in `field`Pcode, checked against the COD pattern and its parent."""
    code = str(row.get(f"{field}Pcode") or "").strip().upper()
    if code.lower() in NOT_GIVEN:
        raise Refused(f"{field}Pcode", "place_unspecified", f"no admin {level} P-code")
    if admin_level_of(code) != level or not code.startswith(parent):
        reason = f"not an admin-{level} COD P-code under {parent}"
        raise Refused(f"{field}Pcode", "pcode_format", reason, code)
    places.add(code, row.get(f"{field}Name"), level, parent)
    return code


def _where(row: Record, level: int, places: NewPlaces) -> tuple[str, str | None]:
    """(P-code where the IDPs are, P-code of the admin 1 they came from or None)."""
    country = ISO3_TO_PCODE.get(str(row["admin0Pcode"]))
    if country is None:
        reason = "no admin-0 P-code for this ISO3 code in schemas.countries"
        raise Refused("admin0Pcode", "country_code", reason, row["admin0Pcode"])
    places.add(country, row["admin0Name"], 0, None)
    pcode = country
    for depth in range(1, level + 1):
        pcode = _code(row, f"admin{depth}", depth, pcode, places)
    if str(row.get("idpOriginAdmin1Pcode") or "").strip().lower() in NOT_GIVEN:
        return pcode, None
    # Internal displacement: the admin 1 of origin is in the same country.
    return pcode, _code(row, "idpOriginAdmin1", 1, country, places)


def _whole(value: object, column: str) -> int | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and not value.is_integer():
        raise Refused(column, "number_format", "not a whole number of people", value)
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


def _figures(row: Record, level: int, ctx: MapContext, places: NewPlaces) -> list[Record]:
    total = _whole(row["numPresentIdpInd"], "numPresentIdpInd")
    if total is None:
        raise Refused("numPresentIdpInd", "value_missing", "no number of IDPs present")
    pcode, origin = _where(row, level, places)
    as_of = _day(str(row["reportingDate"]))
    kind = str(row["assessmentType"])
    reason = row.get("displacementReason")
    ident = f"{row['operation']}/R{row['roundNumber']}"
    if row.get("id") is not None:
        ident += f"/{row['id']}"
    common: Record = {
        "source": ctx.source,
        "dataset": ctx.dataset,
        "source_record_id": ident,
        "publisher": f"IOM DTM, {row['operation']}, {ASSESSMENTS.get(kind, kind)}",
        "metric": Metric.IDPS.value,
        "pcode": pcode,
        "admin_level": admin_level_of(pcode),
        "origin_pcode": origin,
        "period_start": as_of,
        "period_end": as_of,
        "qualifier": Qualifier.EXACT.value,
        "cause": _cause(reason),
        "age_group": None,
        "unit": Unit.PEOPLE.value,
        "role": Role.RECOMMENDED.value,
        "excerpt": f"IDPs present, round {row['roundNumber']}"
        + (f", displaced by: {reason}" if reason else ""),
        "source_url": ctx.source_url,
        "retrieved_at": pd.Timestamp(ctx.retrieved_at),
        "run_id": ctx.run_id,
    }
    out = []
    for sex, column in ((None, "numPresentIdpInd"), ("m", "numberMales"), ("f", "numberFemales")):
        value = total if sex is None else _whole(row.get(column), column)
        if value is not None:
            record = {**common, "sex": sex, "value": value}
            record["figure_id"] = figure_id(record)
            out.append(record)
    return out


def _prefer_baseline(records: list[Record]) -> None:
    """Where a baseline and another assessment count the same thing, the baseline counts."""
    groups: dict[tuple[str, ...], list[Record]] = defaultdict(list)
    for record in records:
        groups[tuple(str(record[k]) for k in RECOMMENDED_KEY)].append(record)
    for group in groups.values():
        if len(group) > 1 and any("baseline" in str(r["publisher"]) for r in group):
            for record in group:
                if "baseline" not in str(record["publisher"]):
                    record["role"] = Role.TRIANGULATION.value


def to_figures(raw: pd.DataFrame, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """IDP stocks (and the places they need) from one response."""
    level = int(raw.attrs.get("level", 0))
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
    _prefer_baseline(records)
    return MappedFigures(to_figure_frame(records), rows, rejections, [], len(raw), known.frame())


CONNECTOR = Connector(
    name=NAME,
    title="IOM DTM API v3: IDPs present per country, admin 1 and admin 2",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    dataset_of=dataset_of,
    credentials=(CREDENTIAL,),
)
