"""The shape every connector shares: fetch (the only I/O), read, and a pure mapping."""

import datetime as dt
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pandera.pandas as pa

from etl.errors import InputError, SourceAuthError, SourceFormatError
from etl.sources.collector import collector_paused
from etl.transport import HttpClient
from schemas.codes import Coded
from schemas.enums import Qualifier, Role, Unit
from schemas.pcodes import admin_level_of
from schemas.places import PLACE_COLUMNS
from schemas.raw.hdx_hapi import failures
from schemas.runs import Rejection, RejectionCode


@dataclass(frozen=True)
class Fetched:
    """One upstream response as served: its bytes, its name and public URL, when it came."""

    name: str  # file name, or the endpoint and page
    body: bytes
    url: str | None  # without credentials
    retrieved_at: dt.datetime
    content_type: str | None = None

    @classmethod
    def from_file(cls, path: Path) -> "Fetched":
        """A response saved to a file, read back as the upstream served it."""
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not a file")
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        return cls(path.name, path.read_bytes(), None, stamp)


@dataclass(frozen=True)
class MapContext:
    """What a mapped figure records about the run that produced it."""

    source: str
    dataset: str
    run_id: str
    retrieved_at: dt.datetime
    source_url: str | None = None


@dataclass(frozen=True)
class Records:
    """One response as read: its records, the publication they belong to, and what was asked.

    Whatever the mapping must know about a response travels here, typed: never in the
    frame's `attrs`, which many pandas operations drop without a word.
    """

    frame: pd.DataFrame  # the records as served, indexed by their position or row number
    dataset: str  # the publication or endpoint: what a run's figures replace in the store
    name: str = ""  # the response's file name, or its endpoint and page
    # The names this publication was stored under before (a file name); their figures are
    # replaced with the publication's, so one publication is never stored twice.
    supersedes: tuple[str, ...] = ()
    admin_level: int | None = None  # the admin level every record is at, where the endpoint says
    countries: tuple[str, ...] = ()  # ISO3 codes asked for; empty for every country served
    since: dt.date | None = None  # the first day asked for
    as_of: dt.date | None = None  # the day every stock of the response is as of
    tags: tuple[Any, ...] = ()  # the hashtag of each column, for a HXL table
    # Fields the reader already holds as numbers into their distinct cells (a CSV table's,
    # numbered as it was read), each the frame's column of that name cell for cell: the
    # mapping groups them without reading their text again.
    coded: Mapping[str, Coded] = field(default_factory=dict)


@dataclass(frozen=True)
class MappedFigures:
    """What a connector hands the pipeline for one response: the canonical figures, the
    records refused, the columns ignored, the places to add and the notes."""

    figures: pd.DataFrame
    row_numbers: list[int]  # the upstream record of each figure, by position
    rejections: list[Rejection]
    ignored_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    # Admin units the upstream names with their P-codes that the gazetteer lacks (columns of
    # schemas.places.PLACE_COLUMNS); they are added in the same transaction as the figures.
    new_places: pd.DataFrame | None = None
    # What the mapping decided that its user should know (columns read the other way round,
    # timestamps read in the publisher's time zone, rows added up); kept in the run's message.
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceConfig:
    """One source's section of the sources config file."""

    name: str
    enabled: bool = False
    countries: tuple[str, ...] = ()
    since: dt.date | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Connector:
    """An upstream: how to fetch it, read a response, and map records to figures."""

    name: str
    title: str
    fetch: Callable[[HttpClient, SourceConfig, "Credentials"], Iterator[Fetched]]
    read: Callable[[Fetched], Records]
    to_figures: Callable[[Records, MapContext, pd.DataFrame], MappedFigures]
    credentials: tuple[str, ...] = ()  # settings names this source needs
    # A pass over every figure of a run, after mapping and before validation, for rules a
    # page cannot settle alone (one page of a paged API may hold one half of a pair); it keeps
    # the rows and their order and may change only their roles.
    settle: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def __post_init__(self) -> None:
        # Reading and mapping a response make and drop a few hundred thousand acyclic lists
        # and dicts; the cycle collector's passes over them are a third of a parse's time.
        for step in ("read", "to_figures"):
            object.__setattr__(self, step, collector_paused()(getattr(self, step)))


Credentials = Mapping[str, str | None]
Progress = Callable[[Iterable], Iterable]


def credential(credentials: Credentials, name: str, source: str, what: str) -> str:
    """The credential `name` a source needs; its absence is a one-line SourceAuthError."""
    key = credentials.get(name)
    if not key:
        raise SourceAuthError(f"{source}: no {what} (set {name.upper()})")
    return key


def json_document(fetched: Fetched, where: str) -> object:
    """A response's JSON; HTML or broken JSON is a one-line SourceFormatError naming `where`."""
    if fetched.body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{where}: HTML where JSON was expected")
    try:
        return parse_json(fetched.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{where}: not valid JSON (truncated?): {exc}") from None
    except RecursionError:
        raise SourceFormatError(f"{where}: JSON nested too deeply to read") from None
    except ValueError as exc:  # a number of more digits than Python converts
        raise SourceFormatError(f"{where}: not readable JSON ({str(exc).split(';')[0]})") from None


# orjson reads an integer outside [-2**63, 2**64) as a float: a run of this many digits may be
# one, and `json` reads that document instead (slower, but every integer stays exact).
_LONG_DIGITS = 19
_HIGH_HALVES = np.uint64(0xF0F0F0F0F0F0F0F0)
_THREES = np.uint64(0x3030303030303030)
_SIXES = np.uint64(0x0606060606060606)


def parse_json(body: bytes) -> object:
    """JSON as the standard `json` reads it, by orjson (a third less time) where both read it
    alike: a document orjson refuses (NaN, Infinity, UTF-16, a lone surrogate...) or that may
    hold an integer beyond 64 bits is read by `json`, its errors and all."""
    if not _has_digit_run(body, _LONG_DIGITS):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def _has_digit_run(body: bytes, length: int) -> bool:
    """Whether `length` (15 or more) ASCII digits follow one another anywhere in `body`.

    Such a run holds a whole aligned block of 8 bytes, so the blocks of 8 digits are found
    first, eight bytes a step; only around those are the digits counted byte by byte.
    """
    blocks = _digit_blocks(np.frombuffer(body, dtype=np.uint64, count=len(body) // 8))
    if not len(blocks):
        return False
    reach = length - 8  # digits beside a block that would make the run long enough
    cells = np.frombuffer(body, dtype=np.uint8)
    at = blocks[:, None] * 8 + np.arange(-reach, 8 + reach)
    inside = (at >= 0) & (at < len(cells))
    # uint8: a byte below '0' wraps round to above '9'
    digit = inside & ((cells[np.clip(at, 0, len(cells) - 1)] - ord("0")) < 10)
    before = np.cumprod(digit[:, reach - 1 :: -1], axis=1).sum(axis=1)
    after = np.cumprod(digit[:, reach + 8 :], axis=1).sum(axis=1)
    return bool((before + after >= reach).any())


def _digit_blocks(words: np.ndarray, step: int = 1 << 15) -> np.ndarray:
    """The positions of the words (8 bytes each) that are 8 ASCII digits.

    A byte is a digit when its high half is 3 and adding 6 leaves it 3 (0x30-0x39). The
    words are taken a slice at a time into the same few buffers, which stay in the cache:
    twice as fast as whole-array steps over a response of megabytes.
    """
    found = []
    high, digits, still = np.empty(step, np.uint64), np.empty(step, bool), np.empty(step, bool)
    for start in range(0, len(words), step):
        part = words[start : start + step]
        h, d, s = high[: len(part)], digits[: len(part)], still[: len(part)]
        np.equal(np.bitwise_and(part, _HIGH_HALVES, out=h), _THREES, out=d)
        np.add(part, _SIXES, out=h)
        d &= np.equal(np.bitwise_and(h, _HIGH_HALVES, out=h), _THREES, out=s)
        if d.any():
            found.append(np.flatnonzero(d) + start)
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def all_records(items: list[object]) -> bool:
    """Whether every item is a record (a JSON object), told by one isinstance call an item."""
    return all(map(isinstance, items, itertools.repeat(dict)))


def envelope_records(doc: object, field: str, where: str) -> list[dict[str, object]]:
    """The records an envelope holds under `field`, or why it holds none."""
    records = doc.get(field) if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise SourceFormatError(f"{where}: field '{field}' missing from the envelope or not a list")
    if not all_records(records):
        raise SourceFormatError(f"{where}: field '{field}' holds something other than records")
    return records


def checked_records(
    rows: list[dict[str, object]],
    model: type[pa.DataFrameModel],
    where: str,
    keys: list[str] | None = None,
) -> pd.DataFrame:
    """Records as served, checked against what the upstream promises (its raw model).

    Every key any record has becomes a column of objects, values untouched; an empty response
    gets the promised columns and nothing to check. The index is each record's position,
    from 1, so a rejection can name it.
    """
    columns = (record_keys(rows) if keys is None else keys) or list(model.to_schema().columns)
    size = len(rows)
    # dict.get itself reads plain dicts (what JSON gives) a lookup per cell faster; a mapping
    # of another kind answers .get its own way.
    plain = set(map(type, rows)) <= {dict}
    table = _every_key(rows, columns) if plain else None
    if table is not None:
        # pandas copies the records' rows into columns, as a frame keeps them.
        frame = pd.DataFrame(table, index=pd.RangeIndex(1, size + 1), columns=columns, dtype=object)
        return _checked(frame, model, where)
    cells = np.empty((len(columns), size), dtype=object)
    for place, found in enumerate(_column_cells(rows, columns, plain)):
        # np.fromiter keeps a list-valued cell one cell, where np.array would add a
        # dimension.
        cells[place] = np.fromiter(found, object, size)
    return checked_columns(columns, cells, model, where)


def checked_columns(
    columns: list[str], cells: np.ndarray, model: type[pa.DataFrameModel], where: str
) -> pd.DataFrame:
    """Records given as columns (a row of `cells` per column), checked as `checked_records`
    checks records."""
    index = pd.RangeIndex(1, cells.shape[1] + 1)
    # Each row of `cells` is already a column's cells side by side: the frame takes them.
    frame = pd.DataFrame(cells.T, index=index, columns=columns, dtype=object, copy=False)
    return _checked(frame, model, where)


def _checked(frame: pd.DataFrame, model: type[pa.DataFrameModel], where: str) -> pd.DataFrame:
    """`frame`, validated against `model`; a failure is one SourceFormatError naming `where`."""
    if len(frame):
        try:
            model.validate(frame, lazy=True, inplace=True)  # nothing to coerce: no copy
        except pa.errors.SchemaErrors as exc:
            raise SourceFormatError(f"{where}: {failures(exc)}") from None
    return frame


def record_keys(rows: list[dict[str, object]]) -> list[str]:
    """Every key any record has, in the order they first appear (what `checked_records`
    makes columns of, given as `keys` by a reader that looked at them first)."""
    first = dict.fromkeys(rows[0]) if rows else {}
    # Most responses give every record the same keys: a set of them all says so, faster
    # than keeping their order.
    if set().union(*rows) <= first.keys():
        return list(first)
    return list(dict.fromkeys(itertools.chain.from_iterable(rows)))


def _every_key(rows: list[dict[str, object]], columns: list[str]) -> np.ndarray | None:
    """Each record's cells (a row per record) where every record, a plain dict, holds every
    key (most responses); None otherwise.

    One itemgetter a record reads its cells in C, laid out by `grid`.
    """
    if len(columns) < 2:
        return None  # an itemgetter of one key gives the value, not a tuple
    try:
        return grid(map(operator.itemgetter(*columns), rows), len(rows), len(columns))
    except KeyError:
        return None


def grid(rows: Iterable[Iterable[object]], count: int, width: int) -> np.ndarray:
    """`count` rows of `width` cells each as one (count, width) array of objects: laid out
    cell by cell in C, without numpy looking into a row or a cell for a shape (a
    list-valued cell stays one cell, where np.array would add a dimension)."""
    cells = np.fromiter(itertools.chain.from_iterable(rows), dtype=object, count=count * width)
    return cells.reshape(count, width)


def _column_cells(
    rows: list[dict[str, object]], columns: list[str], plain: bool
) -> Iterable[Iterable[object]]:
    """Each column's cells, a record's missing key read as None.

    (Records that all hold every key are read by `_every_key`.)
    """
    if not plain:
        return ((r.get(column) for r in rows) for column in columns)
    return (map(dict.get, rows, itertools.repeat(column)) for column in columns)


def numbered_records(raw: pd.DataFrame) -> Iterator[tuple[int, dict[str, object]]]:
    """Each record of a checked frame with its position, as a plain dict (fast to walk)."""
    return zip(map(int, raw.index.tolist()), record_dicts(raw), strict=True)


def record_dicts(raw: pd.DataFrame) -> list[dict[str, object]]:
    """Each record of a frame as a plain dict, its columns named as text."""
    columns = [str(c) for c in raw.columns]
    if not columns:
        return [{} for _ in range(len(raw))]
    rows = zip(*(raw.iloc[:, at].tolist() for at in range(len(columns))), strict=True)
    # Each dict made in C, without a Python frame per record: every row is as long as
    # `columns`.
    return list(map(dict, map(zip, itertools.repeat(columns), rows)))


# What a canonical figure record holds unless its connector says otherwise.
FIGURE_DEFAULTS: dict[str, object] = {
    "source_record_id": None,
    "publisher": None,
    "origin_pcode": None,
    "qualifier": Qualifier.EXACT.value,
    "cause": None,
    "sex": None,
    "age_group": None,
    "unit": Unit.PEOPLE.value,
    "role": Role.RECOMMENDED.value,
    "excerpt": None,
    "published_pcode": None,
}


def fill_defaults(columns: dict[str, object], count: int) -> None:
    """Give each canonical column `columns` lacks its FIGURE_DEFAULTS value, as a coded
    column (typed and hashed once)."""
    for name, value in FIGURE_DEFAULTS.items():
        if name not in columns:
            columns[name] = Coded.constant(value, count)


def figure_record(ctx: MapContext, **fields: object) -> dict[str, object]:
    """One canonical figure: the run's provenance, the defaults, `fields`, its level and id.

    The admin level comes from the P-code unless given; `published_pcode` is kept only where
    it differs from the stored code. Its id is left for `etl.frames.to_figure_frame`, which
    hashes a whole response's keys at once.
    """
    record: dict[str, object] = {
        "source": ctx.source,
        "dataset": ctx.dataset,
        "source_url": ctx.source_url,
        "retrieved_at": pd.Timestamp(ctx.retrieved_at),
        "run_id": ctx.run_id,
        **FIGURE_DEFAULTS,
        **fields,
    }
    if "admin_level" not in fields:
        record["admin_level"] = admin_level_of(str(record["pcode"]))
    if record["published_pcode"] == record["pcode"]:
        record["published_pcode"] = None
    record["figure_id"] = None
    return record


class Refused(Exception):
    """A record that cannot become a figure: the column, check, reason and value.

    The one refusal every connector raises while mapping a record; the pipeline turns it
    into a `Rejection` naming the record.
    """

    def __init__(
        self, column: str, check: RejectionCode, reason: str, value: object = None
    ) -> None:
        super().__init__(reason)
        self.parts = (column, check, reason, value)

    def rejection(self, number: int, record: dict[str, object]) -> Rejection:
        """The rejection of record `number` for this reason."""
        column, check, reason, value = self.parts
        return Rejection(number, column, check, reason, value, record)


def rejections_of(
    numbers: list[int], refusals: list[Refused], records: list[dict[str, object]]
) -> list[Rejection]:
    """The rejection of each record `numbers` gives, for its `Refused`, with its record."""
    parts = grid((refused.parts for refused in refusals), len(refusals), 4).T.tolist()
    return list(map(Rejection, numbers, *parts, records))


class NewPlaces:
    """Admin units an upstream names that the gazetteer lacks, gathered as the mapping runs."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.known = set(places["pcode"].tolist()) if "pcode" in places else set()
        self.new: dict[str, dict[str, object]] = {}

    def add(self, pcode: str, name: object, level: int, parent: str | None) -> None:
        """Note `pcode` unless known; a place to add needs a name and a known parent, else the
        record is refused (a code under no unit the gazetteer knows is not one to add)."""
        if pcode in self.known or pcode in self.new:
            return
        if not isinstance(name, str) or not name.strip():
            raise Refused(
                "name", RejectionCode.PLACE_NAME, f"{pcode} is not in the gazetteer and has no name"
            )
        if parent is not None and parent not in self.known and parent not in self.new:
            reason = f"{pcode} is not in the gazetteer, nor is its parent {parent}"
            raise Refused("pcode", RejectionCode.PARENT_UNKNOWN, reason, pcode)
        cells = [pcode, "admin", name.strip(), None, level, parent, None, None]
        self.new[pcode] = dict(zip(PLACE_COLUMNS, cells, strict=True))

    def frame(self) -> pd.DataFrame | None:
        """The places to add, as gazetteer rows; None when there are none."""
        return pd.DataFrame(list(self.new.values()), columns=PLACE_COLUMNS) if self.new else None
