"""CCCM Cluster ISIMM: monthly IDP-site monitoring for north-west Syria, one file a month.

Every year of the archive reads the same way: the 2017 files (no `PCODE`, sites have no code
yet), 2018-2019 (`PCODE` first), 2020 (an extra column with an empty header), as CSV or as
the `.xlsx` edition of the same month (the worksheet that holds the site table is read; a
working sheet beside it is not). Headers are matched by normalised name, so case, spaces and
underscores may drift (`Waste Removal`, `Waste_Removal`).

Sites are summed to people in sites per governorate, district and sub-district, as of the
month's end: a unit's total is always the sum of its sites' published `individual`, and each
figure says how many sites it sums. The monthly files name a site's governorate and district
only; its sub-district comes from CCCM's own site list (`cccm_isimm_sites.csv`, the P-codes
the April 2020 workbook gives each site code). A site that list lacks (a newer site, a 2017
row without a code, or one the list puts in another district) is in no sub-district, and the
sub-districts of its district then say "more than": a sum of the sites known to be there.
Sex and age come from girls/boys/women/men, only where every site of the unit gives a usable
split: a split in decimals (an estimate), blank, or all zeros beside a positive total is left
out with a note in the total's excerpt; the total stays.

Place names go through a table of known spellings (`cccm_isimm_names.csv`), never guessed:
a site without a governorate or district, or with a name the table lacks, is a rejection
that names the row and the value.
"""

import calendar
import csv
import datetime as dt
import functools
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from etl.errors import InputError, SourceFormatError
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
    fill_defaults,
    grid,
    rejections_of,
)
from etl.sources.columnwise import cells as column_cells
from etl.sources.columnwise import same, same_time
from etl.sources.csv_cells import csv_cells
from etl.sources.hxl_files import check_zip, excel_text
from etl.transport import HttpClient
from schemas.codes import factorized
from schemas.enums import AgeGroup, Cause, Metric, Qualifier, Sex
from schemas.pcodes import admin_level_of
from schemas.raw.cccm_isimm import (
    KNOWN_COLUMNS,
    REQUIRED_COLUMNS,
    SPLIT_COLUMNS,
    IsimmSiteModel,
)
from schemas.runs import Rejection, RejectionCode

NAME = "cccm-isimm"
DEFAULT_BASE = "https://raw.githubusercontent.com/unhcr-xborder-turkey/ISIMM/gh-pages/data/"
PUBLISHER = "CCCM Cluster (Syria cross-border), IDP Sites Integrated Monitoring Matrix (ISIMM)"
SPELLINGS = Path(__file__).with_name("cccm_isimm_names.csv")
SITE_LIST = Path(__file__).with_name("cccm_isimm_sites.csv")
SITE_LIST_NAME = "CCCM's site list of April 2020 (ISIMM workbook)"
# The header row is the first row in every published month; a few rows of slack for a
# workbook with a title row above its table.
HEADER_SEARCH_ROWS = 10
_FILE_MONTH = re.compile(r"ISIMM_(\d{4})_?([A-Za-z]{3})[A-Za-z]*", re.I)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
# A count as published: digits, or a spreadsheet's whole float ("424.0").
_WHOLE = re.compile(r"^(\d+)(?:\.0*)?$")
_DECIMAL = re.compile(r"^\d*\.\d+$")
_GROUPS = {
    "girls": (Sex.FEMALE, AgeGroup.CHILDREN),
    "boys": (Sex.MALE, AgeGroup.CHILDREN),
    "women": (Sex.FEMALE, AgeGroup.ADULTS),
    "men": (Sex.MALE, AgeGroup.ADULTS),
    "individual": (None, None),
}


def month_end(name: str) -> dt.date:
    """The last day of the month a file is for, from its name (ISIMM_2020Jan.csv)."""
    match = _FILE_MONTH.search(name)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if not match or month is None:
        raise SourceFormatError(f"{NAME}: {name}: no month in the file name (ISIMM_<year><month>)")
    year = int(match.group(1))
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _key(text: object) -> str:
    """Text normalised for matching: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower()) if isinstance(text, str) else ""


def spellings(path: Path = SPELLINGS) -> dict[tuple[str, str], str]:
    """Known spellings: (governorate, district) as normalised text -> P-code.

    Two rows that normalise alike must give the same code: otherwise the table itself is
    ambiguous, and matching through it would be a guess.
    """
    known: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (_key(row["governorate"]), _key(row["district"]))
            if known.setdefault(key, row["pcode"]) != row["pcode"]:
                raise ValueError(f"{path.name}: {row} contradicts an earlier spelling")
    return known


def site_subdistricts(path: Path = SITE_LIST) -> dict[str, tuple[str, str]]:
    """Each site code CCCM placed: (district P-code, sub-district P-code)."""
    with path.open(encoding="utf-8") as handle:
        return {
            row["site_code"]: (row["district_pcode"], row["subdistrict_pcode"])
            for row in csv.DictReader(handle)
        }


def fetch(client: HttpClient, cfg: SourceConfig, _credentials: Credentials) -> Iterator[Fetched]:
    """The configured monthly files: from a folder under the data folder (`dir`), offline,
    or else from the upstream repository (`base_url`)."""
    folder = cfg.options.get("dir")
    if folder:
        yield from _local_months(Path(str(cfg.options.get("base_dir", "."))) / str(folder), cfg)
        return
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/") + "/"
    for name in cfg.options.get("files", []):
        if cfg.since and month_end(str(name)) < cfg.since:
            continue
        response = client.get(NAME, base + str(name))
        yield Fetched(str(name), response.content, response.url, dt.datetime.now(dt.UTC))


def _local_months(folder: Path, cfg: SourceConfig) -> Iterator[Fetched]:
    """The months saved in `folder`: the configured `files`, else every ISIMM_*.csv there.

    Each file keeps its upstream address as its source, so a figure loaded offline still
    links to where the cluster publishes it.
    """
    if not folder.is_dir():
        raise InputError(f"{NAME}: {folder}: no such folder")
    names = [str(n) for n in cfg.options.get("files", [])] or sorted(
        p.name for p in folder.glob("ISIMM_*.csv")
    )
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/") + "/"
    for name in sorted(names, key=month_end):
        if cfg.since and month_end(name) < cfg.since:
            continue
        saved = Fetched.from_file(folder / name)
        yield Fetched(saved.name, saved.body, base + name, saved.retrieved_at)


# --- reading: CSV or .xlsx into one table of text cells ----------------------------------------


@dataclass(frozen=True)
class Table:
    """A month's site table as published: its header row, the rows under it as text cells,
    and each row's number in the file (header row 1)."""

    header: list[str]
    rows: list[list[str]] | np.ndarray  # a list per row, or one array of rows x cells
    numbers: np.ndarray


def _decode(body: bytes, name: str) -> str:
    if body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{NAME}: {name}: HTML where a CSV was expected")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older months carry Arabic site names in Windows-1256.
        return body.decode("cp1256", errors="replace")


def _csv_rows(text: str, name: str) -> list[list[str]]:
    """Every record of a CSV month in file order, a line with no cells at all as []."""
    # strict: a stray or unclosed quote is an error, not a row that swallows the next ones.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        rows.extend(reader)  # keeps the records read before an error: they number its row
    except csv.Error as exc:
        raise SourceFormatError(
            f"{NAME}: {name}: row {len(rows) + 1}: not readable as CSV ({exc})"
        ) from None
    return rows


def _columns(header: list[str], name: str) -> dict[str, int]:
    """Our name for each column of a header row -> its position (unnamed columns left out).

    Two columns that both read as one of ours (`individual` and `Individual`) are refused:
    which of them the month means cannot be told.
    """
    ours = {_key(c): c for c in KNOWN_COLUMNS + REQUIRED_COLUMNS}
    found: dict[str, int] = {}
    for position, title in enumerate(header):
        if not title.strip():
            continue  # the 2020 files' column with an empty header, and padding
        column = ours.get(_key(title), title.strip())
        if column in found and column in ours.values():
            raise SourceFormatError(
                f"{NAME}: {name}: columns {found[column] + 1} and {position + 1} are both "
                f"{column!r}; keep one"
            )
        found.setdefault(column, position)  # a repeated service column: the first is kept
    return found


def _is_header(cells: list[str]) -> bool:
    return {_key(c) for c in REQUIRED_COLUMNS} <= {_key(c) for c in cells}


def _header_at(rows: list[list[str]]) -> int | None:
    """Which of the first rows is the header row; None when none is."""
    heads = rows[:HEADER_SEARCH_ROWS]
    return next((at for at, row in enumerate(heads) if _is_header(row)), None)


def _missing(header: list[str]) -> str:
    have = {_key(c) for c in header}
    return ", ".join(c for c in REQUIRED_COLUMNS if _key(c) not in have)


def _csv_table(body: bytes, name: str) -> Table:
    text = _decode(body, name)
    cells = csv_cells(text)  # records all as long, none blank: numbered as they come
    if cells is not None:
        at = _header_at(cells[:HEADER_SEARCH_ROWS].tolist())
        if at is not None:
            return Table(cells[at].tolist(), cells[at + 1 :], np.arange(at + 2, len(cells) + 1))
    rows = _csv_rows(text, name)
    numbers = np.arange(1, len(rows) + 1)
    if not all(rows):  # a line with no cells is no row; the rows keep their numbers
        numbers = numbers[np.fromiter(map(bool, rows), dtype=bool, count=len(rows))]
        rows = [cells for cells in rows if cells]
    if not rows:
        raise SourceFormatError(f"{NAME}: {name}: the file is empty")
    at = _header_at(rows)
    if at is None:
        raise SourceFormatError(f"{NAME}: {name}: field(s) {_missing(rows[0])} missing")
    return Table(rows[at], rows[at + 1 :], numbers[at + 1 :])


def _xlsx_table(body: bytes, name: str) -> Table:
    """The site table of a workbook: the first worksheet whose header row has our columns.

    ISIMM_2020April.xlsx holds the table on `Sheet2` and a working sheet (`Sheet1`: the
    previous month's counts, formulas, bilingual names) beside it; that one has no `girls`
    or `individual` column and is passed over.
    """
    import openpyxl  # only a workbook pays for it

    try:
        check_zip(body, name)
    except InputError as exc:
        raise SourceFormatError(f"{NAME}: {exc}") from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # openpyxl raises many kinds; each means the same to the user
        raise SourceFormatError(
            f"{NAME}: {name}: not a readable .xlsx workbook ({_why(exc)})"
        ) from None
    try:
        for sheet in book.worksheets:
            found = _sheet_table(sheet)
            if found is not None:
                return found
        titles = ", ".join(s.title for s in book.worksheets) or "none"
        raise SourceFormatError(
            f"{NAME}: {name}: no worksheet ({titles}) has the site table "
            f"({', '.join(REQUIRED_COLUMNS)})"
        )
    except (SourceFormatError, MemoryError, RecursionError):
        raise
    except Exception as exc:
        raise SourceFormatError(
            f"{NAME}: {name}: not a readable .xlsx workbook ({_why(exc)})"
        ) from None
    finally:
        book.close()


def _why(exc: Exception) -> str:
    """An exception as one line of text."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else 'no detail'}"


def _sheet_table(sheet: Any) -> Table | None:
    """A worksheet's header row and the non-empty rows under it; None without our header.

    Rows are read only as wide as the header: openpyxl pads every row to the sheet's
    declared extent, which one stray cell far to the right makes thousands of columns.
    """
    head = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
    for number, values in enumerate(head, start=1):
        cells = [excel_text(v) for v in values]
        while cells and not cells[-1].strip():
            cells.pop()
        if not _is_header(cells):
            continue
        body = sheet.iter_rows(min_row=number + 1, max_col=len(cells), values_only=True)
        rows, numbers = [], []
        for row, values in enumerate(body, start=number + 1):
            # An empty spreadsheet row is no published row (openpyxl pads to the extent).
            if any(v is not None and str(v).strip() for v in values):
                rows.append([excel_text(v) for v in values])
                numbers.append(row)
        return Table(cells, rows, np.array(numbers, dtype=np.int64))
    return None


def _is_workbook(body: bytes, name: str) -> bool:
    if body.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") or name.lower().endswith(".xls"):
        raise SourceFormatError(
            f"{NAME}: {name}: an Excel 97-2003 (.xls) workbook; the upstream's .xlsx or CSV is read"
        )
    return body.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm"))


def publication(as_of: dt.date) -> str:
    """The dataset of a month's figures: the month ISIMM publishes ("ISIMM 2020-04"), the
    same whichever edition (CSV or .xlsx) and file name it comes in."""
    return f"ISIMM {as_of:%Y-%m}"


def read(fetched: Fetched) -> Records:
    """The site rows of one monthly file (CSV or .xlsx), as text cells, indexed by row number,
    as the month's publication (stored before under the file's name)."""
    as_of = month_end(fetched.name)
    if _is_workbook(fetched.body, fetched.name):
        table = _xlsx_table(fetched.body, fetched.name)
    else:
        table = _csv_table(fetched.body, fetched.name)
    if not len(table.rows):
        raise SourceFormatError(f"{NAME}: {fetched.name}: no site rows")
    frame = _text_frame(_columns(table.header, fetched.name), table.rows)
    frame.index = pd.Index(table.numbers)
    try:
        IsimmSiteModel.validate(frame, lazy=True, inplace=True)  # nothing to coerce: no copy
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        raise SourceFormatError(
            f"{NAME}: {fetched.name}: field {first['column']}: {first['check']}"
        ) from exc
    return Records(frame, publication(as_of), fetched.name, supersedes=(fetched.name,), as_of=as_of)


def _text_frame(columns: dict[str, int], rows: list[list[str]] | np.ndarray) -> pd.DataFrame:
    """The named columns of `rows`, column by column, as published text (`str` dtype).

    An empty or blank cell, or one beyond a short row's end, is missing.
    """
    cells = _grid(rows, max(columns.values()) + 1)
    # Whether a cell is blank is asked once per distinct text of the whole table.
    blank = [text for text in set(cells.ravel().tolist()) if not text.strip()]
    if blank == [""]:
        cells[cells == ""] = None
    elif blank:
        cells[np.isin(cells, blank)] = None
    return pd.DataFrame(
        {name: pd.Series(cells[:, position], dtype="str") for name, position in columns.items()},
        copy=False,
    )


def _grid(rows: list[list[str]] | np.ndarray, width: int) -> np.ndarray:
    """The rows as one array of text cells, at least `width` wide; a short row padded with
    empty cells (and, where rows differ in length, a long one cut: no column of ours is there)."""
    if isinstance(rows, np.ndarray):  # rows all as long, each as long as the header
        return rows
    lengths = set(map(len, rows))
    if len(lengths) > 1 or min(lengths) < width:
        rows = [cells[:width] + [""] * (width - len(cells)) for cells in rows]
    return grid(rows, len(rows), len(rows[0]) if rows else width)


# --- mapping: sites to district and governorate totals -----------------------------------------
# Each cell is read once per distinct value (a month repeats few counts and names); the sums
# are taken unit by unit over the sites sorted by unit.


@dataclass(frozen=True)
class Ranked:
    """A text field of every site as numbers: each site's rank among the field's distinct
    values, sorted (-1 where it has none), and those values."""

    ranks: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, distinct: list[str | None], which: np.ndarray) -> "Ranked":
        """Each site's value, `distinct[which]`, coded."""
        values = sorted({value for value in distinct if value is not None})
        rank_of = {value: rank for rank, value in enumerate(values)}
        ranks = np.fromiter((rank_of.get(v, -1) for v in distinct), np.int64, len(distinct))
        return cls(ranks[which], _objects(values, len(values)))

    def text(self, site: int) -> str | None:
        """One site's value; None where it has none."""
        rank = self.ranks[site]
        return self.values[rank] if rank >= 0 else None


@dataclass(frozen=True)
class Sites:
    """The accepted site rows, column by column, in file order."""

    numbers: np.ndarray  # each site's row number
    governorate: Ranked  # P-codes
    district: Ranked  # P-codes
    code: Ranked  # the site's CCCM code
    counts: dict[str, np.ndarray]  # girls, boys, women, men (0 where unusable), individual
    split_problem: np.ndarray  # why its split is left out; "" where the split is usable
    usable: np.ndarray  # whether its split is usable


@dataclass(frozen=True)
class Units:
    """Sites summed per admin unit, one entry per unit in the order of its figures."""

    pcodes: np.ndarray
    sites: np.ndarray  # how many sites each sums
    sums: dict[str, np.ndarray]  # per count column
    lacking: np.ndarray  # how many of its sites have no usable split
    first_lacking: np.ndarray  # the first of those (a position in Sites); -1 where none
    codes: np.ndarray  # its sites' codes, sorted and joined by ";"; None where none has one
    placement: np.ndarray  # the sub-district note of `_placement_note`; "" for other units
    partial: np.ndarray  # whether it sums only the sites known to be there ("more than")


def _place(
    gov_text: object, dist_text: object, known: dict[tuple[str, str], str]
) -> tuple[str, str] | Refused:
    """(governorate P-code, district P-code) of a site row, from the spellings table; or the
    Refused saying which name is missing or unknown."""
    gov, dist = _key(gov_text), _key(dist_text)
    if not dist:
        # Most often the governorate is empty too (22 such rows in January 2020).
        return Refused("district", RejectionCode.PLACE_MATCH, "no district")
    if not gov:
        # The same district name may exist in two governorates: never picked without one.
        return Refused("governorate", RejectionCode.PLACE_MATCH, "no governorate", dist_text)
    governorate = known.get((gov, ""))
    if governorate is None:
        reason = f"governorate {gov_text!r} matches no known spelling"
        return Refused("governorate", RejectionCode.PLACE_MATCH, reason, gov_text)
    district = known.get((gov, dist))
    if district is None:
        reason = f"district {dist_text!r} matches no known spelling"
        return Refused("district", RejectionCode.PLACE_MATCH, reason, dist_text)
    return governorate, district


def _whole(cell: object) -> int | None:
    """A published whole number, or None when the cell is not one (blank, decimal, text)."""
    match = _WHOLE.match(cell.strip()) if isinstance(cell, str) else None
    return int(match.group(1)) if match else None


def _individual(cell: object) -> int | Refused:
    """The site's published total; or, for a row without one, its Refused (its people are
    unknown)."""
    if not isinstance(cell, str) or not cell.strip():
        return Refused("individual", RejectionCode.NUMBER_FORMAT, "no count of people")
    value = _whole(cell)
    if value is None:
        return Refused(
            "individual", RejectionCode.NUMBER_FORMAT, "not a whole number of people", cell
        )
    return value


def _split_part(column: str, cell: object) -> int | str:
    """One part of a site's split (girls, boys, women or men) as a count; or, where it is
    blank, in decimals (an estimate) or not a number, why the split cannot be used."""
    text = cell.strip() if isinstance(cell, str) else ""
    value = _whole(text)
    if value is not None:
        return value
    if not text:
        return f"{column} blank"
    if _DECIMAL.match(text):
        return f"{column} {text} (decimals, an estimate)"
    return f"{column} {text!r} (not a number)"


def _site_code(cell: object) -> str | None:
    return cell.strip() if isinstance(cell, str) and cell.strip() else None


def _per_distinct(
    func: Callable[..., Any], *columns: pd.Series | np.ndarray
) -> tuple[list[Any], np.ndarray]:
    """`func` of each distinct combination of cells (one or two columns), and which
    combination each record has. Missing cells (None, NaN) are one value, given as NaN."""
    codes, uniques = factorized(columns[0])
    if len(columns) == 1:
        return [func(value) for value in uniques.tolist()], codes
    more, others = factorized(columns[1])
    key, pairs = pd.factorize(codes * max(1, len(others)) + more)
    first, second = np.divmod(pairs, max(1, len(others)))
    firsts, seconds = uniques.take(first).tolist(), others.take(second).tolist()
    return [func(a, b) for a, b in zip(firsts, seconds, strict=True)], key


def _column(raw: pd.DataFrame, name: str) -> pd.Series | np.ndarray:
    """A field's cells as served; all missing for a field the month lacks (2017's PCODE)."""
    return raw[name] if name in raw else column_cells(raw, name)


def _objects(values: Iterable[object], count: int) -> np.ndarray:
    """Values in an array of objects, a tuple kept as one value."""
    return np.fromiter(values, dtype=object, count=count)


def _counts(distinct: list[Any], which: np.ndarray) -> np.ndarray:
    """Each record's whole number, its count of `distinct[which]` (0 where it has none): as
    int64, unless some sum of them might not fit (then as Python ints)."""
    values = _objects((v if isinstance(v, int) else 0 for v in distinct), len(distinct))
    if max(values, default=0) * len(which) < 2**62:
        values = values.astype(np.int64)
    return values[which]


def _refusals(outcomes: list[Any]) -> np.ndarray:
    """The Refused among `outcomes`, None for the others."""
    return _objects((o if isinstance(o, Refused) else None for o in outcomes), len(outcomes))


def _read_sites(
    raw: pd.DataFrame, known: dict[tuple[str, str], str]
) -> tuple[Sites, list[Rejection]]:
    """The sites a month's rows give, and the rows refused: with no known place (the first
    check), or else with no count of people."""
    places, which_place = _per_distinct(
        functools.partial(_place, known=known),
        _column(raw, "governorate"),
        _column(raw, "district"),
    )
    people, which_people = _per_distinct(_individual, _column(raw, "individual"))
    refusal = _refusals(places)[which_place]
    unplaced = refusal == None  # noqa: E711 (elementwise)
    refusal[unplaced] = _refusals(people)[which_people[unplaced]]
    kept = np.flatnonzero(refusal == None)  # noqa: E711 (elementwise)
    individual = _counts(people, which_people[kept])
    counts, problem = _splits(raw, kept, individual)
    codes, which_code = _per_distinct(_site_code, _column(raw, "PCODE"))
    where = [(None, None) if isinstance(p, Refused) else p for p in places]
    sites = Sites(
        numbers=raw.index.to_numpy()[kept],
        governorate=Ranked.of([p[0] for p in where], which_place[kept]),
        district=Ranked.of([p[1] for p in where], which_place[kept]),
        code=Ranked.of(codes, which_code[kept]),
        counts={**counts, "individual": individual},
        split_problem=problem,
        usable=problem == "",
    )
    refused = np.flatnonzero(refusal != None)  # noqa: E711 (elementwise)
    numbers = raw.index.to_numpy()[refused].tolist()
    return sites, rejections_of(numbers, refusal[refused].tolist(), _plain_records(raw, refused))


def _splits(
    raw: pd.DataFrame, kept: np.ndarray, individual: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each site's girls/boys/women/men (0 where left out), and why a split is left out.

    The split is a breakdown of the total: when any part is blank, in decimals (an
    estimate) or not a number, or every part is 0 for a site with people (a placeholder:
    January 2018 writes 0,0,0,0 beside 424), it is left out and the total still counts.
    Parts that are whole numbers are taken as published even where they do not add up to
    the total exactly (2017 has sites one person off). The first part at fault is named.
    """
    counts: dict[str, np.ndarray] = {}
    problem = np.full(len(kept), "", dtype=object)
    for column in SPLIT_COLUMNS:
        parts, which = _per_distinct(functools.partial(_split_part, column), _column(raw, column))
        which = which[kept]
        counts[column] = _counts(parts, which)
        why = _objects((p if isinstance(p, str) else "" for p in parts), len(parts))[which]
        first = (problem == "") & (why != "")
        problem[first] = why[first]
    zeros = (problem == "") & (individual > 0)
    for column in SPLIT_COLUMNS:
        zeros &= counts[column] == 0
    for at in np.flatnonzero(zeros):
        problem[at] = f"girls, boys, women and men all 0 beside {individual[at]} people"
    usable = problem == ""
    return {c: np.where(usable, counts[c], 0) for c in SPLIT_COLUMNS}, problem


def _plain_records(raw: pd.DataFrame, positions: np.ndarray) -> list[dict[str, object]]:
    """Rows as their rejections record them: published headers, missing cells as None."""
    named = [str(c) for c in raw.columns if str(c)]
    if not named:
        return [{} for _ in positions]
    # Each column's cells of those rows only, missing ones None as they are taken out.
    columns = [
        raw[name].array.take(positions).to_numpy(dtype=object, na_value=None) for name in named
    ]
    return list(map(dict, map(zip, itertools.repeat(named), zip(*columns, strict=True))))


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """People in sites per governorate, district and sub-district as of the month's end."""
    del places  # names go through the spellings table; the validator checks the codes
    raw = served.frame
    as_of = pd.Timestamp(served.as_of or month_end(served.name))
    url = ctx.source_url or DEFAULT_BASE + served.name
    sites, rejections = _read_sites(raw, spellings())
    if not len(sites.numbers):
        return MappedFigures(to_figure_frame([]), [], rejections, [], len(raw))
    everywhere = np.arange(len(sites.numbers))
    levels = [
        _units(sites, everywhere, sites.governorate.ranks, sites.governorate.values),
        _units(sites, everywhere, sites.district.ranks, sites.district.values),
        _subdistricts(sites, site_subdistricts()),
    ]
    columns = _figure_columns(levels, sites, as_of, ctx, url)
    count = len(columns["pcode"])
    # A figure sums many rows: it names no single upstream row.
    return MappedFigures(figure_frame(columns), [0] * count, rejections, [], len(raw))


def _units(
    sites: Sites,
    members: np.ndarray,
    rank: np.ndarray,
    pcodes: np.ndarray,
    unplaced: tuple[np.ndarray, np.ndarray] | None = None,
) -> Units:
    """The sites `members` (positions in file order) summed per unit, in the order of the
    units' ranks (`rank`, each member's); `pcodes` is the P-code of each rank.

    `unplaced` is, for sub-districts, each unit's count of its district's sites with people
    that are on no sub-district, and its district's count of sites.
    """
    order = np.argsort(rank, kind="stable")  # file order kept within a unit
    ranked = rank[order]
    starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]])[: len(ranked)])
    sizes = np.diff(np.append(starts, len(order)))
    at = members[order]
    unit_of = np.repeat(np.arange(len(starts)), sizes)
    lacking_at = np.flatnonzero(~sites.usable[at])
    first = np.full(len(starts), -1)
    units_lacking, firsts = np.unique(unit_of[lacking_at], return_index=True)
    first[units_lacking] = at[lacking_at[firsts]]
    if unplaced is None:
        placement, partial = _objects([""] * len(starts), len(starts)), np.zeros(len(starts), bool)
    else:
        missing, total = unplaced
        notes = [_placement_note((int(m), int(t))) for m, t in zip(missing, total, strict=True)]
        placement, partial = _objects(notes, len(notes)), missing > 0
    return Units(
        pcodes=pcodes[ranked[starts]],
        sites=sizes,
        sums={c: np.add.reduceat(sites.counts[c][at], starts) for c in _GROUPS},
        lacking=np.bincount(unit_of[lacking_at], minlength=len(starts)),
        first_lacking=first,
        codes=_joined_codes(sites.code, at, unit_of, len(starts)),
        placement=placement,
        partial=partial,
    )


def _joined_codes(code: Ranked, at: np.ndarray, unit_of: np.ndarray, count: int) -> np.ndarray:
    """Each unit's distinct site codes (of the sites `at`), sorted and joined by ";"; None
    for a unit without."""
    ranks = code.ranks[at]
    has = ranks >= 0
    width = max(1, len(code.values))
    units, which = np.divmod(np.unique(unit_of[has] * width + ranks[has]), width)
    bounds = np.searchsorted(units, np.arange(count + 1))
    joined = [
        ";".join(code.values[which[start:end]].tolist()) or None
        for start, end in itertools.pairwise(bounds)
    ]
    return _objects(joined, count)


def _subdistricts(sites: Sites, placed: dict[str, tuple[str, str]]) -> Units:
    """People in sites per sub-district, district by district, from CCCM's site list.

    Where some sites of a district are not on the list, each of its sub-districts counts
    only the sites known to be there: "more than", with how many of the district's sites
    are unplaced, never a guess at where those are.
    """
    districts = {pcode: rank for rank, pcode in enumerate(sites.district.values.tolist())}
    # Per site code (and, last, for a site without one): its district on the list (-1 for
    # a code the list lacks or puts in no district of the month) and sub-district.
    spots = [placed.get(code) for code in sites.code.values.tolist()] + [None]
    spot_district = np.array([districts.get(s[0], -1) if s else -1 for s in spots])
    spot_sub = _objects((s[1] if s else None for s in spots), len(spots))
    district = sites.district.ranks
    on_list = np.flatnonzero(spot_district[sites.code.ranks] == district)
    subs = Ranked.of(spot_sub.tolist(), sites.code.ranks[on_list])
    width = max(1, len(subs.values))
    keys, rank = np.unique(district[on_list] * width + subs.ranks, return_inverse=True)
    units_district, units_sub = np.divmod(keys, width)
    # A site with nobody in it changes no sub-district's total, placed or not.
    people = sites.counts["individual"] > 0
    size = len(sites.district.values)
    with_people = np.bincount(district[people], minlength=size)
    placed_people = np.bincount(district[on_list[people[on_list]]], minlength=size)
    of_district = np.bincount(district, minlength=size)
    unplaced = (with_people - placed_people)[units_district], of_district[units_district]
    return _units(sites, on_list, rank, subs.values[units_sub], unplaced)


def _placement_note(unplaced: tuple[int, int]) -> str:
    """Where a sub-district's sites were placed from, and how many of its district's sites
    with people were not."""
    missing, total = unplaced
    if not missing:
        return f"; sub-district from {SITE_LIST_NAME}"
    return (
        f"; sub-district from {SITE_LIST_NAME}, which lacks {missing} of the district's "
        f"{total} sites (sites with people): at least this many"
    )


def _split_note(units: Units, unit: int, sites: Sites) -> str:
    """Why a unit has no sex/age split: how many sites lack a usable one, and the first."""
    lacking = int(units.lacking[unit])
    if not lacking:
        return ""
    first = units.first_lacking[unit]
    who = sites.code.text(first) or f"row {sites.numbers[first]}"
    more = f"; {lacking - 1} more" if lacking > 1 else ""
    return (
        f"; sex/age split left out: {lacking} of {units.sites[unit]} sites have none usable "
        f"({who}: {sites.split_problem[first]}{more})"
    )


def _values(sums: np.ndarray) -> np.ndarray | list[int]:
    """The figures' values; sums too large for int64 as a list of Python ints, typed (and
    refused) by the figure frame as ever."""
    return sums.tolist() if sums.dtype == object else sums


def _joined(levels: list[Units]) -> Units:
    """The units of every level, one after the other."""
    fields = {
        name: np.concatenate([getattr(level, name) for level in levels])
        for name in ("pcodes", "sites", "lacking", "first_lacking", "codes", "placement", "partial")
    }
    sums = {c: np.concatenate([level.sums[c] for level in levels]) for c in _GROUPS}
    return Units(sums=sums, **fields)


def _figure_columns(
    levels: list[Units], sites: Sites, as_of: pd.Timestamp, ctx: MapContext, url: str
) -> dict[str, object]:
    """The figures of every unit, column by column: its total and, when every site gives
    one, its sex/age split first (a partial sum would undercount: the split is left out,
    the total stays)."""
    units = _joined(levels)
    whole = units.lacking == 0
    per_unit = np.where(whole, len(_GROUPS), 1)
    unit = np.repeat(np.arange(len(whole)), per_unit)
    step = np.arange(len(unit)) - np.repeat(np.cumsum(per_unit) - per_unit, per_unit)
    group = np.where(whole[unit], step, len(_GROUPS) - 1)  # "individual" comes last
    count = len(unit)
    names = _objects(_GROUPS, len(_GROUPS))
    is_total = names[group] == "individual"
    split_notes = _objects((_split_note(units, u, sites) for u in range(len(whole))), len(whole))
    excerpt = (
        "sum of "
        + _objects((str(n) for n in units.sites), len(whole))[unit]
        + " sites' "
        + names[group]
        + f", ISIMM {as_of:%B %Y}"
        + np.where(is_total, split_notes[unit], "")
        + units.placement[unit]
    )
    qualifiers = _objects((Qualifier.MORE_THAN.value, Qualifier.EXACT.value), 2)
    levels_of = _objects((admin_level_of(str(p)) for p in units.pcodes), len(whole))
    sex_of = _objects((s.value if s else None for s, _ in _GROUPS.values()), len(_GROUPS))
    age_of = _objects((a.value if a else None for _, a in _GROUPS.values()), len(_GROUPS))
    columns: dict[str, object] = {
        "source": same(ctx.source, count),
        "dataset": same(ctx.dataset, count),
        "source_url": same(url, count),
        "retrieved_at": same_time(ctx.retrieved_at, count),
        "run_id": same(ctx.run_id, count),
        # The sites' CCCM codes; the 2017 files have none (names only).
        "source_record_id": units.codes[unit],
        "publisher": same(PUBLISHER, count),
        "metric": same(Metric.IDPS.value, count),
        "pcode": units.pcodes[unit],
        "admin_level": levels_of[unit],
        "period_start": same_time(as_of, count),
        "period_end": same_time(as_of, count),
        "value": _values(np.stack([units.sums[c] for c in _GROUPS])[group, unit]),
        "qualifier": qualifiers[np.where(units.partial[unit], 0, 1)],
        "cause": same(Cause.CONFLICT.value, count),
        "sex": sex_of[group],
        "age_group": age_of[group],
        "excerpt": excerpt,
    }
    fill_defaults(columns, count)
    columns["figure_id"] = figure_ids(columns)
    return columns


CONNECTOR = Connector(
    name=NAME,
    title="CCCM Cluster ISIMM: people in IDP sites in north-west Syria, monthly",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
)
