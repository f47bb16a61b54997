"""HXL-tagged CSV, .xlsx or JSON: columns read by their hashtags, never by their titles.

`read_hxl` is the only I/O (`etl.sources.hxl_files` reads each format's bytes into rows of
text cells); `map_hxl` turns the tagged rows into canonical figures. The rules follow what the
sector's publishers (IOM DTM, IDMC, OCHA offices) really write, not only the HXL dictionary:

Where
  The most specific non-empty of `#adm3+code`, `#adm2+code`, `#adm1+code`, `#loc+code` (a
  response area) and `#country+code` / `#country+iso3` (ISO 3166, to the admin 0 P-code).
  Admin codes are stored in the gazetteer's spelling (`MLI090101` is `ML090101`, trailing
  spaces trimmed) and the code as published stays in the record (`published_pcode`). A unit
  below admin 2 that the gazetteer lacks is added from the publication when its code has the
  shape of a child of the row's known admin 2 code and the row names it (`+name`). `+origin`
  columns are where people came from, never where they are. A publisher who swapped a level's
  `+code` and `+name` columns (names under `+code`, codes under `+name`) is read the right way
  round, and the run's notes say so; a `+code` column of names is refused otherwise.

When
  `#date+start` and `#date+end` bound a flow; one point date (`#date`, `#date+reported` or
  `#date+occurred`) is a stock's as-of date and a flow's end when it has no start.
  - Precedence: when `#date+occurred` and `#date+reported` both exist, `#date+occurred` is the
    figure's date and `#date+reported` is ignored (and named). A count describes the day its
    people were counted or displaced; the reported date only says when it became known, which
    for the same count can be days or months later. Any other pair of point dates (`#date`
    beside `#date+reported`) is refused: which one the publisher means cannot be known.
  - Dates derived from another date (`+year`, `+month`, as DTM writes beside
    `#date+reported`), dates of record keeping (`+created`, `+updated`, `+retrieved`) and
    dates of the event rather than the displacement (`#date+event+start`, when displacement
    dates exist) are ignored and named, never refused.
  - A year alone (`#date+year`, as IDMC publishes GIDD) is that whole year: a flow covers
    1 January to 31 December, a stock is as of 31 December.
  - A column of UTC timestamps that are all midnight in Pacific/Auckland (IDMC's convention)
    holds Auckland calendar dates: `2023-08-02T12:00:00.000Z` is 3 August.

What
  Each non-empty cell of a value column is one figure: `#affected+idps` (or `+idps+stock`)
  IDPs; `#affected+idps+new` / `+newdisp` and `#affected+displaced` new displacements (flows);
  `#affected+returnees`, `#affected+returns`, `#affected+refugees`, `#population`. `+f`/`+m`
  set sex, `+children`/`+adults`/`+elderly` age, `+hh` counts households (kept as such), `+ind`
  people; `+conflict`/`+disaster` set cause. Cells: `nan` is missing, `93236.0` is 93236,
  "80 418" is 80418; trailing spaces are trimmed.

How exact and whose
  From the cell ("1,000+", "about 3 million"), else from a `#meta+qualifier` column or IDMC's
  column tagged `#total` ("total", "more than", "approximately"). `#meta+source`, `#meta+url`,
  `#meta+id`, `#meta+excerpt`, `#meta+role`; cause from `#meta+cause` (strict) or `#cause`.

Several rows, one figure
  Rows that give the same place, period, metric and disaggregation and are told apart by a
  unit column (a site, location, event or operation: `#loc`, `#site`, `#event`, ...) are the
  units of that place: their values are added up, and the excerpt gives the count of rows. Rows
  identical in every column read are one figure published twice and count once.

Refused with their reason: no hashtag row, pre-1.0 hashtags (`#idp_num`), no place, date or
displacement value column, and two columns that mean the same.
"""

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from etl.errors import HxlError, InputError
from etl.figure_ids import figure_id, figure_ids
from etl.frames import figure_frame
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
)
from etl.sources.columnwise import firsts, on_distinct, same, same_time
from etl.sources.hxl_files import Grid, body_rows, csv_grid, read_grid
from etl.transport import HttpClient
from etl.values import MAX_COUNT, CellError, parse_iso_date, parse_number, parse_qualifier
from schemas.codes import Coded, combined, factorized
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import FLOW_METRICS, AgeGroup, Cause, Metric, Qualifier, Role, Sex, Unit
from schemas.figures import NATURAL_KEY
from schemas.pcodes import admin_level_of, normalise_pcode, parent_of
from schemas.runs import Rejection, RejectionCode


@dataclass(frozen=True)
class Tag:
    """One HXL hashtag with its attributes, e.g. #affected+idps+new."""

    hashtag: str
    attributes: frozenset[str]

    @classmethod
    def parse(cls, spec: str) -> "Tag | None":
        """Read a hashtag cell; None when the cell is not a hashtag."""
        parts = spec.strip().lower().replace(" ", "").split("+")
        if not parts[0].startswith("#") or len(parts[0]) < 2:
            return None
        return cls(parts[0][1:], frozenset(p for p in parts[1:] if p))

    def __str__(self) -> str:
        return "#" + "+".join([self.hashtag, *sorted(self.attributes)])


@dataclass(frozen=True)
class ValueColumn:
    """A column whose non-empty cells are figures."""

    index: int
    tag: Tag
    metric: Metric
    sex: Sex | None
    age_group: AgeGroup | None
    unit: Unit
    cause: Cause | None = None


@dataclass
class HxlColumns:
    """Which column holds what, found from the hashtag row."""

    place: dict[str, int] = field(default_factory=dict)  # adm3/adm2/adm1/loc/country -> col
    origin: dict[str, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)  # adm3/adm2/adm1/country -> +name col
    dates: dict[str, int] = field(default_factory=dict)  # start/end/reported/year -> col
    meta: dict[str, int] = field(default_factory=dict)  # qualifier/source/url/id/cause/...
    values: list[ValueColumn] = field(default_factory=list)
    units: list[int] = field(default_factory=list)  # site/location/event columns
    ignored: list[str] = field(default_factory=list)


@dataclass
class HxlTable:
    """The cells of an HXL file below its hashtag row, as text."""

    tags: list[str]  # the whole hashtag row
    # str cells, "" for empty; index = 1-based row number in the file; columns labelled by
    # their position in `tags` (only the columns the import reads, see `table_of`)
    rows: pd.DataFrame
    # Each column of `rows` as read, as numbers into its distinct cells, keyed by its label
    # as text: what `read` hands the mapping. A table whose rows are replaced keeps the old
    # ones, so `map_hxl` takes them only when handed them.
    coded: dict[str, Coded] = field(default_factory=dict)


PLACE_LEVELS = ("adm3", "adm2", "adm1", "loc", "country")
ADMIN_LEVELS = {"adm1": 1, "adm2": 2, "adm3": 3}
# (hashtag, attributes that say what is counted) -> metric
_VALUE_TAGS: dict[tuple[str, frozenset[str]], Metric] = {
    ("affected", frozenset({"idps"})): Metric.IDPS,
    ("affected", frozenset({"idps", "stock"})): Metric.IDPS,
    ("affected", frozenset({"idps", "new"})): Metric.NEW_DISPLACEMENTS,
    ("affected", frozenset({"idps", "newdisp"})): Metric.NEW_DISPLACEMENTS,
    ("affected", frozenset({"displaced"})): Metric.NEW_DISPLACEMENTS,
    ("affected", frozenset({"displaced", "new"})): Metric.NEW_DISPLACEMENTS,
    ("affected", frozenset({"displaced", "newdisp"})): Metric.NEW_DISPLACEMENTS,
    ("affected", frozenset({"returns", "new"})): Metric.RETURNS,
    ("affected", frozenset({"returns"})): Metric.RETURNS,
    ("affected", frozenset({"returnees"})): Metric.RETURNEES,
    ("affected", frozenset({"returnees", "stock"})): Metric.RETURNEES,
    ("affected", frozenset({"refugees"})): Metric.REFUGEES,
    ("population", frozenset()): Metric.POPULATION,
}
_SEX = {"f": Sex.FEMALE, "m": Sex.MALE}
_AGE = {"children": AgeGroup.CHILDREN, "adults": AgeGroup.ADULTS, "elderly": AgeGroup.ELDERLY}
_CAUSE_ATTRS = {"conflict": Cause.CONFLICT, "disaster": Cause.DISASTER}
# Attributes that say nothing we store (totals, individuals) are accepted on value columns.
_NEUTRAL = frozenset({"total", "ind", "i", "num", "all"})
_META = {"qualifier", "source", "url", "id", "cause", "role", "excerpt"}
_CROSS_CHECK = frozenset({"name"})
# Dates computed from another date, and dates of record keeping: never the figure's date.
_DERIVED_DATES = frozenset({"year", "month", "week", "quarter"})
_RECORD_DATES = frozenset({"created", "updated", "modified", "retrieved", "published"})
# Hashtags that name the unit a row is about (a site, an event, an operation): rows of one
# place and date told apart by them are parts of that place's figure.
_UNIT_HASHTAGS = frozenset({"loc", "site", "event", "operation", "crisis", "description"})
# Beta (pre-1.0) HXL hashtags carried their type in a suffix: #idp_num, #period_date.
_LEGACY_TAG = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:num|date|code|id|name|pct|deg)$")
# Cells that hold nothing: pandas' text for a missing number, DTM's for a missing code.
_MISSING = frozenset({"nan", "not available"})
_WHOLE_FLOAT = re.compile(r"^(\d+)\.0$")
_ZONED = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$"
)
AUCKLAND = ZoneInfo("Pacific/Auckland")
# Qualifier words of IDMC's #total column, beside those of etl.values.
_TOTAL_WORDS = {"total": Qualifier.EXACT}
# The words of a #cause column (DTM's displacement reason, IDMC's hazard type). Hazards are
# disasters by definition; any other word leaves the cause unstated, never guessed.
_CAUSE_WORDS = {
    "conflict": Cause.CONFLICT,
    "disaster": Cause.DISASTER,
    "natural disaster": Cause.DISASTER,
    "other": Cause.OTHER,
    # DTM's own reason words, as its API and its HXL sheets write them.
    "insecurity": Cause.INSECURITY,
    "no reason for displacement reported": Cause.NOT_REPORTED,
    "not reported": Cause.NOT_REPORTED,
    **{
        hazard: Cause.DISASTER
        for hazard in (
            "flood", "storm", "cyclone", "hurricane", "typhoon", "drought", "earthquake",
            "erosion", "landslide", "wildfire", "wet mass movement", "dry mass movement",
            "mass movement", "volcanic eruption", "volcanic activity", "extreme temperature",
            "tsunami",
        )
    },
}  # fmt: skip


def read_hxl(path: Path) -> HxlTable:
    """Read a HXL-tagged file (CSV, .xlsx or JSON): find the hashtag row, return the rows."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a CSV file")
    return decode_hxl(path.read_bytes(), str(path))


def decode_hxl(raw: bytes, name: str) -> HxlTable:
    """Read the bytes of a HXL-tagged CSV, .xlsx or JSON file and split off its hashtag row."""
    return table_of(read_grid(raw, name, usable=_usable))


def _usable(tags: list[str]) -> bool:
    """True for a hashtag row with a place, a date and a value column."""
    try:
        locate_columns(tags)
    except HxlError:
        return False
    return True


def parse_hxl_text(text: str, name: str = "input") -> HxlTable:
    """Split CSV text into its hashtag row and the data rows below it."""
    return table_of(csv_grid(text, name))


def table_of(grid: Grid) -> HxlTable:
    """The rows below the hashtag row as a frame of text cells (blank rows skipped).

    Only the columns the import reads are kept (frame columns labelled by their position in
    the hashtag row), so a file thousands of columns wide costs what its used columns cost.
    A hashtag row the import cannot use fails here, before the rows are read.
    """
    keep = used_columns(locate_columns(grid.tags))
    numbers, records = body_rows(grid)
    if records:
        width = max(keep) + 1
        for i in np.flatnonzero(np.fromiter(map(len, records), int, len(records)) < width):
            records[i] = records[i] + [""] * (width - len(records[i]))  # a short row: empty cells
    # One block of the cells as they are, a column a row: a frame of pandas' text type would
    # check and copy each cell, and the mapping reads them as objects again.
    block = np.empty((len(keep), len(records)), dtype=object)
    for i, position in enumerate(keep):
        block[i] = _texts(records, position)
    # Each column is numbered once, here; a row can be blank only where every cell it has
    # in these columns is blank, so only those rows are read whole.
    cells = [pd.factorize(column) for column in block]
    blank = _blank_rows(records, cells)
    if len(blank):
        kept = np.ones(len(records), dtype=bool)
        kept[blank] = False
        numbers = [n for n, k in zip(numbers, kept.tolist(), strict=True) if k]
        block = block[:, kept]
        cells = [pd.factorize(column) for column in block]
    index = pd.Index(np.array(numbers, dtype=np.int64))
    rows = pd.DataFrame(block.T, index=index, columns=keep, dtype=object, copy=False)
    coded = {str(k): Coded(codes, uniques) for k, (codes, uniques) in zip(keep, cells, strict=True)}
    return HxlTable(tags=grid.tags, rows=rows, coded=coded)


def _texts(records: list[list[str]], position: int) -> np.ndarray:
    """The cells at `position` of every record, as an object array of text."""
    column = np.fromiter(map(itemgetter(position), records), object, len(records))
    if len(column) and pd.api.types.infer_dtype(column, skipna=False) != "string":
        # not a grid's text cells: pandas' text type writes each, and a missing one as ""
        return pd.array(column, dtype="str").to_numpy(dtype=object, na_value="")
    return column


def _blank_rows(records: list[list[str]], cells: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The positions of the records that hold nothing (only spaces), of which `cells` (the
    numbered columns a mapping reads) say which could be."""
    could = np.ones(len(records), dtype=bool)
    for codes, uniques in cells:
        empty = np.fromiter((not str(u).strip() for u in uniques), bool, len(uniques))
        could &= empty[codes]
    return np.array(
        [i for i in np.flatnonzero(could).tolist() if not "".join(records[i]).strip()],
        dtype=np.int64,
    )


def used_columns(cols: "HxlColumns") -> list[int]:
    """The positions of the columns a mapping reads, in order."""
    used = {*cols.place.values(), *cols.origin.values(), *cols.dates.values()}
    used |= {*cols.meta.values(), *(v.index for v in cols.values)}
    used |= {*cols.names.values(), *cols.units}
    return sorted(used)


def _rebased(cols: "HxlColumns", labels: list[int]) -> "HxlColumns":
    """`cols` with each column's position in the hashtag row turned into its frame position."""
    at = {label: pos for pos, label in enumerate(labels)}
    return HxlColumns(
        place={k: at[i] for k, i in cols.place.items()},
        origin={k: at[i] for k, i in cols.origin.items()},
        names={k: at[i] for k, i in cols.names.items()},
        dates={k: at[i] for k, i in cols.dates.items()},
        meta={k: at[i] for k, i in cols.meta.items()},
        values=[dataclasses.replace(v, index=at[v.index]) for v in cols.values],
        units=[at[i] for i in cols.units],
        ignored=cols.ignored,
    )


# --- the hashtag row ---------------------------------------------------------------------------


def _clash(first: int, other: Tag, index: int, tag: Tag, value: bool) -> HxlError:
    """The error for two columns that would fill one slot."""
    if other == tag:
        what = f"columns {first + 1} and {index + 1} are both {tag}"
    else:
        what = f"columns {first + 1} ({other}) and {index + 1} ({tag}) mean the same"
    hint = ", or tell them apart with attributes (+f, +m, ...)" if value else ""
    return HxlError(f"{what}: keep one{hint}")


def locate_columns(tags: list[str]) -> HxlColumns:
    """Read the hashtag row into a map of what each column holds.

    Two columns that would fill the same slot (the same hashtag twice, or `#date` beside
    `#date+reported`, `#affected+idps` beside `#affected+idps+total`) are refused: which
    one to believe cannot be guessed. Date columns follow the module's precedence.
    """
    cols = HxlColumns()
    slots: dict[tuple[object, ...], tuple[int, Tag]] = {}
    dates: list[tuple[int, Tag]] = []
    for index, spec in enumerate(tags):
        tag = Tag.parse(spec) if spec.strip() else None
        if tag is None:
            if spec.strip():
                cols.ignored.append(spec.strip())
            continue
        if tag.hashtag == "date":
            dates.append((index, tag))
            continue
        slot = _assign(cols, index, tag)
        if slot is None:
            cols.ignored.append(str(tag))
            continue
        if slot in slots:
            first, other = slots[slot]
            raise _clash(first, other, index, tag, slot[0] == "value")
        slots[slot] = (index, tag)
    _resolve_dates(cols, dates)
    missing = []
    if not cols.place:
        missing.append("place (#adm1+code, #adm2+code, #adm3+code, #country+code or #loc+code)")
    if not cols.dates:
        missing.append("date (#date, #date+reported, #date+start/#date+end, #date+year)")
    if not cols.values:
        missing.append(
            "value (a displacement figure: #affected+idps, #affected+idps+new, "
            "#affected+displaced, #population, ...)"
        )
    if missing:
        legacy = [t.strip() for t in tags if _LEGACY_TAG.match(t.strip().lower().lstrip("#"))]
        if legacy and all(t.startswith("#") for t in legacy):
            raise HxlError(
                f"pre-1.0 HXL hashtags ({', '.join(legacy[:4])}): this import reads HXL 1.0 "
                "(#adm1+code, #date, #affected+idps, ...); retag the file"
            )
        raise HxlError("no " + "; no ".join(missing) + " column in the hashtag row")
    return cols


def _assign(cols: HxlColumns, index: int, tag: Tag) -> tuple[object, ...] | None:
    """Record what column `index` holds; its slot, or None when the tag is not used."""
    attrs = tag.attributes
    if tag.hashtag in ("adm1", "adm2", "adm3", "country", "loc"):
        is_code = "code" in attrs or (tag.hashtag == "country" and "iso3" in attrs)
        if is_code:
            kind = "origin" if "origin" in attrs else "place"
            target = cols.origin if kind == "origin" else cols.place
            target.setdefault(tag.hashtag, index)
            return (kind, tag.hashtag)
        if attrs & _CROSS_CHECK:
            # +name columns cross-check, name new places and reveal swapped columns.
            if "origin" not in attrs and tag.hashtag != "loc":
                cols.names.setdefault(tag.hashtag, index)
            elif tag.hashtag == "loc":
                cols.units.append(index)
            return ("name", index)
        if tag.hashtag == "loc":
            cols.units.append(index)
            return ("unit", index)
        return None
    if tag.hashtag == "meta":
        known = attrs & _META
        if len(known) == 1:
            key = next(iter(known))
            cols.meta.setdefault(key, index)
            return ("meta", key)
        return None
    if tag.hashtag == "total":  # IDMC IDU: "total", "more than", "approximately"
        cols.meta.setdefault("qualifier", index)
        return ("meta", "qualifier")
    if tag.hashtag == "cause":  # a #cause column of words; #meta+cause is the strict form
        cols.meta.setdefault("cause_word", index)
        return ("meta", "cause_word")
    value = _value_column(index, tag)
    if value is not None:
        cols.values.append(value)
        return ("value", value.metric, value.sex, value.age_group, value.unit, value.cause)
    if tag.hashtag in ("site", "description") or (
        tag.hashtag in _UNIT_HASHTAGS and attrs & {"name", "code", "id"}
    ):
        cols.units.append(index)
        return ("unit", index)
    return None


def _value_column(index: int, tag: Tag) -> ValueColumn | None:
    attrs = tag.attributes
    sex = [_SEX[a] for a in attrs if a in _SEX]
    age = [_AGE[a] for a in attrs if a in _AGE]
    cause = [_CAUSE_ATTRS[a] for a in attrs if a in _CAUSE_ATTRS]
    unit = Unit.HOUSEHOLDS if "hh" in attrs else Unit.PEOPLE
    rest = attrs - set(_SEX) - set(_AGE) - set(_CAUSE_ATTRS) - _NEUTRAL - {"hh"}
    metric = _VALUE_TAGS.get((tag.hashtag, frozenset(rest)))
    if metric is None or len(sex) > 1 or len(age) > 1 or len(cause) > 1:
        return None
    if "hh" in attrs and "ind" in attrs:
        return None  # households and individuals at once: not one unit
    return ValueColumn(
        index,
        tag,
        metric,
        sex[0] if sex else None,
        age[0] if age else None,
        unit,
        cause[0] if cause else None,
    )


def _date_role(tag: Tag) -> str:
    """What a date column dates: 'start', 'end', or 'point' (one day)."""
    attrs = tag.attributes
    return "start" if "start" in attrs else "end" if "end" in attrs else "point"


def _resolve_dates(cols: HxlColumns, dates: list[tuple[int, Tag]]) -> None:
    """Pick the date columns of the figures, by the module's precedence; name the others."""
    candidates: list[tuple[int, Tag]] = []
    derived: list[tuple[int, Tag]] = []
    for index, tag in dates:
        if tag.attributes & _RECORD_DATES:
            cols.ignored.append(str(tag))
        elif tag.attributes & _DERIVED_DATES:
            derived.append((index, tag))
        else:
            candidates.append((index, tag))
    # The event's own dates count only when nothing dates the displacement itself.
    own = [(i, t) for i, t in candidates if "event" not in t.attributes]
    if own:
        cols.ignored += [str(t) for _, t in candidates if "event" in t.attributes]
        candidates = own
    for role in ("start", "end"):
        found = [(i, t) for i, t in candidates if _date_role(t) == role]
        if len(found) > 1:
            raise _clash(found[0][0], found[0][1], found[1][0], found[1][1], False)
        if found:
            cols.dates[role] = found[0][0]
    points = [(i, t) for i, t in candidates if _date_role(t) == "point"]
    kinds = {frozenset(t.attributes & {"occurred", "reported"}) for _, t in points}
    if len(points) == 2 and kinds == {frozenset({"occurred"}), frozenset({"reported"})}:
        # The documented precedence: the day it occurred, not the day it was reported.
        reported = next(p for p in points if "reported" in p[1].attributes)
        cols.ignored.append(str(reported[1]))
        points = [p for p in points if p is not reported]
    if len(points) > 1:
        raise _clash(points[0][0], points[0][1], points[1][0], points[1][1], False)
    if points:
        cols.dates["reported"] = points[0][0]
    if cols.dates:
        cols.ignored += [str(t) for _, t in derived]
        return
    years = [(i, t) for i, t in derived if t.attributes & _DERIVED_DATES == {"year"}]
    if len(years) > 1:
        raise _clash(years[0][0], years[0][1], years[1][0], years[1][1], False)
    if years:
        cols.dates["year"] = years[0][0]
    cols.ignored += [str(t) for i, t in derived if not years or i != years[0][0]]


# --- whole columns -----------------------------------------------------------------------------


def _code_shaped(text: str, level: str) -> bool:
    """True for a cell that looks like a code of `level` (letters and digits, or ISO3)."""
    cell = text.strip()
    if level == "country":
        return bool(re.fullmatch(r"[A-Z]{2,3}", cell))
    return bool(re.fullmatch(r"[A-Za-z]{2,3}\d+", cell.replace(" ", "")))


def _filled(distinct: np.ndarray) -> list[str]:
    """A column's distinct cells that hold something, trimmed, in the order they appear."""
    return [c.strip() for c in distinct if c.strip() and c.strip().lower() not in _MISSING]


def _fix_swapped(cols: HxlColumns, distinct: list[np.ndarray], tags: list[str]) -> list[str]:
    """Swap a level's +code and +name columns when the publisher swapped them; the notes.

    A +code column none of whose cells looks like a code is names: when that level's +name
    column holds codes in every cell the two are read the other way round; otherwise the
    file is refused, naming the column.
    """
    notes = []
    for level in ("adm1", "adm2", "adm3", "country"):
        code_col = cols.place.get(level)
        if code_col is None:
            continue
        codes = _filled(distinct[code_col])
        if not codes or any(_code_shaped(c, level) for c in codes):
            continue
        name_col = cols.names.get(level)
        names = _filled(distinct[name_col]) if name_col is not None else []
        code_tag, example = tags[code_col], codes[0]
        if names and all(_code_shaped(n, level) for n in names):
            cols.place[level], cols.names[level] = name_col, code_col  # type: ignore[assignment]
            notes.append(
                f"{code_tag} holds names (e.g. {example!r}) and {tags[name_col]} holds "  # type: ignore[index]
                f"codes (e.g. {names[0]!r}): the publisher swapped them; read the right way round"
            )
            continue
        where = f" and {tags[name_col]} no codes" if name_col is not None else ""
        raise HxlError(
            f"{code_tag} holds names, not codes (e.g. {example!r}){where}: "
            "put the P-codes under +code"
        )
    return notes


def _instant(text: str) -> dt.datetime | None:
    """A timestamp with a zone (Z or an offset) as an aware datetime; None for anything else."""
    cell = text.strip()
    if not _ZONED.match(cell):
        return None
    try:
        return dt.datetime.fromisoformat(cell.replace("Z", "+00:00"))
    except ValueError:
        return None


def publisher_zone(cells: Iterable[str]) -> ZoneInfo | None:
    """Pacific/Auckland when a column's timestamps are all midnight there and not all in UTC.

    IDMC writes its calendar dates as midnight in New Zealand, in UTC (11:00Z or 12:00Z the
    day before); reading the first ten characters would put every date a day early.
    """
    instants = [i for i in (_instant(c) for c in cells) if i is not None]
    if not instants or all(i.astimezone(dt.UTC).time() == dt.time(0) for i in instants):
        return None
    if all(i.astimezone(AUCKLAND).time() == dt.time(0) for i in instants):
        return AUCKLAND
    return None


def _zones(
    cols: HxlColumns, cells: list[tuple[np.ndarray, np.ndarray]]
) -> dict[str, ZoneInfo]:
    """The publisher's time zone of each date column whose timestamps need one."""
    found = {}
    for kind, col in cols.dates.items():
        # Distinct cells say what all of them say: each is read once.
        zone = publisher_zone(list(cells[col][1]))
        if zone is not None:
            found[kind] = zone
    return found


# --- rows --------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What every row's mapping needs besides its cells."""

    cols: HxlColumns
    tags: list[str]  # the frame's columns' hashtags, normalised
    zones: dict[str, ZoneInfo]
    known: set[str] | None  # the gazetteer's P-codes; None when mapping without one
    new_places: NewPlaces
    names: dict[str, str] = field(default_factory=dict)  # the gazetteer's names by P-code
    notes: list[str] = field(default_factory=list)
    # Each frame row's number in the file, by position.
    row_numbers: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    # Each frame column's distinct cells and, for each row, the number of its cell among them.
    cells: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


def map_hxl(
    table: HxlTable,
    ctx: MapContext,
    progress: Callable[[Iterable], Iterable] | None = None,
    places: pd.DataFrame | None = None,
    coded: Mapping[str, Coded] | None = None,
) -> MappedFigures:
    """Turn the rows of an HXL table into canonical figures and refused cells.

    `places` is the gazetteer: units below admin 2 it lacks may be added from the file.
    `coded` holds columns of `table.rows` already numbered (as `read` hands them on).
    """
    labels = [int(label) for label in table.rows.columns]
    tags = [str(Tag.parse(t)) if Tag.parse(t) else t for t in (table.tags[i] for i in labels)]
    cols = _rebased(locate_columns(table.tags), labels)
    frame = table.rows
    # Each column's cells and its distinct cells, in the order they first appear: what each
    # means is read once per distinct cell.
    # numbers of other rows than these (a table whose rows were replaced) are not taken
    given = {k: c for k, c in (coded or {}).items() if len(c) == len(frame)}
    read = [_text_cells(frame.iloc[:, i], given.get(str(labels[i]))) for i in range(len(labels))]
    columns = [values for values, _ in read]
    cells = [numbered for _, numbered in read]
    notes = _fix_swapped(cols, [uniques for _, uniques in cells], tags)
    gazetteer = places if places is not None else pd.DataFrame(columns=["pcode"])
    known = set(gazetteer["pcode"].tolist()) if places is not None else None
    run = _Context(cols, tags, _zones(cols, cells), known, NewPlaces(gazetteer), cells=cells)
    if places is not None and "name" in places:
        # as lists: iterating a text column boxes each of its cells (tens of ms a gazetteer)
        pcodes, names = places["pcode"].tolist(), places["name"].astype(str).tolist()
        run.names = dict(zip(pcodes, names, strict=True))
    notes += [
        f"{tags[cols.dates[kind]]}: UTC timestamps read as {zone.key} calendar dates"
        for kind, zone in run.zones.items()
    ]
    del progress  # the rows are mapped column by column, in one pass
    run.row_numbers = frame.index.to_numpy()
    common, row_errors = _common_columns(columns, run)
    records, rejections, row_numbers = _figure_columns(columns, common, row_errors, run, ctx)
    notes += run.notes
    records, row_numbers, extra, merged = _combined(records, row_numbers, columns, run)
    rejections += extra
    if records:
        records["retrieved_at"] = same_time(ctx.retrieved_at, len(row_numbers))
    if merged:
        notes.append(f"{merged:,} rows were added up into the figures of their place and date")
    new = run.new_places.frame()
    if new is not None:
        notes.append(f"{len(new):,} units not in the gazetteer added from this file")
    return MappedFigures(
        figure_frame(records),
        [int(r) for r in row_numbers],
        rejections,
        cols.ignored,
        len(table.rows),
        new,
        notes,
    )


def _text_cells(
    column: pd.Series, coded: Coded | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """A column's cells as objects ("" for a missing one) and each cell's number into its
    distinct cells (`coded`'s where given): the column's own array, read-only, where no cell
    is missing (the numbers tell), else a copy with "" filled in."""
    values = column.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values) if coded is None else (coded.codes, coded.values)
    if (codes < 0).any():
        values = column.to_numpy(dtype=object, na_value="")
        return values, pd.factorize(values)
    values = values.view()
    values.flags.writeable = False  # the frame's own cells
    return values, (codes, uniques)


# --- whole columns of rows ---------------------------------------------------------------------

_Errors = (Refused, CellError)
_NAT = np.datetime64("NaT", "D")


def _objects(values: Iterable[object], count: int) -> np.ndarray:
    """A 1-d array of Python objects (tuples stay whole)."""
    return np.fromiter(values, dtype=object, count=count)


def _each(values: np.ndarray, fn: Callable[[object], object]) -> tuple[np.ndarray, np.ndarray]:
    """`fn` of every value, computed once per distinct value: (results, the refusal or None).

    A published column holds a few distinct cells thousands of times (dates, codes, words).
    """
    codes, uniques = factorized(np.asarray(values, dtype=object))
    results: list[object] = []
    errors: list[object] = []
    for unique in uniques:
        try:
            results.append(fn(unique))
            errors.append(None)
        except _Errors as err:
            results.append(None)
            errors.append(err)
    return (
        _objects(results, len(results))[codes],
        _objects(errors, len(errors))[codes],
    )


def _clean(run: _Context, index: int, empty: object = "") -> np.ndarray:
    """A column's cells as `_cell` reads them: trimmed, with the words of a missing cell as
    `empty`."""
    codes, uniques = run.cells[index]
    texts = [_clean_text(cell) or empty for cell in uniques]
    return _objects(texts, len(texts))[codes]


def _clean_text(cell: object) -> str:
    text = str(cell).strip()
    return "" if text.lower() in _MISSING else text


def _each_cell(
    run: _Context, index: int, fn: Callable[[object], object]
) -> tuple[np.ndarray, np.ndarray]:
    """`_each` over a frame column, whose distinct cells are known already."""
    codes, uniques = run.cells[index]
    results, errors = _each(np.asarray(uniques, dtype=object), fn)
    return results[codes], errors[codes]


def _per_combination(
    run: _Context, indexes: list[int], fn: Callable[..., tuple[object, ...]], dtypes: str
) -> list[np.ndarray]:
    """`fn` of the cells of each row (one per column of `indexes`), called once per distinct
    combination of cells; its results, each as a column over the rows.

    `dtypes` has a letter for each result: `O` an object, `b` a bool, `M` a day (a date, or
    NaT for anything else) as datetime64[us].
    """
    combination, distinct = _combinations(run, indexes)
    results = [fn(*cells) for cells in distinct]
    return [
        _typed([result[k] for result in results], kind)[combination]
        for k, kind in enumerate(dtypes)
    ]


def _combinations(run: _Context, indexes: list[int]) -> tuple[np.ndarray, list[tuple[object, ...]]]:
    """Each row's number among the distinct combinations of its cells in the columns
    `indexes` (numbered as they first appear), and the cells of each combination."""
    if len(indexes) == 1:
        codes, uniques = run.cells[indexes[0]]
        return codes, [(cell,) for cell in uniques]
    n = len(run.row_numbers)
    if not indexes:
        return np.zeros(n, dtype=np.int64), [()] if n else []
    combination = _codes([run.cells[i][0] for i in indexes])
    first = firsts(combination)
    cells = [run.cells[i][1][run.cells[i][0][first]] for i in indexes]
    return combination, list(zip(*cells, strict=True))


def _typed(values: list[object], kind: str) -> np.ndarray:
    """`values` as an array of the kind `_per_combination` names."""
    if kind == "b":
        return np.array(values, dtype=bool)
    if kind == "M":
        days = [np.datetime64(v, "D") if isinstance(v, dt.date) else _NAT for v in values]
        return np.array(days, dtype="datetime64[D]").astype("datetime64[us]")
    return _objects(values, len(values))


def _checked(
    run: _Context, indexes: list[int], fn: Callable[..., object]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`fn` of each row's cells of `indexes`, once per distinct combination: (its result or
    None, the refusal or None, whether refused)."""

    def one(*cells: object) -> tuple[object, object, bool]:
        try:
            return fn(*cells), None, False
        except _Errors as err:
            return None, err, True

    result, refusal, refused = _per_combination(run, indexes, one, "OOb")
    return result, refusal, refused


class _Refusals:
    """Each row's first refusal (None for a row that maps so far)."""

    def __init__(self, count: int) -> None:
        self.errors = np.full(count, None, dtype=object)
        self.failed = np.zeros(count, dtype=bool)

    def add(self, found: np.ndarray, refused: np.ndarray) -> None:
        """Record the refusals of `found` (where `refused`) for the rows that have none yet."""
        take = refused & ~self.failed
        self.errors[take] = found[take]
        self.failed |= take


def _place_columns(
    run: _Context, where: dict[str, int], label: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The most specific place code of every row, once per distinct combination of its cells.

    Returns the stored P-code (None when the row has none), its level's name, the cell as
    published, the refusal of a code that cannot be read (an unknown ISO3 code) and whether
    there is one.
    """
    levels = [name for name in PLACE_LEVELS if name in where]

    def place(*cells: object) -> tuple[object, ...]:
        for name, cell in zip(levels, cells, strict=True):
            text = _clean_text(cell)
            if text:
                try:
                    return _place_code(text, name, label), name, text, None, False
                except _Errors as err:
                    return None, name, text, err, True
        return None, None, "", None, False

    return _per_combination(run, [where[name] for name in levels], place, "OOOOb")  # type: ignore[return-value]


def _place_code(code: str, level: str, label: str) -> str:
    """The stored P-code of a cell of place column `level`: a country's admin 0 P-code, a
    response area's id without spaces, or an admin code in the gazetteer's spelling."""
    if level == "country":
        return _country(code, label)
    if level == "loc":
        return code.upper().replace(" ", "")
    return normalise_pcode(code) or code


def _row_cells(columns: list[np.ndarray], position: int) -> tuple[str, ...]:
    return tuple(str(col[position]) for col in columns)


def _raw_record(columns: list[np.ndarray], position: int, tags: list[str]) -> dict[str, str]:
    """A row's non-empty cells by hashtag, as a rejection or a sum names them."""
    cells = _row_cells(columns, position)
    return {tags[i]: cells[i] for i in range(len(cells)) if cells[i]}


def _common_columns(
    columns: list[np.ndarray], run: _Context
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """What every figure of a row shares (place, origin, dates, cause, role, qualifier,
    provenance), one array per field, and each row's first refusal (None for a row that maps).

    The checks run in this order, and a row's first failing one is its refusal: place, new
    unit, origin, role, each date column, cause, qualifier.
    """
    cols = run.cols
    n = len(run.row_numbers)
    refusals = _Refusals(n)
    pcode, level, published, found, refused = _place_columns(run, cols.place, "")
    missing = Refused("#adm1+code", RejectionCode.PLACE_MISSING, "no place code in this row", "")
    nowhere = np.equal(level, None)
    refusals.add(same(missing, n), nowhere)
    refusals.add(found, refused)
    if run.known is not None:
        _new_places(columns, pcode, level, refusals, run)
    origin, _level, _text, found, refused = _place_columns(run, cols.origin, "+origin")
    refusals.add(found, refused)
    role, found, refused = _checked(run, _meta_columns(cols, "role"), _clean_as(_role))
    refusals.add(found, refused)
    dates: dict[str, np.ndarray] = {}
    for kind, index in cols.dates.items():
        zone = run.zones.get(kind)
        dates[kind], dates[f"{kind}_day"], found, refused = _per_combination(
            run, [index], lambda cell, k=kind, z=zone: _date_of(cell, k, z), "OMOb"
        )
        refusals.add(found, refused)
    words = [key for key in ("cause", "cause_word") if key in cols.meta]
    cause, found, refused = _checked(run, _meta_columns(cols, *words), _cause_of(words))
    refusals.add(found, refused)
    qualifier, found, refused = _checked(
        run,
        _meta_columns(cols, "qualifier"),
        _clean_as(lambda text: _qualifier({"qualifier": str(text)}, run)),
    )
    refusals.add(found, refused)
    published = np.where(published == pcode, None, published)
    common = {
        "pcode": pcode,
        "published_pcode": published,
        "origin_pcode": origin,
        "cause": cause,
        "role": role,
        "qualifier": qualifier,
        **{
            field: _clean(run, cols.meta[key], None) if key in cols.meta else same(None, n)
            for field, key in (
                ("publisher", "source"),
                ("source_url", "url"),
                ("source_record_id", "id"),
                ("excerpt", "excerpt"),
            )
        },
    }
    for kind, values in dates.items():
        common[f"date_{kind}"] = values
    return common, refusals.errors


def _meta_columns(cols: HxlColumns, *keys: str) -> list[int]:
    """The columns of these `#meta` keys that the file has."""
    return [cols.meta[key] for key in keys if key in cols.meta]


def _clean_as(fn: Callable[[str], object]) -> Callable[..., object]:
    """`fn` of a column's cleaned cell, or of an empty cell when the file lacks the column."""
    return lambda cell="": fn(_clean_text(cell))


def _role(text: object) -> str:
    role = str(text).lower() or Role.RECOMMENDED.value
    if role not in {r.value for r in Role}:
        raise Refused(
            "#meta+role",
            RejectionCode.ROLE_VALUE,
            "unknown role (use recommended or triangulation)",
            role,
        )
    return role


def _cause_of(keys: list[str]) -> Callable[..., str | None]:
    """The cause of a row from its cells of the `#meta` keys `keys` (`cause`, `cause_word`)."""
    return lambda *cells: _cause(
        {key: _clean_text(cell) for key, cell in zip(keys, cells, strict=True)}
    )


def _date_of(cell: object, kind: str, zone: ZoneInfo | None) -> tuple[object, ...]:
    """A date cell as (its date, or for a year column its year; the same as a day; its
    refusal; whether refused)."""
    try:
        value = _date_or_refused(_clean_text(cell), kind, zone)
    except _Errors as err:
        return None, None, err, True
    return value, value, None, False


def _date_or_refused(text: str, kind: str, zone: ZoneInfo | None) -> object:
    try:
        return _date_cell(text, kind, zone) if text else None
    except CellError as err:
        raise Refused(f"#date+{kind}", err.check, err.reason, text) from err


def _new_places(
    columns: list[np.ndarray],
    pcode: np.ndarray,
    level: np.ndarray,
    refusals: _Refusals,
    run: _Context,
) -> None:
    """`_new_place` for the rows whose unit might be one the gazetteer lacks, in row order.

    A row whose code is no admin 3 code, or whose parent is neither known nor contradicted by
    the row's admin 2 code, is one `_new_place` leaves alone: it is not called for it.
    """
    known = run.known or set()
    maybe = (level == "adm3") & ~refusals.failed
    maybe &= ~pd.Series(pcode, dtype=object).isin(known).to_numpy()
    if not maybe.any():
        return
    at = np.flatnonzero(maybe)
    parent_level = run.cols.place.get("adm2")
    written = (
        _clean(run, parent_level)[at] if parent_level is not None else same("", len(at))
    )
    acts = on_distinct(
        lambda code, cell: _may_act(str(code), str(cell), known), pcode[at], written
    ).astype(bool)
    for position in at[acts]:
        try:
            _new_place(_row_cells(columns, position), str(pcode[position]), "adm3", run)
        except Refused as err:
            refusals.errors[position] = err
            refusals.failed[position] = True


def _may_act(pcode: str, written_parent: str, known: set[str]) -> bool:
    """False when `_new_place` would leave a row of this admin 3 code (and this admin 2 cell)
    alone: the code is no admin 3 code, or its parent is unknown and the row agrees with it."""
    if admin_level_of(pcode) != 3:
        return False
    published = normalise_pcode(written_parent)
    parent = parent_of(pcode)
    return parent in known or (published is not None and published != parent)


# A count as most tables write it: digits, grouped by commas or not, one qualifier mark.
_SIMPLE_NUMBER = re.compile(r"^([~<>]?)([0-9]{1,3}(?:,[0-9]{3}){1,5}|[0-9]{1,18})(\+?)$")
_MARKS = {"~": Qualifier.APPROXIMATELY, "<": Qualifier.LESS_THAN, ">": Qualifier.MORE_THAN}


def _numbers(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`parse_number` over a column: (value, the cell's qualifier or None, the CellError).

    Each distinct cell is read once: plain and comma-grouped counts at once, every other cell
    by `parse_number` itself.
    """
    codes, uniques = pd.factorize(cells)  # value cells: text, never missing
    read = [_number_of(str(cell)) for cell in uniques]
    values, qualifiers, errors = (_objects((r[i] for r in read), len(read)) for i in range(3))
    return values[codes], qualifiers[codes], errors[codes]


def _number_of(text: str) -> tuple[object, object, object]:
    """A value cell as (number, qualifier or None, None), or (None, None, the refusal)."""
    simple = _simple_number(text)
    if simple is not None:
        return simple[0], simple[1], None
    try:
        number = parse_number(text)
    except _Errors as err:
        return None, None, err
    return number.value, number.qualifier, None


def _simple_number(text: str) -> tuple[int, Qualifier | None] | None:
    """A count as most tables write it (digits, comma groups, one mark); None for the rest."""
    found = _SIMPLE_NUMBER.match(text)
    if found is None:
        return None
    mark, digits, plus = found.groups()
    if plus and mark in ("~", "<"):
        return None  # "~5+" and "<5+" contradict themselves: parse_number says so
    number = int(digits.replace(",", ""))
    if number > MAX_COUNT:
        return None
    return number, _MARKS[mark] if mark else (Qualifier.MORE_THAN if plus else None)


def _qualifier_text(cell: object, column: object) -> str:
    """A figure's qualifier: its cell's, else its row's, else exact."""
    return Qualifier(cell or column or Qualifier.EXACT).value


def _periods(
    common: dict[str, np.ndarray], n: int
) -> dict[bool, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`_period` over whole columns, for flows (True) and stocks (False): start, end, missing."""
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    start, end, reported = (common.get(f"date_{k}_day", nat) for k in ("start", "end", "reported"))
    year = common.get("date_year")
    has_year = ~np.equal(year, None) if year is not None else np.zeros(n, dtype=bool)
    first = last = nat
    if has_year.any():
        years = np.where(has_year, year, 1970).astype("int64") - 1970  # type: ignore[call-overload]
        first = np.where(has_year, years.astype("datetime64[Y]"), np.datetime64("NaT"))
        first = first.astype("datetime64[us]")
        last = (years + 1).astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(1, "D")
        last = np.where(has_year, last.astype("datetime64[us]"), nat)
    flow_end = np.where(np.isnat(end), reported, end)
    flow_start = np.where(np.isnat(start), flow_end, start)
    as_of = np.where(np.isnat(reported), np.where(np.isnat(end), start, end), reported)
    flows = (
        np.where(has_year, first, flow_start),
        np.where(has_year, last, flow_end),
        ~has_year & np.isnat(flow_end),
    )
    stocks = (
        np.where(has_year, last, as_of),
        np.where(has_year, last, as_of),
        ~has_year & np.isnat(as_of),
    )
    return {True: flows, False: stocks}


_NO_FLOW_DATE = CellError(
    RejectionCode.DATE_MISSING, "a flow needs #date+end (or #date) for its period"
)
_NO_STOCK_DATE = CellError(
    RejectionCode.DATE_MISSING, "a stock needs #date or #date+reported for its as-of date"
)


# The fields of a figure's key that a row gives all its figures, and the columns they come from.
_ROW_KEY_SOURCES: dict[str, Callable[[HxlColumns], list[int]]] = {
    "publisher": lambda cols: [cols.meta[k] for k in ("source",) if k in cols.meta],
    "pcode": lambda cols: list(cols.place.values()),
    "origin_pcode": lambda cols: list(cols.origin.values()),
    "role": lambda cols: [cols.meta[k] for k in ("role",) if k in cols.meta],
    "cause": lambda cols: [cols.meta[k] for k in ("cause", "cause_word") if k in cols.meta],
}


def _row_keys(
    common: dict[str, np.ndarray], run: _Context, causes: dict[str, int]
) -> dict[str, np.ndarray]:
    """For each field of `_ROW_KEY_SOURCES`, a number per row, equal where the field's text is.

    A field is worked out from its columns' cells, so its text is read once per distinct
    combination of those cells.
    """
    out = {}
    for name, sources in _ROW_KEY_SOURCES.items():
        combination, _ = _combinations(run, sources(run.cols))
        first = firsts(combination)
        numbers = causes if name == "cause" else {}
        texts = [str(value) for value in common[name][first]]
        number = [numbers.setdefault(text, len(numbers)) for text in texts]
        out[name] = np.array(number, dtype=np.int64)[combination]
    return out


def _figure_columns(
    columns: list[np.ndarray],
    common: dict[str, np.ndarray],
    row_errors: np.ndarray,
    run: _Context,
    ctx: MapContext,
) -> tuple[dict[str, np.ndarray], list[Rejection], np.ndarray]:
    """Each non-empty value cell of a row that maps as a figure, column by column.

    Returns the figures' columns (in the order of their rows, then of their value columns),
    the refusals in the same order (a row's own refusal first), and each figure's frame row.
    A cell is refused when it is not a number, or when its metric's period has no date.
    """
    n = len(row_errors)
    numbers = run.row_numbers
    periods = _periods(common, n)
    ok = pd.isna(row_errors)
    found: list[tuple[int, int, Rejection]] = [
        (int(p), -1, row_errors[p].rejection(int(numbers[p]), _raw_record(columns, p, run.tags)))
        for p in np.flatnonzero(~ok)
    ]
    cells: dict[str, list[np.ndarray]] = defaultdict(list)
    for order, vcol in enumerate(run.cols.values):
        text, _ = _each_cell(run, vcol.index, _value_text)
        rows = np.flatnonzero(ok & ~pd.isna(text))
        if not len(rows):
            continue
        values, qualifiers, errors = _numbers(text[rows])
        start, end, undated = (p[rows] for p in periods[vcol.metric in FLOW_METRICS])
        missing = _NO_FLOW_DATE if vcol.metric in FLOW_METRICS else _NO_STOCK_DATE
        errors = np.where(pd.isna(errors) & undated, missing, errors)
        bad = ~pd.isna(errors)
        for i in np.flatnonzero(bad):
            p, err = int(rows[i]), errors[i]
            raw = _raw_record(columns, p, run.tags)
            rejection = Rejection(
                int(numbers[p]), str(vcol.tag), err.check, err.reason, text[rows[i]], raw
            )
            found.append((p, order, rejection))
        keep = ~bad
        for name, part in (
            ("_position", rows[keep]),
            ("_order", np.full(int(keep.sum()), order)),
            ("value", values[keep]),
            ("_qualifier", qualifiers[keep]),
            ("period_start", start[keep]),
            ("period_end", end[keep]),
        ):
            cells[name].append(part)
    found.sort(key=lambda item: (item[0], item[1]))
    rejections = [r for _, _, r in found]
    if not cells:
        return {}, rejections, np.array([], dtype=np.int64)
    merged = {name: np.concatenate(parts) for name, parts in cells.items()}
    order = np.lexsort((merged["_order"], merged["_position"]))
    merged = {name: column[order] for name, column in merged.items()}
    records = _with_row_fields(merged, common, run, ctx)
    return records, rejections, numbers[records["_position"]]


def _with_row_fields(
    merged: dict[str, np.ndarray], common: dict[str, np.ndarray], run: _Context, ctx: MapContext
) -> dict[str, np.ndarray]:
    """The figures' own cells (`_position`, `_order`, `value`, `_qualifier`, period) with what
    their rows and their value columns give them, and `_key`, the number of each figure's key
    that `_combined` groups them by; of a figure published again, only its first row."""
    causes: dict[str, int] = {}  # a cause's text -> its number, for rows and columns alike
    keys = _row_keys(common, run, causes)
    given = _column_fields(run.cols.values, causes)
    at, column = merged["_position"], merged["_order"]
    stated = given["_stated"][column]
    key = _codes(
        [
            given["_slot"][column].astype(np.int64),
            *(keys[name][at] for name in _ROW_KEY_SOURCES if name != "cause"),
            np.where(stated, given["_cause"][column].astype(np.int64), keys["cause"][at]),
            merged["period_start"].view(np.int64),
            merged["period_end"].view(np.int64),
        ]
    )
    take = _not_again(merged["value"], at, run.cells, key)
    if take is not None:  # the fields of the figures published again are never built
        merged = {name: values[take] for name, values in merged.items()}
        at, column, stated, key = merged["_position"], merged["_order"], stated[take], key[take]
    del merged["_order"]
    size = len(at)
    fields = {name: values[column] for name, values in given.items()}
    url = np.where(pd.isna(common["source_url"]), ctx.source_url, common["source_url"])
    levels = _each(common["pcode"], lambda p: admin_level_of(str(p)))[0]
    return {
        **{name: fields[name] for name in ("metric", "sex", "age_group", "unit")},
        **{name: common[name][at] for name in _ROW_FIELDS},
        "source_url": url[at],
        "admin_level": levels[at],
        "cause": np.where(stated, fields["cause"], common["cause"][at]),
        "qualifier": on_distinct(
            _qualifier_text, merged.pop("_qualifier"), common["qualifier"][at]
        ),
        **merged,
        "source": same(ctx.source, size),
        "dataset": same(ctx.dataset, size),
        "run_id": same(ctx.run_id, size),
        "_key": key,
    }


# The fields a figure takes from its row as they are.
_ROW_FIELDS = (
    "source_record_id",
    "publisher",
    "pcode",
    "published_pcode",
    "origin_pcode",
    "role",
    "excerpt",
)


def _column_fields(vcols: list[ValueColumn], causes: dict[str, int]) -> dict[str, np.ndarray]:
    """What each value column gives its figures, one entry per column; with `_slot`, a number
    per distinct (metric, sex, age group, unit), and `_cause`, the number of a stated cause."""
    slots: dict[str, int] = {}
    fields: dict[str, list[object]] = defaultdict(list)
    for v in vcols:
        sex = v.sex.value if v.sex else None
        age = v.age_group.value if v.age_group else None
        slot = repr((v.metric.value, str(sex), str(age), v.unit.value))
        fields["metric"].append(v.metric.value)
        fields["sex"].append(sex)
        fields["age_group"].append(age)
        fields["unit"].append(v.unit.value)
        fields["cause"].append(v.cause.value if v.cause else None)
        fields["_stated"].append(v.cause is not None)
        fields["_slot"].append(slots.setdefault(slot, len(slots)))
        fields["_cause"].append(causes.setdefault(v.cause.value, len(causes)) if v.cause else -1)
    out = {name: _objects(values, len(values)) for name, values in fields.items()}
    out["_stated"] = out["_stated"].astype(bool)
    return out


def _combined(
    records: dict[str, np.ndarray],
    row_numbers: np.ndarray,
    columns: list[np.ndarray],
    run: _Context,
) -> tuple[dict[str, np.ndarray], np.ndarray, list[Rejection], int]:
    """`combine_units` over the figures: only the rows that share a key go through it (a
    figure published again is there once already, see `_not_again`). The figures keep
    `combine_units`' order: by row, then by the first row of their key.
    """
    if not records:
        return records, row_numbers, [], 0
    positions = records.pop("_position")
    key = records.pop("_key")
    apart = np.bincount(key)[key] > 1
    records["figure_id"] = _ids(records)
    rejections: list[Rejection] = []
    if not apart.any():
        return records, row_numbers, rejections, 0
    first = firsts(key)[key]  # each figure's first of its key (keys number as they appear)
    parts = []
    for i in np.flatnonzero(apart):
        record: dict[str, object] = {k: v[i] for k, v in records.items()}
        record["period_start"] = pd.Timestamp(record["period_start"])
        record["period_end"] = pd.Timestamp(record["period_end"])
        record["retrieved_at"] = None
        record["row"] = int(row_numbers[i])
        record["_raw"] = _raw_record(columns, int(positions[i]), run.tags)
        record["_first"] = int(first[i])
        parts.append(record)
    combined, merged = combine_units(parts, rejections)
    singles = ~apart
    rows_all = np.concatenate([row_numbers[singles], [int(r["row"]) for r in combined]])
    lead_all = np.concatenate([first[singles], [int(r["_first"]) for r in combined]])  # type: ignore[call-overload]
    order = np.lexsort((lead_all, rows_all))
    out = {}
    for k, v in records.items():
        extra = [r[k] for r in combined]
        if k.startswith("period_"):
            extra = [np.datetime64(pd.Timestamp(x).to_datetime64(), "us") for x in extra]
        out[k] = np.concatenate([v[singles], _objects(extra, len(extra)).astype(v.dtype)])[order]
    return out, rows_all[order], rejections, merged


def _ids(records: dict[str, np.ndarray]) -> np.ndarray:
    """`figure_ids` of the figures; text columns given as object series, which pandas would
    otherwise turn into its string type, slower to walk."""
    return figure_ids(
        {
            name: pd.Series(column, dtype=object, copy=False) if column.dtype == object else column
            for name, column in records.items()
        }
    )


def _codes(columns: list[np.ndarray]) -> np.ndarray:
    """One integer per distinct combination of the columns' numbers (never missing), numbered
    as they first appear."""
    return combined(*map(_numbered, columns))


def _numbered(column: np.ndarray) -> np.ndarray:
    """A column as numbers from 0: numbers into a column's distinct cells are taken as they
    are (numbering them again would read the whole column twice)."""
    if column.dtype.kind in "iu" and len(column):
        low, high = int(column.min()), int(column.max())
        if low >= 0 and high <= 2 * len(column):
            return column.astype(np.int64, copy=False)
    return pd.factorize(column)[0]


def _not_again(
    values: np.ndarray,
    positions: np.ndarray,
    cells: list[tuple[np.ndarray, np.ndarray]],
    key: np.ndarray,
) -> np.ndarray | None:
    """Which figures to keep when some are one figure published more than once (every figure
    of their key has one value and comes from a row with the same cells): its first row
    alone. None when every figure is kept."""
    shared = np.bincount(key)[key] > 1
    if not shared.any():
        return None
    first = firsts(key)[key]  # each figure's first of its key (keys number as they appear)
    same = _codes([values.astype(np.int64), *(codes[positions] for codes, _ in cells)])
    differs = np.zeros(len(key), dtype=bool)
    differs[key[same != same[first]]] = True
    repeated = shared & ~differs[key]
    take = ~repeated | (first == np.arange(len(key)))
    return None if take.all() else take


def _value_text(cell: str) -> str | None:
    """A value cell ready for parse_number; None when it holds no figure.

    `nan` is how pandas writes a missing number; `93236.0` is how it writes a whole one.
    """
    text = cell.strip()
    if not text or text.lower() == "nan":
        return None
    whole = _WHOLE_FLOAT.match(text)
    return whole.group(1) if whole else text


def _cell(cells: tuple[str, ...], index: int | None) -> str:
    text = cells[index].strip() if index is not None else ""
    return "" if text.lower() in _MISSING else text


def _country(code: str, label: str) -> str:
    """The admin 0 P-code of an ISO 3166 code (alpha-3, or alpha-2)."""
    text = code.upper().replace(" ", "")
    if text in ISO3_TO_PCODE:
        return ISO3_TO_PCODE[text]
    if len(text) == 2 and text in set(ISO3_TO_PCODE.values()):
        return text
    raise Refused(
        f"#country+code{label}",
        RejectionCode.COUNTRY_CODE,
        "unknown ISO3 country code (not an ISO 3166 country, so no admin 0 P-code)",
        code,
    )


def _new_place(cells: tuple[str, ...], pcode: str, level: str, run: _Context) -> None:
    """Note a unit below admin 2 the gazetteer lacks, when its parent is known.

    A unit with no known parent is left to the gazetteer check, which refuses its row.
    """
    depth = ADMIN_LEVELS.get(level)
    if run.known is None or depth is None or depth < 3 or pcode in run.known:
        return
    if admin_level_of(pcode) != depth:
        return  # the gazetteer check (or the COD pattern) rejects what is wrong here
    parent_level = f"adm{depth - 1}"
    published = normalise_pcode(_cell(cells, run.cols.place.get(parent_level)))
    parent = parent_of(pcode)
    tag = run.tags[run.cols.place[level]]
    if published is not None and published != parent:
        # P-codes nest by construction: the code's own parent stands when the row's name of
        # that level is the gazetteer's name of it (DTM Mali wrote Nioro with Diema's code).
        written = _cell(cells, run.cols.names.get(parent_level))
        if not written or _plain(written) != _plain(run.names.get(str(parent), "")):
            raise Refused(
                tag, RejectionCode.PCODE_PARENT, f"{pcode} is not a unit of {published}", pcode
            )
        run.notes.append(
            f"{pcode} read under {parent} ({written}), as its code and the row's "
            f"{parent_level} name say, not under {published} as the row's {parent_level} code says"
        )
    if parent not in run.known:
        return  # no known parent: the gazetteer check refuses it, naming the row
    name = _cell(cells, run.cols.names.get(level))
    run.new_places.add(pcode, name or None, depth, parent)


def _plain(name: str) -> str:
    """A place name for comparison: case and spacing ignored."""
    return " ".join(name.casefold().split())


def _cause(meta: dict[str, str]) -> str | None:
    cause = meta.get("cause", "").lower() or None
    if cause is not None and cause not in {c.value for c in Cause}:
        raise Refused(
            "#meta+cause",
            RejectionCode.CAUSE_VALUE,
            f"unknown cause (use {', '.join(c.value for c in Cause)})",
            cause,
        )
    if cause is None and meta.get("cause_word"):
        word = _CAUSE_WORDS.get(" ".join(meta["cause_word"].lower().split()))
        cause = word.value if word else None
    return cause


def _qualifier(meta: dict[str, str], run: _Context) -> Qualifier | None:
    text = meta.get("qualifier", "")
    if not text:
        return None
    if text.lower() in _TOTAL_WORDS:
        return _TOTAL_WORDS[text.lower()]
    try:
        return parse_qualifier(text)
    except CellError as err:
        column = run.tags[run.cols.meta["qualifier"]]
        raise Refused(column, err.check, err.reason, text) from err


def _date_cell(text: str, kind: str, zone: ZoneInfo | None) -> object:
    """A date cell: a date, or for a year column the year (an int)."""
    if kind == "year":
        year = _WHOLE_FLOAT.sub(r"\1", text)
        if not re.fullmatch(r"\d{4}", year):
            raise CellError(RejectionCode.DATE_FORMAT, "not a year: write YYYY, e.g. 2019")
        return int(year)
    instant = _instant(text) if zone is not None else None
    if instant is not None:
        return instant.astimezone(zone).date()
    return parse_iso_date(text)


# --- several rows, one figure ------------------------------------------------------------------

# Figures that may be added up: the same everything but the value and where it was read.
_GROUP_KEY = list(dict.fromkeys([*NATURAL_KEY, "cause", "role"]))
_VALUE_TAG_PREFIXES = ("#affected", "#population")


# Columns that name a unit of a place (a site, a location, an event, an operation): rows told
# apart by one of them are that place's units. A row that differs only in a link, a title or a
# note is the same figure again, never a unit to add.
_UNIT_TAGS = frozenset({"#loc", "#site", "#event", "#operation", "#description"})


def _told_apart(records: list[dict[str, object]]) -> bool:
    """True when the rows differ in a column that names a unit (a site, an event)."""
    shapes = {
        tuple(
            sorted((k, v) for k, v in r["_raw"].items() if k.split("+", 1)[0] in _UNIT_TAGS)  # type: ignore[union-attr]
        )
        for r in records
    }
    return len(shapes) > 1


def sum_qualifier(qualifiers: Iterable[str]) -> str | None:
    """How exact a sum of figures is; None when the parts pull both ways (< and >)."""
    found = set(qualifiers)
    if Qualifier.APPROXIMATELY.value in found:
        return Qualifier.APPROXIMATELY.value
    bounds = found & {Qualifier.MORE_THAN.value, Qualifier.LESS_THAN.value}
    if len(bounds) > 1:
        return None
    return bounds.pop() if bounds else Qualifier.EXACT.value


def combine_units(
    records: list[dict[str, object]], rejections: list[Rejection]
) -> tuple[list[dict[str, object]], int]:
    """Add up the rows of one place's units (sites, events); keep a figure published twice once.

    Returns the figures, in the order of their first row, and how many rows were merged.
    """
    groups: dict[tuple[object, ...], list[dict[str, object]]] = defaultdict(list)
    for record in records:
        groups[tuple(str(record.get(k)) for k in _GROUP_KEY)].append(record)
    out: list[dict[str, object]] = []
    merged = 0
    for group in groups.values():
        firsts: dict[tuple[object, ...], dict[str, object]] = {}
        for record in group:  # of a row published again, its first
            firsts.setdefault(_raw_key(record), record)
        distinct = list(firsts.values())
        if len(distinct) == 1:
            out.append(distinct[0])  # one row, or one figure published twice: counted once
            continue
        if not _told_apart(distinct):
            out += distinct  # nothing tells the rows apart: validation refuses the clash
            continue
        summed = _sum(distinct)
        if summed is None:
            first = distinct[0]
            rejections.append(
                Rejection(
                    int(first["row"]),  # type: ignore[call-overload]
                    "qualifier",
                    RejectionCode.SUM_QUALIFIER,
                    "the units of this place mix 'more than' and 'less than': no sum",
                    None,
                    first["_raw"],  # type: ignore[arg-type]
                )
            )
            continue
        merged += len(distinct)
        out.append(summed)
    out.sort(key=lambda r: int(r["row"]))  # type: ignore[call-overload]
    return out, merged


def _raw_key(record: dict[str, object]) -> tuple[object, ...]:
    return (record["value"], tuple(sorted(record["_raw"].items())))  # type: ignore[union-attr]


def _sum(parts: list[dict[str, object]]) -> dict[str, object] | None:
    """One figure for the units of a place: their sum, labelled with their count."""
    qualifier = sum_qualifier(str(p["qualifier"]) for p in parts)
    if qualifier is None:
        return None
    rows = [int(p["row"]) for p in parts]  # type: ignore[call-overload]
    shown = ", ".join(str(r) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
    record = dict(parts[0])
    record["value"] = sum(int(p["value"]) for p in parts)  # type: ignore[call-overload]
    record["qualifier"] = qualifier
    record["excerpt"] = f"sum of {len(parts)} units (rows {shown}) of this file for this place"
    for key in ("source_record_id", "source_url", "published_pcode"):
        values = {p[key] for p in parts}
        record[key] = values.pop() if len(values) == 1 else None
    record["figure_id"] = figure_id(record)
    return record


# --- the connector -----------------------------------------------------------------------------


def fetch(client: HttpClient, cfg: SourceConfig, _credentials: Credentials) -> Iterator[Fetched]:
    """The configured HXL files: paths under the data folder, or http(s) URLs."""
    base = Path(str(cfg.options.get("base_dir", ".")))
    for item in cfg.options.get("files", []):
        if str(item).startswith(("http://", "https://")):
            response = client.get(cfg.name, str(item))
            name = str(item).rstrip("/").rsplit("/", 1)[-1] or "hxl.csv"
            yield Fetched(name, response.content, response.url, dt.datetime.now(dt.UTC))
        else:
            yield Fetched.from_file(base / str(item))


def read(fetched: Fetched) -> Records:
    """The rows below the hashtag row, with the hashtag of each column."""
    table = decode_hxl(fetched.body, fetched.name)
    return Records(
        table.rows, fetched.name, fetched.name, tags=tuple(table.tags), coded=table.coded
    )


def to_figures(records: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Map the rows of a HXL table (as `read` returns it) to canonical figures."""
    table = HxlTable(tags=list(records.tags), rows=records.frame)
    return map_hxl(table, ctx, places=places, coded=records.coded)


CONNECTOR = Connector(
    name="hxl",
    title="HXL-tagged CSV (the bundled default, or any coordinator's spreadsheet)",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
)
