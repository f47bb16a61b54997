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
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from etl.errors import InputError, SourceFormatError
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
    figure_record,
    numbered_records,
)
from etl.sources.hxl_files import check_zip, excel_text
from etl.transport import HttpClient
from schemas.enums import AgeGroup, Cause, Metric, Qualifier, Sex
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

Row = tuple[int, list[str]]  # the row's number in the file (header row 1), its cells


def _decode(body: bytes, name: str) -> str:
    if body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{NAME}: {name}: HTML where a CSV was expected")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older months carry Arabic site names in Windows-1256.
        return body.decode("cp1256", errors="replace")


def _csv_rows(body: bytes, name: str) -> Iterator[Row]:
    """The records of a CSV month, numbered from 1; a line with no cells at all is skipped."""
    # strict: a stray or unclosed quote is an error, not a row that swallows the next ones.
    reader = csv.reader(io.StringIO(_decode(body, name), newline=""), strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if cells:
                yield number, cells
    except csv.Error as exc:
        raise SourceFormatError(
            f"{NAME}: {name}: row {number + 1}: not readable as CSV ({exc})"
        ) from None


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


def _find_table(rows: Iterable[Row]) -> tuple[list[str], Iterator[Row]] | None:
    """The header row among the first rows and the rows under it; None when there is none."""
    rows = iter(rows)
    for _ in range(HEADER_SEARCH_ROWS):
        first = next(rows, None)
        if first is None:
            return None
        if _is_header(first[1]):
            return first[1], rows
    return None


def _missing(header: list[str]) -> str:
    have = {_key(c) for c in header}
    return ", ".join(c for c in REQUIRED_COLUMNS if _key(c) not in have)


def _csv_table(body: bytes, name: str) -> tuple[list[str], list[Row]]:
    rows = list(_csv_rows(body, name))
    if not rows:
        raise SourceFormatError(f"{NAME}: {name}: the file is empty")
    found = _find_table(rows)
    if found is None:
        raise SourceFormatError(f"{NAME}: {name}: field(s) {_missing(rows[0][1])} missing")
    return found[0], list(found[1])


def _xlsx_table(body: bytes, name: str) -> tuple[list[str], list[Row]]:
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


def _sheet_table(sheet: Any) -> tuple[list[str], list[Row]] | None:
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
        rows = [
            (row, [excel_text(v) for v in values])
            for row, values in enumerate(body, start=number + 1)
            # An empty spreadsheet row is no published row (openpyxl pads to the extent).
            if any(v is not None and str(v).strip() for v in values)
        ]
        return cells, rows
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
        header, rows = _xlsx_table(fetched.body, fetched.name)
    else:
        header, rows = _csv_table(fetched.body, fetched.name)
    if not rows:
        raise SourceFormatError(f"{NAME}: {fetched.name}: no site rows")
    columns = _columns(header, fetched.name)
    frame = pd.DataFrame(
        {
            name: pd.Series(
                [_cell(cells, position) for _, cells in rows], dtype="str", index=range(len(rows))
            )
            for name, position in columns.items()
        }
    )
    frame.index = pd.Index([number for number, _ in rows])
    try:
        IsimmSiteModel.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        raise SourceFormatError(
            f"{NAME}: {fetched.name}: field {first['column']}: {first['check']}"
        ) from exc
    return Records(frame, publication(as_of), fetched.name, supersedes=(fetched.name,), as_of=as_of)


def _cell(cells: list[str], position: int) -> str | None:
    """A cell as published; an empty cell, or one beyond a short row's end, is missing."""
    text = cells[position] if position < len(cells) else ""
    return text if text.strip() else None


# --- mapping: sites to district and governorate totals -----------------------------------------


@dataclass(frozen=True)
class Site:
    """One accepted site row: where, its published total, and its split if usable."""

    governorate: str
    district: str
    code: str | None
    individual: int
    split: dict[str, int] | None  # None: left out, for `split_problem`
    split_problem: str = ""


def _place(record: dict[str, object], known: dict[tuple[str, str], str]) -> tuple[str, str]:
    """(governorate P-code, district P-code) of a site row, from the spellings table."""
    gov_text, dist_text = record.get("governorate"), record.get("district")
    gov, dist = _key(gov_text), _key(dist_text)
    if not dist:
        # Most often the governorate is empty too (22 such rows in January 2020).
        raise Refused("district", RejectionCode.PLACE_MATCH, "no district")
    if not gov:
        # The same district name may exist in two governorates: never picked without one.
        raise Refused("governorate", RejectionCode.PLACE_MATCH, "no governorate", dist_text)
    governorate = known.get((gov, ""))
    if governorate is None:
        reason = f"governorate {gov_text!r} matches no known spelling"
        raise Refused("governorate", RejectionCode.PLACE_MATCH, reason, gov_text)
    district = known.get((gov, dist))
    if district is None:
        reason = f"district {dist_text!r} matches no known spelling"
        raise Refused("district", RejectionCode.PLACE_MATCH, reason, dist_text)
    return governorate, district


def _whole(cell: object) -> int | None:
    """A published whole number, or None when the cell is not one (blank, decimal, text)."""
    match = _WHOLE.match(cell.strip()) if isinstance(cell, str) else None
    return int(match.group(1)) if match else None


def _individual(record: dict[str, object]) -> int:
    """The site's published total; a row without one is refused (its people are unknown)."""
    cell = record.get("individual")
    if not isinstance(cell, str) or not cell.strip():
        raise Refused("individual", RejectionCode.NUMBER_FORMAT, "no count of people")
    value = _whole(cell)
    if value is None:
        raise Refused(
            "individual", RejectionCode.NUMBER_FORMAT, "not a whole number of people", cell
        )
    return value


def _split(record: dict[str, object], individual: int) -> tuple[dict[str, int] | None, str]:
    """The site's girls/boys/women/men, or None and why the split cannot be used.

    The split is a breakdown of the total: when any part is blank, in decimals (an
    estimate) or not a number, or every part is 0 for a site with people (a placeholder:
    January 2018 writes 0,0,0,0 beside 424), it is left out and the total still counts.
    Parts that are whole numbers are taken as published even where they do not add up to
    the total exactly (2017 has sites one person off).
    """
    split: dict[str, int] = {}
    for column in SPLIT_COLUMNS:
        cell = record.get(column)
        text = cell.strip() if isinstance(cell, str) else ""
        value = _whole(text)
        if value is None:
            if not text:
                return None, f"{column} blank"
            if _DECIMAL.match(text):
                return None, f"{column} {text} (decimals, an estimate)"
            return None, f"{column} {text!r} (not a number)"
        split[column] = value
    if individual > 0 and not any(split.values()):
        return None, f"girls, boys, women and men all 0 beside {individual} people"
    return split, ""


def _site(record: dict[str, object], known: dict[tuple[str, str], str]) -> Site:
    """One site row read, or Refused with the column and value at fault."""
    governorate, district = _place(record, known)
    individual = _individual(record)
    split, problem = _split(record, individual)
    code = record.get("PCODE")
    code = code.strip() if isinstance(code, str) and code.strip() else None
    return Site(governorate, district, code, individual, split, problem)


def _plain(record: dict[str, object]) -> dict[str, object]:
    """A row as its rejection records it: published headers, missing cells as None."""
    return {k: (None if pd.isna(v) else v) for k, v in record.items() if k}


def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """People in sites per governorate, district and sub-district as of the month's end."""
    del places  # names go through the spellings table; the validator checks the codes
    known = spellings()
    raw = served.frame
    as_of = pd.Timestamp(served.as_of or month_end(served.name))
    url = ctx.source_url or DEFAULT_BASE + served.name
    rejections: list[Rejection] = []
    sites: list[tuple[int, Site]] = []
    for number, record in numbered_records(raw):
        try:
            sites.append((number, _site(record, known)))
        except Refused as refused:
            rejections.append(refused.rejection(number, _plain(record)))
    records: list[dict[str, object]] = []
    for level in ("governorate", "district"):
        groups: dict[str, list[tuple[int, Site]]] = {}
        for number, site in sites:
            groups.setdefault(getattr(site, level), []).append((number, site))
        for pcode, members in sorted(groups.items()):
            records += _unit_figures(pcode, members, as_of, ctx, url)
    records += _subdistrict_figures(sites, site_subdistricts(), as_of, ctx, url)
    # A figure sums many rows: it names no single upstream row.
    return MappedFigures(to_figure_frame(records), [0] * len(records), rejections, [], len(raw))


def _subdistrict_figures(
    sites: list[tuple[int, Site]],
    placed: dict[str, tuple[str, str]],
    as_of: pd.Timestamp,
    ctx: MapContext,
    url: str,
) -> list[dict[str, object]]:
    """People in sites per sub-district, district by district, from CCCM's site list.

    Where some sites of a district are not on the list, each of its sub-districts counts
    only the sites known to be there: "more than", with how many of the district's sites
    are unplaced, never a guess at where those are.
    """
    by_district: dict[str, list[tuple[int, Site]]] = {}
    for number, site in sites:
        by_district.setdefault(site.district, []).append((number, site))
    out: list[dict[str, object]] = []
    for district, members in sorted(by_district.items()):
        groups: dict[str, list[tuple[int, Site]]] = {}
        for number, site in members:
            spot = placed.get(site.code) if site.code else None
            if spot is not None and spot[0] == district:
                groups.setdefault(spot[1], []).append((number, site))
        # A site with nobody in it changes no sub-district's total, placed or not.
        unplaced = sum(site.individual > 0 for _, site in members) - sum(
            site.individual > 0 for parts in groups.values() for _, site in parts
        )
        for pcode, parts in sorted(groups.items()):
            out += _unit_figures(pcode, parts, as_of, ctx, url, (unplaced, len(members)))
    return out


def _placement_note(unplaced: tuple[int, int] | None) -> str:
    """Where a sub-district's sites were placed from, and how many of its district's sites
    with people were not."""
    if unplaced is None:
        return ""
    missing, total = unplaced
    if not missing:
        return f"; sub-district from {SITE_LIST_NAME}"
    return (
        f"; sub-district from {SITE_LIST_NAME}, which lacks {missing} of the district's "
        f"{total} sites (sites with people): at least this many"
    )


def _split_note(members: list[tuple[int, Site]]) -> str:
    """Why a unit has no sex/age split: how many sites lack a usable one, and the first."""
    lacking = [(n, s) for n, s in members if s.split is None]
    if not lacking:
        return ""
    number, first = lacking[0]
    who = first.code or f"row {number}"
    more = f"; {len(lacking) - 1} more" if len(lacking) > 1 else ""
    return (
        f"; sex/age split left out: {len(lacking)} of {len(members)} sites have none usable "
        f"({who}: {first.split_problem}{more})"
    )


def _unit_figures(
    pcode: str,
    members: list[tuple[int, Site]],
    as_of: pd.Timestamp,
    ctx: MapContext,
    url: str,
    unplaced: tuple[int, int] | None = None,
) -> list[dict[str, object]]:
    """The total of one admin unit and, when every site gives one, its sex/age split.

    `unplaced` is, for a sub-district, how many of its district's sites are on no
    sub-district, and how many sites the district has.
    """
    codes = sorted({s.code for _, s in members if s.code})
    whole_split = all(s.split is not None for _, s in members)
    month = f"ISIMM {as_of:%B %Y}"
    out = []
    for column, (sex, age) in _GROUPS.items():
        if column != "individual" and not whole_split:
            continue  # a partial sum would undercount: the split is left out, the total stays
        value = sum(
            s.individual if column == "individual" else (s.split or {})[column] for _, s in members
        )
        excerpt = f"sum of {len(members)} sites' {column}, {month}"
        if column == "individual":
            excerpt += _split_note(members)
        excerpt += _placement_note(unplaced)
        partial = unplaced is not None and unplaced[0] > 0
        record = figure_record(
            ctx,
            # The sites' CCCM codes; the 2017 files have none (names only).
            source_record_id=";".join(codes) or None,
            publisher=PUBLISHER,
            metric=Metric.IDPS.value,
            pcode=pcode,
            period_start=as_of,
            period_end=as_of,
            value=value,
            qualifier=(Qualifier.MORE_THAN if partial else Qualifier.EXACT).value,
            cause=Cause.CONFLICT.value,
            sex=sex.value if sex else None,
            age_group=age.value if age else None,
            excerpt=excerpt,
            source_url=url,
        )
        out.append(record)
    return out


CONNECTOR = Connector(
    name=NAME,
    title="CCCM Cluster ISIMM: people in IDP sites in north-west Syria, monthly",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
)
