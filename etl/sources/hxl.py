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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from etl.errors import HxlError, InputError
from etl.figure_ids import figure_id
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
    figure_record,
)
from etl.sources.hxl_files import Grid, csv_grid, read_grid
from etl.transport import HttpClient
from etl.values import CellError, parse_iso_date, parse_number, parse_qualifier
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
    body = []
    numbers = []
    for number, record in grid.body:
        if not any(cell.strip() for cell in record):
            continue
        width = len(record)
        body.append([record[i] if i < width else "" for i in keep])
        numbers.append(number)
    rows = pd.DataFrame(body, columns=keep, index=numbers, dtype="str")
    return HxlTable(tags=grid.tags, rows=rows)


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


def _filled(frame: pd.DataFrame, col: int) -> list[str]:
    return [
        c.strip() for c in frame.iloc[:, col] if c.strip() and c.strip().lower() not in _MISSING
    ]


def _fix_swapped(cols: HxlColumns, frame: pd.DataFrame, tags: list[str]) -> list[str]:
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
        codes = _filled(frame, code_col)
        if not codes or any(_code_shaped(c, level) for c in codes):
            continue
        name_col = cols.names.get(level)
        names = _filled(frame, name_col) if name_col is not None else []
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


def _zones(cols: HxlColumns, frame: pd.DataFrame) -> dict[str, ZoneInfo]:
    """The publisher's time zone of each date column whose timestamps need one."""
    found = {}
    for kind, col in cols.dates.items():
        zone = publisher_zone(frame.iloc[:, col].tolist())
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


def map_hxl(
    table: HxlTable,
    ctx: MapContext,
    progress: Callable[[Iterable], Iterable] | None = None,
    places: pd.DataFrame | None = None,
) -> MappedFigures:
    """Turn the rows of an HXL table into canonical figures and refused cells.

    `places` is the gazetteer: units below admin 2 it lacks may be added from the file.
    """
    labels = [int(label) for label in table.rows.columns]
    tags = [str(Tag.parse(t)) if Tag.parse(t) else t for t in (table.tags[i] for i in labels)]
    cols = _rebased(locate_columns(table.tags), labels)
    notes = _fix_swapped(cols, table.rows, tags)
    gazetteer = places if places is not None else pd.DataFrame(columns=["pcode"])
    known = set(gazetteer["pcode"]) if places is not None else None
    run = _Context(cols, tags, _zones(cols, table.rows), known, NewPlaces(gazetteer))
    if places is not None and "name" in places:
        run.names = dict(zip(places["pcode"], places["name"].astype(str), strict=True))
    notes += [
        f"{tags[cols.dates[kind]]}: UTC timestamps read as {zone.key} calendar dates"
        for kind, zone in run.zones.items()
    ]
    records: list[dict[str, object]] = []
    rejections: list[Rejection] = []
    rows: Iterable = zip(table.rows.index, table.rows.itertuples(index=False), strict=True)
    if progress is not None:
        rows = progress(rows)
    for row_number, cells in rows:
        raw = {tags[i]: cells[i] for i in range(len(cells)) if cells[i]}
        try:
            common = _row_common(cells, run)
        except Refused as err:
            rejections.append(err.rejection(int(row_number), raw))
            continue
        for vcol in cols.values:
            cell = _value_text(cells[vcol.index])
            if cell is None:
                continue
            try:
                record = _figure(cell, vcol, common, ctx, int(row_number))
            except CellError as err:
                rejections.append(
                    Rejection(int(row_number), str(vcol.tag), err.check, err.reason, cell, raw)
                )
                continue
            record["_raw"] = raw
            records.append(record)
    notes += run.notes
    records, merged = combine_units(records, rejections)
    if merged:
        notes.append(f"{merged:,} rows were added up into the figures of their place and date")
    row_numbers = [int(r.pop("row")) for r in records]  # type: ignore[call-overload]
    for record in records:
        record.pop("_raw", None)
    new = run.new_places.frame()
    if new is not None:
        notes.append(f"{len(new):,} units not in the gazetteer added from this file")
    return MappedFigures(
        to_figure_frame(records),
        row_numbers,
        rejections,
        cols.ignored,
        len(table.rows),
        new,
        notes,
    )


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


def _place(cells: tuple[str, ...], where: dict[str, int], label: str) -> tuple[str, str] | None:
    """The most specific code of a row and its level's name; None when the row has none."""
    for level in PLACE_LEVELS:
        code = _cell(cells, where.get(level))
        if not code:
            continue
        if level == "country":
            return _country(code, label), level
        if level == "loc":
            return code.upper().replace(" ", ""), level
        return normalise_pcode(code) or code, level
    return None


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
            "unknown cause (use conflict, disaster or other)",
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


def _dates(cells: tuple[str, ...], run: _Context) -> dict[str, object]:
    dates: dict[str, object] = {}
    for kind, index in run.cols.dates.items():
        text = _cell(cells, index)
        try:
            dates[kind] = _date_cell(text, kind, run.zones.get(kind)) if text else None
        except CellError as err:
            raise Refused(f"#date+{kind}", err.check, err.reason, text) from err
    return dates


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


def _row_common(cells: tuple[str, ...], run: _Context) -> dict[str, object]:
    cols = run.cols
    found = _place(cells, cols.place, "")
    if found is None:
        raise Refused("#adm1+code", RejectionCode.PLACE_MISSING, "no place code in this row", "")
    pcode, level = found
    published = _cell(cells, cols.place[level])
    _new_place(cells, pcode, level, run)
    origin = _place(cells, cols.origin, "+origin")
    meta = {key: _cell(cells, index) for key, index in cols.meta.items()}
    role = meta.get("role", "").lower() or Role.RECOMMENDED.value
    if role not in {r.value for r in Role}:
        raise Refused(
            "#meta+role",
            RejectionCode.ROLE_VALUE,
            "unknown role (use recommended or triangulation)",
            role,
        )
    return {
        "pcode": pcode,
        "published_pcode": published if published != pcode else None,
        "origin_pcode": origin[0] if origin else None,
        "dates": _dates(cells, run),
        "cause": _cause(meta),
        "role": role,
        "qualifier": _qualifier(meta, run),
        "publisher": meta.get("source") or None,
        "source_url": meta.get("url") or None,
        "source_record_id": meta.get("id") or None,
        "excerpt": meta.get("excerpt") or None,
    }


def _period(metric: Metric, dates: dict[str, object]) -> tuple[dt.date, dt.date]:
    year = dates.get("year")
    if isinstance(year, int):
        # A year alone: a flow over the whole year, a stock as of its last day.
        last = dt.date(year, 12, 31)
        return (dt.date(year, 1, 1) if metric in FLOW_METRICS else last), last
    start, end, reported = dates.get("start"), dates.get("end"), dates.get("reported")
    if metric in FLOW_METRICS:
        end = end or reported
        if end is None:
            raise CellError(
                RejectionCode.DATE_MISSING, "a flow needs #date+end (or #date) for its period"
            )
        return (start or end), end  # type: ignore[return-value]
    as_of = reported or end or start
    if as_of is None:
        raise CellError(
            RejectionCode.DATE_MISSING, "a stock needs #date or #date+reported for its as-of date"
        )
    return as_of, as_of  # type: ignore[return-value]


def _figure(
    cell: str,
    vcol: ValueColumn,
    common: dict[str, object],
    ctx: MapContext,
    row_number: int,
) -> dict[str, object]:
    number = parse_number(cell)
    start, end = _period(vcol.metric, common["dates"])  # type: ignore[arg-type]
    qualifier = number.qualifier or common["qualifier"] or Qualifier.EXACT
    pcode = str(common["pcode"])
    return figure_record(
        ctx,
        source_record_id=common["source_record_id"],
        publisher=common["publisher"],
        metric=vcol.metric.value,
        pcode=pcode,
        published_pcode=common["published_pcode"],
        origin_pcode=common["origin_pcode"],
        period_start=pd.Timestamp(start),
        period_end=pd.Timestamp(end),
        value=number.value,
        qualifier=Qualifier(qualifier).value,
        cause=vcol.cause.value if vcol.cause else common["cause"],
        sex=vcol.sex.value if vcol.sex else None,
        age_group=vcol.age_group.value if vcol.age_group else None,
        unit=vcol.unit.value,
        role=common["role"],
        excerpt=common["excerpt"],
        source_url=common["source_url"] or ctx.source_url,
        row=row_number,
    )


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
        distinct = list({_raw_key(r): r for r in reversed(group)}.values())[::-1]
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
    return Records(table.rows, fetched.name, fetched.name, tags=tuple(table.tags))


def to_figures(records: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Map the rows of a HXL table (as `read` returns it) to canonical figures."""
    return map_hxl(HxlTable(tags=list(records.tags), rows=records.frame), ctx, places=places)


CONNECTOR = Connector(
    name="hxl",
    title="HXL-tagged CSV (the bundled default, or any coordinator's spreadsheet)",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
)
