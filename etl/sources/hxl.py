"""HXL-tagged CSV, .xlsx or JSON: columns read by their hashtags, never by their titles.

`read_hxl` is the only I/O (`etl.sources.hxl_files` reads each format's bytes into rows of
text cells); `map_hxl` turns the tagged rows into canonical figures.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
    SourceConfig,
)
from etl.sources.hxl_files import Grid, csv_grid, read_grid
from etl.transport import HttpClient
from etl.values import CellError, parse_iso_date, parse_number, parse_qualifier
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import FLOW_METRICS, AgeGroup, Cause, Metric, Qualifier, Role, Sex, Unit
from schemas.pcodes import admin_level_of
from schemas.runs import Rejection


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


@dataclass
class HxlColumns:
    """Which column holds what, found from the hashtag row."""

    place: dict[str, int] = field(default_factory=dict)  # adm3/adm2/adm1/loc/country -> col
    origin: dict[str, int] = field(default_factory=dict)
    dates: dict[str, int] = field(default_factory=dict)  # start/end/reported -> col
    meta: dict[str, int] = field(default_factory=dict)  # qualifier/source/url/id/cause/...
    values: list[ValueColumn] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


@dataclass
class HxlTable:
    """The cells of an HXL file below its hashtag row, as text."""

    tags: list[str]  # the whole hashtag row
    # str cells, "" for empty; index = 1-based row number in the file; columns labelled by
    # their position in `tags` (only the columns the import reads, see `table_of`)
    rows: pd.DataFrame


PLACE_LEVELS = ("adm3", "adm2", "adm1", "loc", "country")
_VALUE_TAGS: list[tuple[str, frozenset[str], Metric]] = [
    ("affected", frozenset({"idps", "new"}), Metric.NEW_DISPLACEMENTS),
    ("affected", frozenset({"idps"}), Metric.IDPS),
    ("affected", frozenset({"returns", "new"}), Metric.RETURNS),
    ("affected", frozenset({"returns"}), Metric.RETURNS),
    ("affected", frozenset({"returnees"}), Metric.RETURNEES),
    ("affected", frozenset({"refugees"}), Metric.REFUGEES),
    ("population", frozenset(), Metric.POPULATION),
]
_SEX = {"f": Sex.FEMALE, "m": Sex.MALE}
_AGE = {"children": AgeGroup.CHILDREN, "adults": AgeGroup.ADULTS, "elderly": AgeGroup.ELDERLY}
# Attributes that say nothing we store (totals, individuals) are accepted on value columns.
_NEUTRAL = frozenset({"total", "ind", "i", "num", "all"})
_META = {"qualifier", "source", "url", "id", "cause", "role", "excerpt"}
_CROSS_CHECK = frozenset({"name"})


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
    return sorted(used)


def _rebased(cols: "HxlColumns", labels: list[int]) -> "HxlColumns":
    """`cols` with each column's position in the hashtag row turned into its frame position."""
    at = {label: pos for pos, label in enumerate(labels)}
    return HxlColumns(
        place={k: at[i] for k, i in cols.place.items()},
        origin={k: at[i] for k, i in cols.origin.items()},
        dates={k: at[i] for k, i in cols.dates.items()},
        meta={k: at[i] for k, i in cols.meta.items()},
        values=[dataclasses.replace(v, index=at[v.index]) for v in cols.values],
        ignored=cols.ignored,
    )


def locate_columns(tags: list[str]) -> HxlColumns:
    """Read the hashtag row into a map of what each column holds.

    Two columns that would fill the same slot (the same hashtag twice, or `#date` beside
    `#date+reported`, `#affected+idps` beside `#affected+idps+total`) are refused: which
    one to believe cannot be guessed.
    """
    cols = HxlColumns()
    slots: dict[tuple[object, ...], tuple[int, Tag]] = {}
    for index, spec in enumerate(tags):
        tag = Tag.parse(spec) if spec.strip() else None
        if tag is None:
            if spec.strip():
                cols.ignored.append(spec.strip())
            continue
        slot = _assign(cols, index, tag)
        if slot is None:
            cols.ignored.append(str(tag))
            continue
        if slot in slots:
            first, other = slots[slot]
            if other == tag:
                what = f"columns {first + 1} and {index + 1} are both {tag}"
            else:
                what = f"columns {first + 1} ({other}) and {index + 1} ({tag}) mean the same"
            hint = (
                ", or tell them apart with attributes (+f, +m, ...)" if slot[0] == "value" else ""
            )
            raise HxlError(f"{what}: keep one{hint}")
        slots[slot] = (index, tag)
    missing = []
    if not cols.place:
        missing.append("place (#adm1+code, #adm2+code, #adm3+code, #country+code or #loc+code)")
    if not cols.dates:
        missing.append("date (#date, #date+reported, #date+start/#date+end)")
    if not cols.values:
        missing.append("value (#affected+idps, #affected+idps+new, #population, ...)")
    if missing:
        raise HxlError("no " + "; no ".join(missing) + " column in the hashtag row")
    return cols


def _assign(cols: HxlColumns, index: int, tag: Tag) -> tuple[object, ...] | None:
    """Record what column `index` holds; its slot, or None when the tag is not used."""
    attrs = tag.attributes
    if tag.hashtag in ("adm1", "adm2", "adm3", "country", "loc"):
        if "code" in attrs:
            kind = "origin" if "origin" in attrs else "place"
            target = cols.origin if kind == "origin" else cols.place
            target.setdefault(tag.hashtag, index)
            return (kind, tag.hashtag)
        # +name columns only cross-check: a second one is harmless.
        return ("name", index) if attrs & _CROSS_CHECK else None
    if tag.hashtag == "date":
        kind = "start" if "start" in attrs else "end" if "end" in attrs else "reported"
        cols.dates.setdefault(kind, index)
        return ("date", kind)
    if tag.hashtag == "meta":
        known = attrs & _META
        if len(known) == 1:
            key = next(iter(known))
            cols.meta.setdefault(key, index)
            return ("meta", key)
        return None
    value = _value_column(index, tag)
    if value is not None:
        cols.values.append(value)
        return ("value", value.metric, value.sex, value.age_group, value.unit)
    return None


def _value_column(index: int, tag: Tag) -> ValueColumn | None:
    attrs = tag.attributes
    sex = [_SEX[a] for a in attrs if a in _SEX]
    age = [_AGE[a] for a in attrs if a in _AGE]
    unit = Unit.HOUSEHOLDS if "hh" in attrs else Unit.PEOPLE
    rest = attrs - set(_SEX) - set(_AGE) - _NEUTRAL - {"hh"}
    for hashtag, needed, metric in _VALUE_TAGS:
        if tag.hashtag == hashtag and rest == needed and len(sex) <= 1 and len(age) <= 1:
            return ValueColumn(
                index, tag, metric, sex[0] if sex else None, age[0] if age else None, unit
            )
    return None


class _RowError(Exception):
    def __init__(self, column: str, check: str, reason: str, value: str) -> None:
        super().__init__(reason)
        self.rejection = (column, check, reason, value)


def map_hxl(
    table: HxlTable,
    ctx: MapContext,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> MappedFigures:
    """Turn the rows of an HXL table into canonical figures and refused cells."""
    labels = [int(label) for label in table.rows.columns]
    cols = _rebased(locate_columns(table.tags), labels)
    tags = [str(Tag.parse(t)) if Tag.parse(t) else t for t in (table.tags[i] for i in labels)]
    records: list[dict[str, object]] = []
    rejections: list[Rejection] = []
    rows: Iterable = zip(table.rows.index, table.rows.itertuples(index=False), strict=True)
    if progress is not None:
        rows = progress(rows)
    for row_number, cells in rows:
        raw = {tags[i]: cells[i] for i in range(len(cells)) if cells[i]}
        try:
            common = _row_common(cells, cols)
        except _RowError as err:
            column, check, reason, value = err.rejection
            rejections.append(Rejection(int(row_number), column, check, reason, value, raw))
            continue
        for vcol in cols.values:
            cell = cells[vcol.index].strip()
            if not cell:
                continue
            try:
                records.append(_figure(cell, vcol, common, cols, cells, ctx, int(row_number)))
            except CellError as err:
                rejections.append(
                    Rejection(int(row_number), str(vcol.tag), err.check, err.reason, cell, raw)
                )
    row_numbers = [int(r.pop("row")) for r in records]  # type: ignore[call-overload]
    return MappedFigures(
        to_figure_frame(records), row_numbers, rejections, cols.ignored, len(table.rows)
    )


def _cell(cells: tuple[str, ...], index: int | None) -> str:
    return cells[index].strip() if index is not None else ""


def _place(cells: tuple[str, ...], where: dict[str, int], label: str) -> str | None:
    for level in PLACE_LEVELS:
        code = _cell(cells, where.get(level)).upper().replace(" ", "")
        if code:
            if level == "country":
                if code in ISO3_TO_PCODE:
                    return ISO3_TO_PCODE[code]
                raise _RowError(
                    f"#country+code{label}", "country_code", "unknown ISO3 country code", code
                )
            return code
    return None


def _row_common(cells: tuple[str, ...], cols: HxlColumns) -> dict[str, object]:
    pcode = _place(cells, cols.place, "")
    if pcode is None:
        raise _RowError("#adm1+code", "place_missing", "no place code in this row", "")
    origin = _place(cells, cols.origin, "+origin")
    dates: dict[str, dt.date | None] = {}
    for kind, index in cols.dates.items():
        text = _cell(cells, index)
        try:
            dates[kind] = parse_iso_date(text) if text else None
        except CellError as err:
            raise _RowError(f"#date+{kind}", err.check, err.reason, text) from err
    meta = {key: _cell(cells, index) for key, index in cols.meta.items()}
    cause = meta.get("cause", "").lower() or None
    if cause is not None and cause not in {c.value for c in Cause}:
        raise _RowError(
            "#meta+cause", "cause_value", "unknown cause (use conflict, disaster or other)", cause
        )
    role = meta.get("role", "").lower() or Role.RECOMMENDED.value
    if role not in {r.value for r in Role}:
        raise _RowError(
            "#meta+role", "role_value", "unknown role (use recommended or triangulation)", role
        )
    qualifier = None
    if meta.get("qualifier"):
        try:
            qualifier = parse_qualifier(meta["qualifier"])
        except CellError as err:
            raise _RowError("#meta+qualifier", err.check, err.reason, meta["qualifier"]) from err
    return {
        "pcode": pcode,
        "origin_pcode": origin,
        "dates": dates,
        "cause": cause,
        "role": role,
        "qualifier": qualifier,
        "publisher": meta.get("source") or None,
        "source_url": meta.get("url") or None,
        "source_record_id": meta.get("id") or None,
        "excerpt": meta.get("excerpt") or None,
    }


def _period(metric: Metric, dates: dict[str, dt.date | None]) -> tuple[dt.date, dt.date]:
    start, end, reported = dates.get("start"), dates.get("end"), dates.get("reported")
    if metric in FLOW_METRICS:
        end = end or reported
        if end is None:
            raise CellError("date_missing", "a flow needs #date+end (or #date) for its period")
        return (start or end), end
    as_of = reported or end or start
    if as_of is None:
        raise CellError("date_missing", "a stock needs #date or #date+reported for its as-of date")
    return as_of, as_of


def _figure(
    cell: str,
    vcol: ValueColumn,
    common: dict[str, object],
    cols: HxlColumns,
    cells: tuple[str, ...],
    ctx: MapContext,
    row_number: int,
) -> dict[str, object]:
    number = parse_number(cell)
    start, end = _period(vcol.metric, common["dates"])  # type: ignore[arg-type]
    qualifier = number.qualifier or common["qualifier"] or Qualifier.EXACT
    pcode = str(common["pcode"])
    record: dict[str, object] = {
        "source": ctx.source,
        "dataset": ctx.dataset,
        "source_record_id": common["source_record_id"],
        "publisher": common["publisher"],
        "metric": vcol.metric.value,
        "pcode": pcode,
        "admin_level": admin_level_of(pcode),
        "origin_pcode": common["origin_pcode"],
        "period_start": pd.Timestamp(start),
        "period_end": pd.Timestamp(end),
        "value": number.value,
        "qualifier": Qualifier(qualifier).value,
        "cause": common["cause"],
        "sex": vcol.sex.value if vcol.sex else None,
        "age_group": vcol.age_group.value if vcol.age_group else None,
        "unit": vcol.unit.value,
        "role": common["role"],
        "excerpt": common["excerpt"],
        "source_url": common["source_url"] or ctx.source_url,
        "retrieved_at": pd.Timestamp(ctx.retrieved_at),
        "run_id": ctx.run_id,
        "row": row_number,
    }
    record["figure_id"] = figure_id(record)
    return record


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


def read(fetched: Fetched) -> pd.DataFrame:
    """The rows below the hashtag row, with the hashtags in the frame's attrs."""
    table = decode_hxl(fetched.body, fetched.name)
    frame = table.rows
    frame.attrs["hxl_tags"] = table.tags
    return frame


def to_figures(raw: pd.DataFrame, ctx: MapContext, _places: pd.DataFrame) -> MappedFigures:
    """Map the rows of a HXL table (as `read` returns it) to canonical figures."""
    return map_hxl(HxlTable(tags=list(raw.attrs["hxl_tags"]), rows=raw), ctx)


CONNECTOR = Connector(
    name="hxl",
    title="HXL-tagged CSV (the bundled default, or any coordinator's spreadsheet)",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    dataset_of=lambda fetched: fetched.name,
)
