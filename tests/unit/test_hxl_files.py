"""Reading each accepted format's bytes into rows of text cells (etl/sources/hxl_files.py).

The end-to-end outcomes of hostile files are in tests/hostile; these pin the pure pieces.
"""

import datetime as dt
import io
import zipfile

import pytest

from etl.errors import HxlError, InputError
from etl.sources.hxl_files import (
    MAX_UNZIP_RATIO,
    check_zip,
    csv_grid,
    decode_text,
    excel_text,
    file_kind,
    json_grid,
    json_text,
    read_grid,
    sniff_delimiter,
)

TEXT = '#adm1+code,#date,#affected+idps\r\nSY07,2020-01-28,"1,000"\r\n'


@pytest.mark.parametrize(
    ("raw", "name", "kind"),
    [
        (b"PK\x03\x04rest", "upload", "xlsx"),
        (b"anything", "book.XLSX", "xlsx"),
        (b"[[1]]", "data.json", "json"),
        (b'  [["#adm1+code"]]', "download", "json"),
        (b"\xef\xbb\xbf{}", "download", "json"),
        (b"[Draft] title,\r\n", "figures.csv", "csv"),
        (TEXT.encode(), "figures", "csv"),
    ],
)
def test_file_kind_by_content_then_name(raw: bytes, name: str, kind: str) -> None:
    assert file_kind(raw, name) == kind


def test_file_kind_refuses_old_excel() -> None:
    with pytest.raises(InputError, match=r"\.xls\) workbook; save it as \.xlsx"):
        file_kind(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "book.csv")


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_decode_text_reads_unicode_with_a_byte_order_mark(codec: str) -> None:
    raw = "#meta+source\r\nمعرة النعمان\r\n".encode(codec)
    if codec == "utf-16-be":
        raw = b"\xfe\xff" + raw
    assert decode_text(raw, "f.csv") == "#meta+source\r\nمعرة النعمان\r\n"


@pytest.mark.parametrize("codec", ["latin-1", "cp1256"])
def test_decode_text_refuses_legacy_code_pages(codec: str) -> None:
    raw = "#meta+source\r\nMa'arrat Nu'mân معرة\r\n".encode(codec, errors="ignore")
    with pytest.raises(InputError, match="save it as UTF-8") as info:
        decode_text(raw, "f.csv")
    assert str(info.value).startswith("f.csv: not UTF-8 text (byte ")


def test_decode_text_refuses_utf16_without_a_byte_order_mark() -> None:
    with pytest.raises(InputError, match="UTF-16 without a byte order mark"):
        decode_text("#adm1+code\r\n".encode("utf-16-le"), "f.csv")


def test_a_false_byte_order_mark_is_refused() -> None:
    with pytest.raises(InputError, match="UTF-16 byte order mark but byte"):
        decode_text(b"\xff\xfe\x00\xd8", "f.csv")  # a lone surrogate


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        (TEXT, ","),
        (TEXT.replace(",", ";").replace('"1;000"', "1000"), ";"),
        (TEXT.replace(",", "\t").replace('"1\t000"', "1000"), "\t"),
        ("Title; with a semicolon\r\n" + TEXT, ","),
        ("#adm1+code\r\nSY07\r\n", ","),
    ],
)
def test_sniff_delimiter_picks_the_one_that_makes_the_most_hashtags(
    text: str, delimiter: str
) -> None:
    assert sniff_delimiter(text) == delimiter


def test_csv_grid_keeps_quoted_newlines_in_one_row() -> None:
    grid = csv_grid('#adm1+code,#meta+excerpt\r\nSY07,"two\r\nlines"\r\nSY02,x\r\n', "f.csv")
    assert grid.tags == ["#adm1+code", "#meta+excerpt"]
    assert list(grid.body) == [(2, ["SY07", "two\r\nlines"]), (3, ["SY02", "x"])]


def test_csv_grid_reads_old_mac_line_ends() -> None:
    grid = csv_grid("#adm1+code,#date\rSY07,2020-01-28\r", "f.csv")
    assert list(grid.body) == [(2, ["SY07", "2020-01-28"])]


def test_csv_grid_refuses_a_line_over_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("etl.sources.hxl_files.MAX_LINE_CHARS", 100)
    with pytest.raises(InputError, match="line 2 is longer than 100 characters"):
        list(csv_grid("#adm1+code,#date\r\n" + "x," * 60 + "\r\n", "f.csv").body)


def test_csv_grid_names_the_row_of_an_oversized_cell() -> None:
    text = "#adm1+code,#meta+excerpt\r\nSY07,ok\r\nSY02," + "x" * 200_000 + "\r\n"
    with pytest.raises(InputError, match=r"f\.csv: row 3: not readable as CSV \(field larger"):
        list(csv_grid(text, "f.csv").body)


def test_no_hashtag_row_is_an_hxl_error() -> None:
    with pytest.raises(HxlError, match="no row of HXL hashtags"):
        csv_grid("Governorate,Date\r\nSY07,2020-01-28\r\n", "f.csv")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (1000, "1000"),
        (2500.0, "2500"),
        (3.7, "3.7"),
        (True, "TRUE"),
        (dt.datetime(2020, 1, 28), "2020-01-28"),
        (dt.datetime(2020, 1, 28, 10, 30), "2020-01-28 10:30:00"),
        (dt.date(2020, 1, 28), "2020-01-28"),
        (" sy07 ", " sy07 "),
    ],
)
def test_excel_text_is_what_a_csv_of_the_cell_would_hold(value: object, text: str) -> None:
    assert excel_text(value) == text


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_check_zip_accepts_a_workbook_layout() -> None:
    check_zip(_zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<x/>"}), "b")


def test_check_zip_refuses_a_member_compressed_beyond_the_ratio() -> None:
    raw = _zip({"xl/workbook.xml": b"<workbook/>", "xl/sharedStrings.xml": b"\0" * (8 << 20)})
    with pytest.raises(InputError, match=f"at most {MAX_UNZIP_RATIO} allowed"):
        check_zip(raw, "b.xlsx")


def test_check_zip_refuses_more_than_the_unzipped_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("etl.sources.hxl_files.MAX_UNZIPPED_BYTES", 1000)
    raw = _zip(
        {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": bytes(range(256)) * 8}
    )
    with pytest.raises(InputError, match="unzips to 0 MB, over the 0 MB"):
        check_zip(raw, "b.xlsx")


def test_read_grid_picks_the_sheet_the_import_can_use(tmp_path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["#sector", "#org"])
    data = book.create_sheet("Data")
    data.append(["#adm1+code", "#date", "#affected+idps"])
    data.append(["SY07", dt.datetime(2020, 1, 28), 1000])
    book.save(tmp_path / "b.xlsx")
    raw = (tmp_path / "b.xlsx").read_bytes()
    chosen = read_grid(raw, "b.xlsx", usable=lambda tags: "#date" in tags)
    assert chosen.tags == ["#adm1+code", "#date", "#affected+idps"]
    assert list(chosen.body) == [(2, ["SY07", "2020-01-28", "1000"])]
    assert read_grid(raw, "b.xlsx").tags == ["#sector", "#org"]  # no preference: the first


def test_json_objects_take_keys_in_first_seen_order() -> None:
    raw = b'[{"#adm1+code": "SY07", "#date": "2020-01-28"}, {"#affected+idps": 5, "#date": null}]'
    grid = json_grid(raw, "f.json")
    assert grid.tags == ["#adm1+code", "#date", "#affected+idps"]
    assert list(grid.body) == [(1, ["SY07", "2020-01-28", ""]), (2, ["", "", "5"])]


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (1e9, "1000000000"), (3.7, "3.7"), (float("nan"), "NaN"), (False, "false")],
)
def test_json_text(value: object, text: str) -> None:
    assert json_text(value, "f.json", "row 1") == text
