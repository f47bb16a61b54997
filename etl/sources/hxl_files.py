"""The files an HXL import accepts, as rows of text cells: CSV, Excel (.xlsx) and JSON.

Pure functions from bytes to a `Grid`: the hashtag row and the rows below it, each with its
row number in the file (the spreadsheet row: a CSV record, an Excel row, a JSON array item).
What each column means is `etl.sources.hxl`'s business; this module only reads cells.

- Text (CSV, JSON) is UTF-8, or UTF-16/UTF-32 with a byte order mark. Anything else is
  refused with a message asking for UTF-8: a legacy code page cannot be told from another
  with certainty, and mojibake must never load.
- CSV: the delimiter (comma, semicolon or tab) is the one that makes the most hashtags of the
  hashtag row; quoted newlines are fine; a line over `MAX_LINE_CHARS` or a cell over the csv
  module's field limit is refused (a table of figures has neither).
- Excel: the first worksheet with a hashtag row among its first rows; a date-typed cell is
  that date (ISO), a number cell its number. Before opening, the zip's declared sizes are
  checked (`MAX_UNZIPPED_BYTES`, `MAX_UNZIP_RATIO`), so a zip bomb is refused unread.
- JSON: HXL's two JSON forms, an array of arrays (the hashtag row among the first rows) or
  an array of objects keyed by hashtags.
"""

import csv
import datetime as dt
import io
import itertools
import json
import math
import operator
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from etl.errors import HxlError, InputError

HEADER_SEARCH_ROWS = 25
# A physical line longer than this is not a row of figures (csv would build it whole first).
MAX_LINE_CHARS = 1 << 20
# An .xlsx may unzip to at most this much, and no member may unzip more than this ratio.
MAX_UNZIPPED_BYTES = 1 << 30
MAX_UNZIP_RATIO = 500
MAX_ZIP_MEMBERS = 10_000
DELIMITERS = (",", ";", "\t")

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
_SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: CSV UTF-8)"

Row = tuple[int, list[str]]


@dataclass
class Grid:
    """A file's hashtag row and the rows below it, as text cells with their row numbers."""

    tags: list[str]
    body: Iterator[Row]
    # The body all at once, as its row numbers and their cells (read without pairing each
    # row with its number); None to read `body`. Either is read, never both.
    whole: Callable[[], tuple[list[int], list[list[str]]]] | None = None


def body_rows(grid: Grid) -> tuple[list[int], list[list[str]]]:
    """The row numbers and cells of a grid's body, all read."""
    if grid.whole is not None:
        return grid.whole()
    rows = list(grid.body)
    return [number for number, _ in rows], [cells for _, cells in rows]


def find_hashtag_row(records: list[list[str]]) -> int | None:
    """The index of the first record whose non-empty cells are at least half hashtags."""
    for i, record in enumerate(records):
        cells = [c.strip() for c in record if c.strip()]
        if cells and sum(c.startswith("#") for c in cells) >= max(1, len(cells) // 2):
            return i
    return None


def _no_hashtag_row(name: str) -> HxlError:
    return HxlError(
        f"{name}: no row of HXL hashtags (#adm1+code, #date, #affected+idps, ...) "
        f"in the first {HEADER_SEARCH_ROWS} rows"
    )


def _split(
    rows: Iterable[Row], name: str, rest: Callable[[], list[list[str]]] | None = None
) -> Grid:
    """Find the hashtag row among the first rows; the rest is the body.

    `rest` reads the cells of the rows after the first ones at once, numbered on from them.
    """
    rows = iter(rows)
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    if not any(any(c.strip() for c in cells) for _, cells in head):
        raise InputError(f"{name}: the file is empty")
    found = find_hashtag_row([cells for _, cells in head])
    if found is None:
        raise _no_hashtag_row(name)
    first = head[found + 1 :]
    if rest is None:
        return Grid(head[found][1], itertools.chain(first, rows))

    def whole() -> tuple[list[int], list[list[str]]]:
        following = rest()
        start = head[-1][0] + 1
        numbers = [number for number, _ in first] + list(range(start, start + len(following)))
        return numbers, [cells for _, cells in first] + following

    return Grid(head[found][1], itertools.chain(first, rows), whole)


def read_grid(raw: bytes, name: str, usable: Callable[[list[str]], bool] | None = None) -> Grid:
    """Read the bytes of a CSV, .xlsx or JSON file into its hashtag row and rows.

    `usable` says whether a hashtag row has what an import needs: of a workbook's sheets,
    the first with a usable hashtag row is read (else the first with any).
    """
    kind = file_kind(raw, name)
    if kind == "xlsx":
        return xlsx_grid(raw, name, usable)
    if kind == "json":
        return json_grid(raw, name)
    return csv_grid(decode_text(raw, name), name)


def file_kind(raw: bytes, name: str) -> str:
    """`csv`, `xlsx` or `json`: by content where it is certain, else by the file name."""
    lower = name.lower()
    if raw.startswith(b"PK\x03\x04") or lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") or lower.endswith(".xls"):
        raise InputError(f"{name}: an Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV UTF-8")
    if lower.endswith(".json"):
        return "json"
    if not lower.endswith((".csv", ".tsv", ".txt")):
        start = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        if start[:1] in (b"[", b"{"):
            return "json"
    return "csv"


def decode_text(raw: bytes, name: str) -> str:
    """Text of a file: UTF-8 (BOM or not), or UTF-16/32 with a BOM; anything else refused."""
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name}: starts with a {label} byte order mark but byte "
                    f"{exc.start + len(bom)} is not {label}; {_SAVE_AS_UTF8}"
                ) from exc
    if b"\x00" in raw[:4096]:
        raise InputError(
            f"{name}: not a CSV text file (binary content, or UTF-16 without a byte order "
            f"mark); {_SAVE_AS_UTF8}"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not UTF-8 text (byte {exc.start}): a legacy code page such as "
            f"Latin-1 or Windows-1256 cannot be read with certainty; {_SAVE_AS_UTF8}"
        ) from exc


def _lines(text: str, name: str) -> Iterable[str]:
    """Physical lines, each with its newline; a line over MAX_LINE_CHARS is refused."""
    lines = text.split("\n")
    last = lines.pop()
    if max(map(len, lines), default=0) >= MAX_LINE_CHARS or len(last) > MAX_LINE_CHARS:
        return _checked_lines(text, name)
    # No line is too long: each line gets its newline back as the reader takes it.
    return itertools.chain(map(operator.add, lines, itertools.repeat("\n")), [last] if last else [])


def _checked_lines(text: str, name: str) -> Iterator[str]:
    """Physical lines, each with its newline, refusing the first over MAX_LINE_CHARS there."""
    start, size, number = 0, len(text), 0
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        number += 1
        if end - start > MAX_LINE_CHARS:
            raise InputError(
                f"{name}: line {number} is longer than {MAX_LINE_CHARS:,} characters; "
                "not a table of figures"
            )
        yield text[start:end]
        start = end


def sniff_delimiter(text: str) -> str:
    """The delimiter (comma, semicolon or tab) that gives the hashtag row the most hashtags."""
    best, score = ",", 0
    for delimiter in DELIMITERS:
        try:
            head = list(
                itertools.islice(
                    csv.reader(_checked_lines(text, "input"), delimiter=delimiter),
                    HEADER_SEARCH_ROWS,
                )
            )
        except (csv.Error, InputError):
            continue
        found = find_hashtag_row(head)
        if found is None:
            continue
        tags = sum(cell.strip().startswith("#") for cell in head[found])
        if tags > score:
            best, score = delimiter, tags
    return best


# The longest CSV cell read (the csv module's own default); a longer one is refused.
MAX_CSV_CELL = 131_072


def csv_grid(text: str, name: str = "input") -> Grid:
    """Split CSV text (any of the sniffed delimiters) into its hashtag row and rows."""
    if not text.strip():
        raise InputError(f"{name}: the file is empty")
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # old Mac line ends
    # The csv module's cell limit is process-wide and other libraries raise it (libhxl sets
    # it to sys.maxsize on import): a file's cells are held to ours whatever ran before.
    csv.field_size_limit(MAX_CSV_CELL)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(_lines(text, name), delimiter=delimiter)

    def rows() -> Iterator[Row]:
        numbers = itertools.count(1)
        try:
            yield from zip(numbers, reader, strict=False)
        except csv.Error as exc:
            # zip takes the row's number before the reader fails on the row.
            raise _unreadable(name, next(numbers) - 1, exc) from exc

    def rest() -> list[list[str]]:
        try:
            return list(reader)
        except csv.Error as exc:
            raise _unreadable(name, _failing_row(text, name, delimiter), exc) from exc

    return _split(rows(), name, rest)


def _unreadable(name: str, number: int, exc: csv.Error) -> InputError:
    return InputError(f"{name}: row {number}: not readable as CSV ({exc}); not a table of figures")


def _failing_row(text: str, name: str, delimiter: str) -> int:
    """The number of the first row of `text` the csv module cannot read (read again)."""
    number = 0
    try:
        for _record in csv.reader(_lines(text, name), delimiter=delimiter):
            number += 1
    except csv.Error:
        return number + 1
    return number


# --- Excel ------------------------------------------------------------------------------------


def check_zip(raw: bytes, name: str) -> None:
    """Refuse a zip whose declared contents are too big, too many or too compressed."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{name}: not a readable .xlsx workbook (damaged zip: {exc})") from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise InputError(f"{name}: a zip of {len(infos):,} files is not an .xlsx workbook")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise InputError(
            f"{name}: unzips to {total / 2**20:,.0f} MB, over the "
            f"{MAX_UNZIPPED_BYTES / 2**20:,.0f} MB an .xlsx may hold (a zip bomb?); refused unread"
        )
    for info in infos:
        if info.file_size > 1 << 20 and info.file_size > MAX_UNZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise InputError(
                f"{name}: {info.filename} unzips {info.file_size // max(info.compress_size, 1):,} "
                f"times its size (at most {MAX_UNZIP_RATIO} allowed; a zip bomb?); refused unread"
            )
    if not any(i.filename == "xl/workbook.xml" for i in infos):
        raise InputError(f"{name}: a zip file, not an Excel workbook (.xlsx)")


def excel_text(value: object) -> str:
    """An Excel cell's value as the text a CSV of it would hold (dates as ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def xlsx_grid(raw: bytes, name: str, usable: Callable[[list[str]], bool] | None = None) -> Grid:
    """The first worksheet of an .xlsx with a (usable) hashtag row among its first rows."""
    import openpyxl  # only an .xlsx import pays for it

    check_zip(raw, name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # openpyxl raises many kinds; each means the same to the user
        raise InputError(f"{name}: not a readable .xlsx workbook ({_reason(exc)})") from exc
    try:
        rows = _sheet_rows(book, name, usable or (lambda _tags: True))
    except InputError:
        book.close()
        raise
    except (MemoryError, RecursionError):
        book.close()
        raise
    except Exception as exc:
        book.close()
        raise InputError(f"{name}: not a readable .xlsx workbook ({_reason(exc)})") from exc
    return _split(rows, name)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}"


def _sheet_rows(book: Any, name: str, usable: Callable[[list[str]], bool]) -> list[Row]:
    """The rows of the first worksheet with a usable hashtag row (all read, the book closed)."""
    try:
        chosen = None
        for sheet in book.worksheets:
            # Trailing empty cells trimmed: openpyxl pads every row to the sheet's declared
            # dimension, which one stray cell at XFD1048576 makes 16,384 columns wide.
            head = [
                _trimmed([excel_text(v) for v in values])
                for values in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
            ]
            found = find_hashtag_row(head)
            if found is None:
                continue
            if chosen is None or usable(head[found]):
                chosen = (sheet, head, found)
            if usable(head[found]):
                break
        if chosen is None:
            titles = ", ".join(s.title for s in book.worksheets)
            raise HxlError(
                f"{name}: no worksheet ({titles or 'none'}) has a row of HXL hashtags "
                f"(#adm1+code, #date, #affected+idps, ...) in its first {HEADER_SEARCH_ROWS} rows"
            )
        sheet, head, found = chosen
        width = len(head[found])
        rows: list[Row] = [(i + 1, cells) for i, cells in enumerate(head[: found + 1])]
        body = sheet.iter_rows(min_row=found + 2, max_col=width, values_only=True)
        for number, values in enumerate(body, start=found + 2):
            if any(v is not None and v != "" for v in values):  # blank rows are not kept
                rows.append((number, [excel_text(v) for v in values]))
        return rows
    finally:
        book.close()


def _trimmed(cells: list[str]) -> list[str]:
    """`cells` without its trailing empty cells."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


# --- JSON -------------------------------------------------------------------------------------


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKeyError(key)
        seen[key] = value
    return seen


def json_text(value: object, name: str, where: str) -> str:
    """A JSON scalar as cell text; a nested array or object is refused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value).replace("nan", "NaN").replace("inf", "Infinity")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    raise InputError(f"{name}: {where}: a nested array or object where a cell was expected")


def json_grid(raw: bytes, name: str) -> Grid:
    """HXL JSON: an array of arrays (hashtag row among the first), or of hashtag-keyed objects."""
    text = decode_text(raw, name)
    if not text.strip():
        raise InputError(f"{name}: the file is empty")
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError as exc:
        raise InputError(f"{name}: JSON nested too deeply; not a table of figures") from exc
    except _DuplicateKeyError as exc:
        raise InputError(f"{name}: an object has the key {exc.args[0]!r} twice") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except ValueError as exc:  # e.g. a number of more digits than Python converts
        raise InputError(f"{name}: not readable JSON ({str(exc).split(';')[0]})") from exc
    shape = (
        "HXL JSON is an array of arrays (the hashtag row among the first) "
        "or an array of objects keyed by hashtags"
    )
    if not isinstance(data, list):
        kind = {dict: "an object", str: "a string"}.get(type(data), "a single value")
        raise InputError(f"{name}: the JSON is {kind}, not an array; {shape}")
    if not data:
        raise InputError(f"{name}: the file is empty (an empty JSON array)")
    if all(isinstance(item, list) for item in data):
        rows = [
            (i, [json_text(v, name, f"row {i}") for v in item])
            for i, item in enumerate(data, start=1)
        ]
        return _split(rows, name)
    if all(isinstance(item, dict) for item in data):
        return _objects(data, name)
    raise InputError(f"{name}: the JSON array mixes arrays, objects and values; {shape}")


def _objects(data: list[dict[str, object]], name: str) -> Grid:
    keys = list(dict.fromkeys(k for item in data for k in item))
    if not any(k.strip().startswith("#") for k in keys):
        raise HxlError(
            f"{name}: no object key is an HXL hashtag (#adm1+code, #date, #affected+idps, ...)"
        )
    rows = [
        (i, [json_text(item.get(k), name, f"object {i}, key {k!r}") for k in keys])
        for i, item in enumerate(data, start=1)
    ]
    return Grid(keys, iter(rows))
