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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from etl.errors import SourceError, SourceFormatError
from etl.figure_ids import figure_ids
from etl.frames import figure_frame, to_figure_frame
from etl.sources.base import (
    FIGURE_DEFAULTS,
    Connector,
    Credentials,
    Fetched,
    MapContext,
    MappedFigures,
    NewPlaces,
    Records,
    Refused,
    SourceConfig,
    all_records,
    checked_columns,
    checked_records,
    credential,
    json_document,
    record_keys,
)
from etl.sources.columnwise import Reading, Slot, add_places
from etl.sources.json_table import RecordTable, record_table
from etl.transport import HttpClient
from schemas.codes import Coded, factorized
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Role
from schemas.figures import COLUMNS, NATURAL_KEY, RECOMMENDED_KEY
from schemas.pcodes import admin_level_of, normalise_pcode
from schemas.raw.dtm import MODELS
from schemas.runs import RejectionCode

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
# The figures of a record, in this order: its total, then its males and females where split.
SEXES = (None, "m", "f")
COUNT_COLUMNS = ("numPresentIdpInd", "numberMales", "numberFemales")
# Whole numbers up to this size survive a float unchanged; larger counts are read one by one.
EXACT_IN_A_FLOAT = 2**53


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


def _fields_level(keys: list[str]) -> int | None:
    """The admin level a response is for, from its records' fields: the deepest
    `adminN...` field.

    `idpOriginAdmin1Pcode` is where people came from, not a level of the response.
    """
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
    if not isinstance(result, list) or not all_records(result):
        raise SourceFormatError(f"{where}: field 'result' missing or not a list of records")
    total = doc.get("totalRecordsCount")
    # The count the upstream says it sent: fewer records means a cut or changed response.
    if isinstance(total, int) and not isinstance(total, bool) and total != len(result):
        raise SourceFormatError(
            f"{where}: totalRecordsCount is {total} but 'result' holds {len(result)} records"
        )
    return result


def _table(fetched: Fetched) -> RecordTable | None:
    """The records as columns where every record holds the first's keys and the envelope
    says it succeeded with every record it counts; None for any other response (which
    `_result` reads, refusing as it must)."""
    table = record_table(fetched.body, "result", ("isSuccess", "totalRecordsCount"))
    if table is None or table.envelope["isSuccess"] is not True:
        return None
    total = table.envelope["totalRecordsCount"]
    counted = isinstance(total, int) and not isinstance(total, bool)
    return None if counted and total != table.cells.shape[1] else table


def read(fetched: Fetched) -> Records:
    """The records of one response, checked against what the API promises for its level,
    as the endpoint of that level (admin0, admin1 or admin2)."""
    table = _table(fetched)
    rows = _result(fetched) if table is None else []
    keys = record_keys(rows) if table is None else table.keys
    level = _url_level(fetched)
    if level is None:
        level = _fields_level(keys)
    if level is None:  # no records to tell by: an empty answer, named by its endpoint or not
        name = fetched.name.split(".", 1)[0]
        level = int(name[-1]) if name in ("admin0", "admin1", "admin2") else 0
    model = MODELS[level]
    where = f"{NAME}: {fetched.name}"
    if table is not None:
        frame = checked_columns(keys, table.cells, model, where)
    else:
        frame = checked_records(rows, model, where, keys)
    return Records(frame, f"admin{level}", fetched.name, admin_level=level)


@dataclass(frozen=True)
class _Counts:
    """A column of counts: its cells, their whole numbers (0 where missing), where a count is
    missing, and why a cell that is no whole number of people is refused (None where it is)."""

    cells: np.ndarray
    values: np.ndarray
    missing: np.ndarray
    wrong: np.ndarray


def _cells(raw: pd.DataFrame, column: str) -> np.ndarray:
    """A field's cells as served; all None for an optional field the response lacks."""
    if column not in raw:
        return np.full(len(raw), None, dtype=object)
    return raw[column].to_numpy(dtype=object)


def _on_distinct(func: Callable[[Any], object], cells: np.ndarray) -> np.ndarray:
    """`func` of every cell, called once per distinct value.

    None and NaN are one value here (given to `func` as None), and so are 8 and 8.0: only for
    a `func` that treats them alike (never the text of a number).
    """
    codes, uniques = factorized(cells)
    results = np.empty(len(uniques), dtype=object)
    for number, value in enumerate(uniques):
        results[number] = func(None if _is_missing(value) else value)
    return results[codes]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _on_distinct_pairs(
    func: Callable[[Any, Any], object], first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """`func` of every pair of cells, called once per distinct pair (as `_on_distinct`)."""
    first_codes, first_values = factorized(first)
    second_codes, second_values = factorized(second)
    width = max(len(second_values), 1)
    codes, pairs = pd.factorize(first_codes.astype(np.int64) * width + second_codes)
    results = np.empty(len(pairs), dtype=object)
    for number, pair in enumerate(pairs):
        first_value, second_value = first_values[pair // width], second_values[pair % width]
        results[number] = func(
            None if _is_missing(first_value) else first_value,
            None if _is_missing(second_value) else second_value,
        )
    return results[codes]


def _whole(value: object, column: str) -> int | None:
    """A count as a whole number; None (missing, never 0) for a null."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and not value.is_integer():
        raise Refused(column, RejectionCode.NUMBER_FORMAT, "not a whole number of people", value)
    if int(value) < 0:  # type: ignore[call-overload]
        raise Refused(column, RejectionCode.NUMBER_FORMAT, "a negative number of people", value)
    return int(value)  # type: ignore[call-overload]


def _counts(cells: np.ndarray) -> _Counts:
    """A column of counts read as `_whole` reads one, all at once."""
    missing = pd.isna(cells)
    try:
        numbers = np.where(missing, 0.0, cells).astype(np.float64)
    except (OverflowError, TypeError, ValueError):
        return _counts_one_by_one(cells)
    whole = np.isfinite(numbers) & (np.floor(numbers) == numbers)
    if np.abs(numbers[whole]).max(initial=0) >= EXACT_IN_A_FLOAT:
        return _counts_one_by_one(cells)
    wrong = np.full(len(cells), None, dtype=object)
    wrong[~whole] = "not a whole number of people"
    wrong[whole & (numbers < 0)] = "a negative number of people"
    values = np.where(whole, numbers, 0).astype(np.int64)
    return _Counts(cells, values, missing, wrong)


def _counts_one_by_one(cells: np.ndarray) -> _Counts:
    """`_counts` cell by cell, for numbers too large for a float to hold exactly."""
    values = np.zeros(len(cells), dtype=object)
    missing = np.zeros(len(cells), dtype=bool)
    wrong = np.full(len(cells), None, dtype=object)
    for position, cell in enumerate(cells):
        try:
            value = _whole(cell, "")
        except Refused as refused:
            wrong[position] = refused.parts[2]
            continue
        if value is None:
            missing[position] = True
        else:
            values[position] = value
    return _Counts(cells, values, missing, wrong)


def _check_counts(checks: Reading, counts: _Counts, column: str) -> None:
    """Refuse the records whose count in `column` is no whole number of people."""

    def refusal(position: int) -> Refused:
        reason = counts.wrong[position]
        return Refused(column, RejectionCode.NUMBER_FORMAT, reason, counts.cells[position])

    checks.check(~pd.isna(counts.wrong), refusal)


def _country(iso3: object) -> str | None:
    return ISO3_TO_PCODE.get(str(iso3).strip().upper())


def _fits(level: int, code: object, parent: object) -> bool:
    """Whether `code` is an admin-`level` COD P-code under `parent` (True where either is
    missing: that record is refused by an earlier check)."""
    if not isinstance(code, str) or not isinstance(parent, str):
        return True
    return admin_level_of(code) == level and code.startswith(parent)


def _names_an_origin(origin: object) -> bool:
    """Whether an origin cell names a place: "Not available" (and null) is no origin."""
    return not (str(origin or "").strip().lower() in NOT_GIVEN or normalise_pcode(origin) is None)


def _code(
    raw: pd.DataFrame,
    field: str,
    level: int,
    parents: np.ndarray,
    checks: Reading,
    slots: list[Slot],
    asked: np.ndarray | None = None,
) -> np.ndarray:
    """The admin P-codes in `field`Pcode in the gazetteer's spelling, checked against the COD
    pattern and their parents, for the records `asked` (all unless given)."""
    published = _cells(raw, f"{field}Pcode")
    codes = _on_distinct(normalise_pcode, published)
    asked = np.ones(len(raw), dtype=bool) if asked is None else asked
    column = f"{field}Pcode"

    def unspecified(position: int) -> Refused:
        reason = f"no admin {level} P-code"
        return Refused(column, RejectionCode.PLACE_UNSPECIFIED, reason, published[position])

    def misfit(position: int) -> Refused:
        reason = f"not an admin-{level} COD P-code under {parents[position]}"
        return Refused(column, RejectionCode.PCODE_FORMAT, reason, published[position])

    checks.check(asked & pd.isna(codes), unspecified)
    fits = _on_distinct_pairs(functools.partial(_fits, level), codes, parents).astype(bool)
    checks.check(asked & ~fits, misfit)
    slots.append(Slot(codes, _cells(raw, f"{field}Name"), level, parents, asked & checks.open))
    return codes


def _where(
    raw: pd.DataFrame, level: int, checks: Reading
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Slot]]:
    """(P-code where the IDPs are, the code as DTM wrote it when it differs, P-code of the
    admin 1 they came from or None) of every record, and the places they name in the order
    a record names them."""
    iso3 = raw["admin0Pcode"].to_numpy(dtype=object)
    country = _on_distinct(_country, iso3)

    def no_country(position: int) -> Refused:
        reason = "no admin-0 P-code for this ISO3 code in schemas.countries"
        return Refused("admin0Pcode", RejectionCode.COUNTRY_CODE, reason, iso3[position])

    checks.check(pd.isna(country), no_country)
    nowhere = np.full(len(raw), None, dtype=object)
    names = raw["admin0Name"].to_numpy(dtype=object)
    slots = [Slot(country, names, 0, nowhere, checks.open)]
    pcode, published = country, iso3
    for depth in range(1, level + 1):
        pcode = _code(raw, f"admin{depth}", depth, pcode, checks, slots)
        published = _cells(raw, f"admin{depth}Pcode")
    differs = _on_distinct(lambda cell: isinstance(cell, str), published).astype(bool)
    differs &= published != pcode
    as_published = np.where(differs, published, None)
    # "Not available" (and null) is no origin: the figure has none, never a place named so.
    given = _on_distinct(_names_an_origin, _cells(raw, "idpOriginAdmin1Pcode")).astype(bool)
    # Internal displacement: the admin 1 of origin is in the same country.
    origin = _code(raw, "idpOriginAdmin1", 1, country, checks, slots, given)
    return pcode, as_published, np.where(given, origin, None), slots


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.fromisoformat(text).date())


def _days(cells: np.ndarray) -> np.ndarray:
    """The reporting date of every cell, as a day."""
    codes, uniques = factorized(cells)
    days = np.array([_day(str(u)).to_datetime64() for u in uniques], dtype="datetime64[ns]")
    return days[codes]


@functools.lru_cache(maxsize=256)
def _cause(reason: object) -> str | None:
    text = str(reason or "").lower()
    for cause, words in CAUSE_WORDS.items():
        if any(w in text for w in words):
            return cause.value
    return None  # an unknown reason is kept in the excerpt, not guessed into a cause


def _reason(cell: object) -> str | None:
    """The displacement reason as DTM wrote it, or None when it gives none."""
    return cell.strip() if isinstance(cell, str) and cell.strip() else None


def _texts(cells: np.ndarray) -> np.ndarray:
    """The text of each cell, cell by cell: as numbers, 8 and 8.0 are one value, not one text."""
    return np.array([f"{cell}" for cell in cells], dtype=object)


@dataclass(frozen=True)
class _Figures:
    """The figures of the records kept: the record (its place among them) and the sex of each,
    and the columns of the store's keys that a record gives all its figures, each value
    numbered (`pd.factorize`) record by record."""

    rows: np.ndarray
    sexes: np.ndarray
    coded: dict[str, np.ndarray]

    def groups(self, names: list[str]) -> np.ndarray:
        """One number per figure, shared by the figures alike in every column of `names`.

        `sex` differs figure by figure; the columns of the key neither coded nor `sex`
        (source, dataset, metric, age_group, unit) hold one value for every figure of a
        response.
        """
        groups = np.zeros(len(next(iter(self.coded.values()))), dtype=np.int64)
        for name in names:
            if name in self.coded:
                codes = self.coded[name]
                groups = pd.factorize(groups * (int(codes.max()) + 1) + codes)[0]
        return groups[self.rows] * len(SEXES) + self.sexes


def _name_the_reasons(figures: _Figures, publishers: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    """Give the parts of a round split by reason a natural key each: the reason joins their
    `publisher` ("IOM DTM, Lake Chad Basin Crisis, baseline assessment, Natural disaster").

    Only a split gets it, so a round published with one reason keeps its figure id.
    """
    groups = figures.groups([c for c in NATURAL_KEY if c != "cause"])
    reason_codes = factorized(reasons)[0]
    width = int(reason_codes.max()) + 1
    pairs = np.unique(groups * width + reason_codes[figures.rows])
    split = np.bincount(pairs // width, minlength=groups.max() + 1)[groups] > 1
    named = publishers[figures.rows]
    parts = np.flatnonzero(split)
    labels = np.where(pd.isna(reasons), "no reason given", reasons)[figures.rows[parts]]
    named[parts] = named[parts] + ", " + labels
    return named


def _settle_roles(
    figures: _Figures, baseline: np.ndarray, reasons: np.ndarray, values: np.ndarray
) -> np.ndarray:
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
       kept for triangulation (ties: the first reason in alphabetical order, then the first
       figure), so no part is lost and none is counted twice.
    """
    rows = figures.rows
    places = figures.groups([c for c in RECOMMENDED_KEY if c != "origin_pcode"])
    counted = np.zeros(places.max() + 1, dtype=bool)
    counted[places[baseline[rows]]] = True
    roles = np.empty(len(rows), dtype=object)
    roles.fill(Role.RECOMMENDED.value)
    roles[~baseline[rows] & counted[places]] = Role.TRIANGULATION.value
    recommended = np.flatnonzero(roles == Role.RECOMMENDED.value)
    keys = figures.groups(RECOMMENDED_KEY)[recommended]
    sizes = values[recommended]
    # Counts too large for int64 stay Python ints: ranked instead of negated.
    largest = -sizes if sizes.dtype == np.int64 else -pd.factorize(sizes, sort=True)[0]
    texts = np.where(pd.isna(reasons), "", reasons)
    alphabetical = pd.factorize(texts, sort=True)[0][rows[recommended]]
    ranked = np.lexsort((recommended, alphabetical, largest, keys))
    behind = np.zeros(len(ranked), dtype=bool)
    behind[1:] = keys[ranked[1:]] == keys[ranked[:-1]]
    roles[recommended[ranked[behind]]] = Role.TRIANGULATION.value
    return roles


def _record_columns(
    raw: pd.DataFrame, kept: np.ndarray, where: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> dict[str, np.ndarray]:
    """What each record `kept` gives all its figures: provenance, place, date and cause (and
    its reason and assessment, which settle their roles)."""
    pcode, published, origin = (column[kept] for column in where)
    operations = raw["operation"].to_numpy(dtype=object)[kept]
    rounds = _texts(raw["roundNumber"].to_numpy(dtype=object)[kept])
    ids = _cells(raw, "id")[kept]
    suffixes = np.array(["" if cell is None else f"/{cell}" for cell in ids], dtype=object)
    kinds = raw["assessmentType"].to_numpy(dtype=object)[kept]
    reasons = _on_distinct(_reason, _cells(raw, "displacementReason")[kept])
    as_of = _days(raw["reportingDate"].to_numpy(dtype=object)[kept])

    def publisher(operation: object, kind: object) -> str:
        return f"IOM DTM, {operation}, {ASSESSMENTS.get(str(kind), str(kind))}"

    displaced = _on_distinct(lambda r: f", displaced by: {r}" if r else "", reasons)
    return {
        "source_record_id": operations + "/R" + rounds + suffixes,
        "publisher": _on_distinct_pairs(publisher, operations, kinds),
        "pcode": pcode,
        "admin_level": _on_distinct(lambda p: admin_level_of(str(p)), pcode),
        "origin_pcode": origin,
        "period_start": as_of,
        "period_end": as_of,
        "cause": _on_distinct(_cause, reasons),
        "excerpt": "IDPs present, round " + rounds + displaced,
        "published_pcode": published,
        "reason": reasons,
        "baseline": _on_distinct(lambda kind: str(kind) == "BA", kinds).astype(bool),
    }


def _figure_columns(
    records: dict[str, np.ndarray], kept: np.ndarray, counts: list[_Counts], ctx: MapContext
) -> tuple[dict[str, np.ndarray | Coded], np.ndarray]:
    """Every column of the figures of the records `kept` (a total and, where DTM splits it,
    males and females), with their provenance and roles settled; and the record of each."""
    splits = [~c.missing[kept] for c in counts[1:]]
    present = np.column_stack([np.ones(len(kept), dtype=bool), *splits]).ravel()
    rows = np.repeat(np.arange(len(kept)), len(SEXES))[present]
    sexes = np.tile(np.arange(len(SEXES)), len(kept))[present]
    values = np.column_stack([c.values[kept] for c in counts])[rows, sexes]
    day = pd.factorize(records["period_start"])[0]  # the same column twice: numbered once
    keys = ("publisher", "pcode", "origin_pcode", "cause")
    numbered = {k: factorized(records[k]) for k in keys}
    coded = {k: codes for k, (codes, _) in numbered.items()}
    figures = _Figures(rows, sexes, {**coded, "period_start": day, "period_end": day})
    reasons = records["reason"]

    def same(value: object) -> Coded:
        return Coded.constant(value, len(rows))

    columns: dict[str, np.ndarray | Coded] = {
        "source": same(ctx.source),
        "dataset": same(ctx.dataset),
        "publisher": _name_the_reasons(figures, records["publisher"], reasons),
        "metric": same(Metric.IDPS.value),
        "value": values,
        "qualifier": same(FIGURE_DEFAULTS["qualifier"]),
        "sex": Coded.of(sexes, SEXES),
        "age_group": same(FIGURE_DEFAULTS["age_group"]),
        "unit": same(FIGURE_DEFAULTS["unit"]),
        "role": _settle_roles(figures, records["baseline"], reasons, values),
        "source_url": same(ctx.source_url),
        "retrieved_at": same(pd.Timestamp(ctx.retrieved_at)),
        "run_id": same(ctx.run_id),
    }
    for name in ("pcode", "origin_pcode", "cause"):  # numbered above: handed on coded
        codes, values = numbered[name]
        columns[name] = Coded.of(codes[rows], values)
    for name in COLUMNS:  # the rest: what each record gives all its figures
        if name not in columns and name in records:
            columns[name] = records[name][rows]
    columns["figure_id"] = figure_ids(columns)
    return columns, kept[rows]


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """IDP stocks (and the places they need) from one response."""
    raw, level = served.frame, served.admin_level or 0
    known = NewPlaces(places)
    if raw.empty:
        return MappedFigures(to_figure_frame([]), [], [], [], len(raw), known.frame())
    checks = Reading(len(raw))
    counts = [_counts(_cells(raw, column)) for column in COUNT_COLUMNS]
    total = COUNT_COLUMNS[0]
    _check_counts(checks, counts[0], total)

    def no_count(_: int) -> Refused:
        return Refused(total, RejectionCode.VALUE_MISSING, "no number of IDPs present")

    checks.check(counts[0].missing, no_count)
    pcode, published, origin, slots = _where(raw, level, checks)
    add_places(slots, known, checks)
    for column, split in zip(COUNT_COLUMNS[1:], counts[1:], strict=True):
        _check_counts(checks, split, column)
    rejections = checks.rejections(raw)
    kept = np.flatnonzero(checks.open)
    if not len(kept):
        return MappedFigures(to_figure_frame([]), [], rejections, [], len(raw), known.frame())
    records = _record_columns(raw, kept, (pcode, published, origin))
    columns, rows = _figure_columns(records, kept, counts, ctx)
    numbers = raw.index.to_numpy()[rows].tolist()
    return MappedFigures(figure_frame(columns), numbers, rejections, [], len(raw), known.frame())


CONNECTOR = Connector(
    name=NAME,
    title="IOM DTM API v3: IDPs present per country, admin 1 and admin 2",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    credentials=(CREDENTIAL,),
)
