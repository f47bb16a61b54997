"""The hostile-input corpus: every file an HXL import may be handed, and what it must get.

Each case is a file, committed under `corpus/` when it is small and readable, or made by a
builder below into tmp_path (workbooks, and the big files: the 200 MB file, the zip bombs,
the very long line, the 10,000-deep JSON), and the outcome it must get:

- `Loads`: exit 0; exactly these figures (figure_summary tuples) under the case's dataset;
  exactly these rejections listed (row, column, words of the reason); `texts` checks stored
  text columns (an Arabic publisher read right, a quoted newline kept).
- `Fails`: exit 1; one stderr line `error: ...` containing `words`; the rejections listed,
  if any; the store exactly as it was (every row of `figures`), the run recorded as failed.

`limited` cases run in a subprocess under RLIMIT_AS and a timeout (tests/hostile/test_corpus.py).
"""

import datetime as dt
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

CORPUS = Path(__file__).resolve().parent / "corpus"
AR = "وحدة تنسيق الدعم"  # Assistance Coordination Unit: an Arabic publisher name
TAGS = ["#adm1+code", "#date", "#affected+idps", "#meta+source"]
TEXT_ROWS = [["SY07", "2020-01-28", "1,000", AR], ["SY02", "2020-01-28", "2,000", AR]]

Figure = tuple[object, ...]


def fig(pcode: str, value: int, qualifier: str = "exact", date: str = "2020-01-28") -> Figure:
    """An idps stock as `figure_summary` gives it."""
    level = {2: 0, 4: 1, 6: 2, 8: 3}[len(pcode)]
    return (pcode, "idps", value, qualifier, level, None, date, date)


TWO = frozenset({fig("SY07", 1000), fig("SY02", 2000)})


@dataclass(frozen=True)
class Loads:
    """The file loads these figures, listing these rejections."""

    figures: frozenset[Figure]
    rejected: tuple[tuple[int, str, str], ...] = ()
    texts: dict[str, frozenset[str]] = field(default_factory=dict)
    stdout: str = ""


@dataclass(frozen=True)
class Fails:
    """The file loads nothing: one `error:` line with `words`, these rejections listed."""

    words: str
    rejected: tuple[tuple[int, str, str], ...] = ()


Maker = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    """One hostile input and the outcome it must get."""

    name: str
    file: str | Maker
    outcome: Loads | Fails
    env: dict[str, str] = field(default_factory=dict)
    limited: bool = False  # run in a subprocess with memory and time limits

    def path(self, tmp_path: Path) -> Path:
        """The input file: from the corpus, or built under tmp_path."""
        if isinstance(self.file, str):
            return CORPUS / self.file
        tmp_path.mkdir(parents=True, exist_ok=True)
        return self.file(tmp_path)


ALL_REJECTED = {"ETL_MAX_REJECTED_SHARE": "1"}
NUMBER = "#affected+idps"
DATE = "#date+reported"
ISO = "YYYY-MM-DD"


# --- builders ---------------------------------------------------------------------------------


def workbook(tmp_path: Path, name: str, sheets: dict[str, list[list[object]]]) -> Path:
    """An .xlsx with these sheets and typed cells, as openpyxl writes it."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _xlsx(name: str, sheets: dict[str, list[list[object]]]) -> Maker:
    return lambda tmp_path: workbook(tmp_path, name, sheets)


def empty_workbook(tmp_path: Path) -> Path:
    """A workbook of one empty sheet."""
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    return path


def zip_bomb(tmp_path: Path) -> Path:
    """A real workbook whose sheet was swapped for 1.1 GB of empty rows (about 1 MB zipped)."""
    real = workbook(tmp_path, "real.xlsx", {"Data": [TAGS, *TEXT_ROWS]})
    path = tmp_path / "report.xlsx"
    sheet = "xl/worksheets/sheet1.xml"
    with (
        zipfile.ZipFile(real) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for info in source.infolist():
            if info.filename != sheet:
                bomb.writestr(info.filename, source.read(info.filename))
        with bomb.open(sheet, "w", force_zip64=True) as member:
            member.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/')
            member.write(b'2006/main"><sheetData>')
            chunk = b"<row/>" * (1 << 22)
            for _ in range(46):  # 46 x 24 MiB
                member.write(chunk)
            member.write(b"</sheetData></worksheet>")
    return path


def far_cell(tmp_path: Path) -> Path:
    """A workbook of two figures and one stray cell at the sheet's last row and column."""
    path = workbook(tmp_path, "far.xlsx", {"Data": [TAGS, *TEXT_ROWS]})
    book = openpyxl.load_workbook(path)
    book["Data"]["XFD1048576"] = "stray"
    book.save(path)
    return path


def ratio_bomb(tmp_path: Path) -> Path:
    """A .xlsx whose shared strings unzip 1,000 times their size (40 MB of one byte)."""
    path = tmp_path / "ratio.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/sharedStrings.xml", b"a" * (40 << 20))
    return path


def forged_sizes(tmp_path: Path) -> Path:
    """A real workbook whose sheet's declared sizes were edited down to 100 bytes."""
    path = workbook(tmp_path, "forged.xlsx", {"Data": [TAGS, *TEXT_ROWS] * 2000})
    raw = bytearray(path.read_bytes())
    target = b"xl/worksheets/sheet1.xml"
    # Local header: uncompressed size at offset 22; central directory entry: at offset 24.
    start = 0
    while (at := raw.find(target, start)) >= 0:
        if raw[at - 30 : at - 26] == b"PK\x03\x04":
            struct.pack_into("<I", raw, at - 30 + 22, 100)
        elif raw[at - 46 : at - 42] == b"PK\x01\x02":
            struct.pack_into("<I", raw, at - 46 + 24, 100)
        start = at + 1
    path.write_bytes(bytes(raw))
    return path


def zip_not_workbook(tmp_path: Path) -> Path:
    """A zip of a CSV, named .xlsx."""
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("figures.csv", "#adm1+code,#date,#affected+idps\nSY07,2020-01-28,5\n")
    return path


def deep_json(tmp_path: Path) -> Path:
    """A JSON array nested 10,000 deep."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    return path


def long_cell(tmp_path: Path) -> Path:
    """A CSV whose second row has a 200,000-character cell (csv's field limit is 131,072)."""
    path = tmp_path / "long_cell.csv"
    text = ",".join(TAGS) + "\r\nSY07,2020-01-28,5," + "x" * 200_000 + "\r\n"
    path.write_text(text, encoding="utf-8")
    return path


def one_long_line(tmp_path: Path) -> Path:
    """50 MB of cells on one line, no line end."""
    path = tmp_path / "one_line.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(TAGS[:3]) + ",")
        chunk = "SY07,2020-01-28,5," * 10_000
        for _ in range((50 << 20) // len(chunk)):
            handle.write(chunk)
    return path


def big_file(tmp_path: Path) -> Path:
    """A 200 MB HXL CSV of good rows (over the default ETL_MAX_INPUT_MB of 100)."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(TAGS[:3]) + "\r\n")
        chunk = "SY07,2020-01-28,1000\r\n" * 50_000
        for _ in range((200 << 20) // len(chunk) + 1):
            handle.write(chunk)
    return path


def small_limit(tmp_path: Path) -> Path:
    """A 60 KB good file, for a case that sets ETL_MAX_INPUT_MB=0.05."""
    path = tmp_path / "sixty_kb.csv"
    lines = [",".join(TAGS[:3])]
    day = dt.date(2000, 1, 1)
    while sum(len(line) + 2 for line in lines) < 60_000:
        lines.append(f"SY07,{day.isoformat()},1000")
        day += dt.timedelta(days=1)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


WIDE_ROWS = 300
WIDE_DAYS = [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(WIDE_ROWS)]


def wide_file(tmp_path: Path) -> Path:
    """16,384 columns (Excel's widest), three of them used, 300 rows: about 10 MB."""
    path = tmp_path / "wide.csv"
    unused = 16_384 - 3
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(TAGS[:3] + [f"#x{i}" for i in range(unused)]) + "\r\n")
        tail = ",1" * unused
        for day in WIDE_DAYS:
            handle.write(f"SY07,{day.isoformat()},5{tail}\r\n")
    return path


D28 = dt.datetime(2020, 1, 28)

# NaN (any case) is how pandas and Python write a missing number: an empty cell, not refused.
CSV_NUMBER_REJECTIONS = (
    (4, NUMBER, "ambiguous: a dot may group thousands"),
    (9, NUMBER, "leave the cell empty"),
    (10, "value", "negative number"),
    (11, NUMBER, "scientific notation"),
    (13, NUMBER, "too large for a count of people"),
)

# --- the manifest -----------------------------------------------------------------------------

CASES: list[Case] = [
    # CSV: structure
    Case("csv-empty", "empty.csv", Fails("the file is empty")),
    Case("csv-blank-lines", "blank_lines.csv", Fails("the file is empty")),
    Case("csv-header-only", "header_only.csv", Fails("no figures in the response")),
    Case("csv-no-hxl-row", "no_hxl_row.csv", Fails("no row of HXL hashtags")),
    Case(
        "csv-duplicate-tag", "duplicate_tag.csv", Fails("columns 3 and 4 are both #affected+idps")
    ),
    Case(
        "csv-same-meaning",
        "same_meaning.csv",
        Fails("columns 2 (#date) and 3 (#date+reported) mean the same"),
    ),
    Case(
        "csv-quoted-newlines",
        "quoted_newlines.csv",
        Loads(
            frozenset({*TWO, fig("SY07", 3000, date="2020-01-29")}),
            rejected=((7, NUMBER, "not a whole number"),),
            texts={
                "excerpt": frozenset(
                    {"more than 1,000 people\nfled Ma'arrat al-Numan", "line one\r\nline two"}
                )
            },
        ),
    ),
    Case("csv-cr-line-ends", "cr_line_ends.csv", Loads(TWO, texts={"publisher": frozenset({AR})})),
    # CSV: encodings
    Case("csv-utf8-bom", "utf8_bom.csv", Loads(TWO, texts={"publisher": frozenset({AR})})),
    Case("csv-utf16-le-bom", "utf16_le_bom.csv", Loads(TWO, texts={"publisher": frozenset({AR})})),
    Case("csv-utf16-be-bom", "utf16_be_bom.csv", Loads(TWO, texts={"publisher": frozenset({AR})})),
    Case("csv-utf16-no-bom", "utf16_no_bom.csv", Fails("UTF-16 without a byte order mark")),
    Case("csv-latin1", "latin1.csv", Fails("save it as UTF-8")),
    Case("csv-windows-1256", "windows1256.csv", Fails("save it as UTF-8")),
    Case("csv-binary", "binary.csv", Fails("binary content")),
    Case("csv-xls-inside", "xls_disguised.csv", Fails("Excel 97-2003 (.xls)")),
    # CSV: delimiters
    Case("csv-semicolon", "semicolon.csv", Loads(TWO, texts={"publisher": frozenset({AR})})),
    Case("csv-tab", "tab.tsv", Loads(TWO)),
    Case("csv-tab-named-csv", "tab_named_csv.csv", Loads(TWO)),
    Case(
        "csv-semicolon-decimal-comma",
        "semicolon_decimal_comma.csv",
        Fails("every figure was rejected", rejected=((2, NUMBER, "not a whole number"),)),
    ),
    # cells
    Case(
        "csv-numbers",
        "numbers.csv",
        Loads(
            frozenset(
                {
                    fig("SY07", 1000, date="2020-01-01"),
                    fig("SY07", 1000, date="2020-01-02"),
                    fig("SY07", 1000, "more_than", date="2020-01-04"),
                    fig("SY07", 3_000_000, "approximately", date="2020-01-05"),
                    fig("SY07", 3_000_000, date="2020-01-06"),
                }
            ),
            rejected=CSV_NUMBER_REJECTIONS,
        ),
        env=ALL_REJECTED,
    ),
    Case(
        "csv-5000-digits",
        "huge_digits.csv",
        Loads(
            frozenset(
                {
                    fig("SY07", 1000),
                    fig("SY07", 2000, date="2020-01-29"),
                    fig("SY07", 3000, date="2020-01-30"),
                }
            ),
            rejected=((3, NUMBER, "too large for a count of people"),),
        ),
    ),
    Case(
        "csv-numbers-over-the-share",
        "numbers.csv",
        Fails(
            "5 of 12 records rejected (42% > 25% allowed); nothing loaded",
            rejected=CSV_NUMBER_REJECTIONS,
        ),
    ),
    Case(
        "csv-dates",
        "dates.csv",
        Loads(
            frozenset({fig("SY07", 100)}),
            rejected=(
                (3, DATE, ISO),
                (4, DATE, ISO),
                (5, DATE, ISO),
                (6, DATE, ISO),
                (7, NUMBER, "a stock needs #date"),
                (8, DATE, "no such date"),
                (9, DATE, ISO),
            ),
        ),
        env=ALL_REJECTED,
    ),
    Case(
        "csv-pcodes",
        "pcodes.csv",
        Loads(
            frozenset({fig("SY07", 100), fig("SY02", 200), fig("SY070003", 300)}),
            rejected=((5, "pcode", "not in the gazetteer"), (6, "pcode", "not in the gazetteer")),
        ),
        env=ALL_REJECTED,
    ),
    # CSV: size
    Case("csv-long-cell", long_cell, Fails("field larger than field limit")),
    Case(
        "csv-one-long-line",
        one_long_line,
        Fails("line 1 is longer than 1,048,576 characters"),
        limited=True,
    ),
    Case(
        "csv-16384-columns",
        wide_file,
        Loads(
            frozenset(fig("SY07", 5, date=day.isoformat()) for day in WIDE_DAYS),
            stdout="ignored columns: "
            + ", ".join(f"#x{i}" for i in range(20))
            + " and 16,361 more",
        ),
        limited=True,
    ),
    Case("csv-200mb", big_file, Fails("over the 100 MB limit (ETL_MAX_INPUT_MB)"), limited=True),
    Case(
        "csv-200mb-limit-raised",
        big_file,
        Fails("MB of memory to load and"),
        env={"ETL_MAX_INPUT_MB": "300"},
        limited=True,
    ),
    Case(
        "csv-over-a-set-limit",
        small_limit,
        Fails("over the 0.05 MB limit (ETL_MAX_INPUT_MB)"),
        env={"ETL_MAX_INPUT_MB": "0.05"},
    ),
    # Excel
    Case(
        "xlsx-typed-cells",
        _xlsx(
            "typed.xlsx", {"Data": [TAGS, ["SY07", D28, 1000, AR], ["SY02", D28.date(), 2000, AR]]}
        ),
        Loads(TWO, texts={"publisher": frozenset({AR})}),
    ),
    Case("xlsx-text-cells", _xlsx("text.xlsx", {"Data": [TAGS, *TEXT_ROWS]}), Loads(TWO)),
    Case(
        "xlsx-second-sheet-below-titles",
        _xlsx(
            "second.xlsx",
            {
                "Read me": [["Figures are on the next sheet"], ["#not a table"]],
                "Data": [
                    ["IDPs, January 2020"],
                    TAGS,
                    ["SY07", D28, 1000, AR],
                    ["SY02", D28, 2000, AR],
                    ["SY07", dt.datetime(2020, 1, 29), 3000, AR],
                    [],
                    ["SY02", dt.datetime(2020, 1, 29), "lots", AR],
                ],
            },
        ),
        Loads(
            frozenset({*TWO, fig("SY07", 3000, date="2020-01-29")}),
            rejected=((7, NUMBER, "not a whole number"),),
        ),
    ),
    Case(
        "xlsx-dates",
        _xlsx(
            "dates.xlsx",
            {
                "Data": [
                    ["#adm1+code", "#date", "#affected+idps"],
                    ["SY07", D28, 100],
                    ["SY02", 43858, 101],
                    ["SY07", "28/01/2020", 102],
                    ["SY02", dt.datetime(2020, 1, 29, 10, 30), 103],
                    ["SY07", None, 104],
                    ["SY02", "2020-01", 105],
                ]
            },
        ),
        Loads(
            frozenset({fig("SY07", 100), fig("SY02", 103, date="2020-01-29")}),
            rejected=(
                (3, DATE, ISO),
                (4, DATE, ISO),
                (6, NUMBER, "a stock needs #date"),
                (7, DATE, ISO),
            ),
        ),
        env=ALL_REJECTED,
    ),
    Case(
        "xlsx-numbers",
        _xlsx(
            "numbers.xlsx",
            {
                "Data": [
                    ["#adm1+code", "#date", "#affected+idps"],
                    ["SY07", "2020-01-01", 1000],
                    ["SY07", "2020-01-02", 2500.0],
                    ["SY07", "2020-01-03", 3.7],
                    ["SY07", "2020-01-04", "1,000+"],
                    ["SY07", "2020-01-05", -5],
                    ["SY07", "2020-01-06", "~3M"],
                    ["SY07", "2020-01-07", True],
                    ["SY07", "2020-01-08", "1.000"],
                ]
            },
        ),
        Loads(
            frozenset(
                {
                    fig("SY07", 1000, date="2020-01-01"),
                    fig("SY07", 2500, date="2020-01-02"),
                    fig("SY07", 1000, "more_than", date="2020-01-04"),
                    fig("SY07", 3_000_000, "approximately", date="2020-01-06"),
                }
            ),
            rejected=(
                (4, NUMBER, "not a whole number"),
                (6, "value", "negative number"),
                (8, NUMBER, "not a whole number"),
                (9, NUMBER, "ambiguous"),
            ),
        ),
        env=ALL_REJECTED,
    ),
    Case(
        "xlsx-no-hxl-row",
        _xlsx("titles.xlsx", {"Data": [["Governorate", "As of", "IDPs"], ["SY07", D28, 5]]}),
        Fails("no worksheet (Data) has a row of HXL hashtags"),
    ),
    Case("xlsx-empty", empty_workbook, Fails("no worksheet (Sheet) has a row of HXL hashtags")),
    Case(
        "xlsx-header-only",
        _xlsx("header.xlsx", {"Data": [TAGS]}),
        Fails("no figures in the response"),
    ),
    Case(
        "xlsx-duplicate-tag",
        _xlsx("dup.xlsx", {"Data": [[*TAGS, "#affected+idps"], ["SY07", D28, 5, AR, 6]]}),
        Fails("columns 3 and 5 are both #affected+idps"),
    ),
    Case("xlsx-far-stray-cell", far_cell, Loads(TWO), limited=True),
    Case("xlsx-not-a-zip", "not_a_zip.xlsx", Fails("damaged zip")),
    Case("xlsx-zip-of-a-csv", zip_not_workbook, Fails("a zip file, not an Excel workbook")),
    Case("xlsx-zip-bomb", zip_bomb, Fails("a zip bomb?); refused unread"), limited=True),
    Case("xlsx-ratio-bomb", ratio_bomb, Fails("times its size"), limited=True),
    Case("xlsx-forged-sizes", forged_sizes, Fails("not a readable .xlsx workbook"), limited=True),
    # JSON
    Case("json-arrays", "arrays.json", Loads(TWO, texts={"publisher": frozenset({AR})})),
    Case("json-objects", "objects.json", Loads(TWO, stdout="ignored columns: note")),
    Case("json-utf16-bom", "objects_utf16.json", Loads(TWO, texts={"publisher": frozenset({AR})})),
    Case(
        "json-numbers",
        "numbers.json",
        Loads(
            frozenset(
                {fig("SY07", 1000, date="2020-01-01"), fig("SY07", 10**9, date="2020-01-02")}
            ),
            rejected=(
                (4, NUMBER, "scientific notation"),
                (6, "value", "negative number"),
                (7, NUMBER, "not a whole number"),
                (9, NUMBER, "too large"),
                (10, NUMBER, "not a whole number"),
            ),
        ),
        env=ALL_REJECTED,
    ),
    Case("json-5000-digits", "huge_digits.json", Fails("not readable JSON (Exceeds the limit")),
    Case("json-empty", "empty.json", Fails("the file is empty")),
    Case("json-empty-array", "empty_array.json", Fails("the file is empty")),
    Case("json-header-only", "header_only.json", Fails("no figures in the response")),
    Case("json-no-hxl-row", "no_hxl_row.json", Fails("no row of HXL hashtags")),
    Case(
        "json-object-at-top", "top_level_object.json", Fails("the JSON is an object, not an array")
    ),
    Case("json-invalid", "invalid.json", Fails("not valid JSON (line 2")),
    Case("json-nested-cell", "nested_cell.json", Fails("row 2: a nested array or object")),
    Case("json-duplicate-key", "duplicate_key.json", Fails("the key '#affected+idps' twice")),
    Case("json-no-hashtag-keys", "objects_no_hashtags.json", Fails("no object key is an HXL")),
    Case("json-mixed-array", "mixed_array.json", Fails("mixes arrays, objects and values")),
    Case("json-duplicate-tag", "duplicate_tag.json", Fails("are both #affected+idps")),
    Case("json-10000-deep", deep_json, Fails("JSON nested too deeply"), limited=True),
]
