"""pandas' C parser stands in for `csv.reader` only where it reads the same cells."""

import csv
import io
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.sources.csv_cells import csv_cells
from tests.factories import SHARED_DATA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Characters that matter to a CSV reader, and some it must pass through untouched.
PIECES = ["a", "b", ",", '"', "\n", "\r", "\r\n", " ", "é", "\ufeff", "\x00", '""', "\t",
          "\\", "'", "#", "NaN", "1.0", "\u2028", "\x0b", "\x0c", "\x85", "ش"]  # fmt: skip


def _reader(text: str, strict: bool) -> list[list[str]] | str:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), strict=strict))
    except csv.Error as exc:
        return f"error: {exc}"


def _cell(rng: random.Random) -> str:
    if rng.random() < 0.3:
        inner = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 5)))
        return '"' + inner.replace('"', '""') + '"'
    plain = ["a", "b", " ", "é", "1", "NaN", "\u2028", "\x85", "\x0c"]
    return "".join(rng.choice(plain) for _ in range(rng.randint(0, 4)))


def _table(rng: random.Random) -> str:
    """Records of mostly one length, quoted cells among them, then a few characters changed."""
    width = rng.randint(1, 5)
    records = [
        ",".join(_cell(rng) for _ in range(width if rng.random() < 0.85 else rng.randint(0, 6)))
        for _ in range(rng.randint(1, 6))
    ]
    end = rng.choice(["\n", "\r\n", "\r"])
    chars = list(end.join(records) + (end if rng.random() < 0.7 else ""))
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        at = rng.randrange(len(chars) + 1)
        if rng.random() < 0.4 or at == len(chars):
            chars.insert(at, rng.choice(PIECES))
        elif rng.random() < 0.5:
            del chars[at]
        else:
            chars[at] = rng.choice(PIECES)
    return "".join(chars)


def _texts(seed: int, count: int) -> Iterator[str]:
    rng = random.Random(seed)
    for number in range(count):
        if number % 3:
            yield _table(rng)
        else:
            yield "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))


@pytest.mark.parametrize("limit", [None, 8])
@pytest.mark.parametrize("seed", range(4))
def test_random_tables_read_as_the_reader_reads_them_or_are_left_to_it(
    seed: int, limit: int | None
) -> None:
    before = csv.field_size_limit()
    if limit is not None:
        csv.field_size_limit(limit)
    try:
        read = 0
        for text in _texts(seed, 3000):
            cells = csv_cells(text)
            if cells is None:
                continue
            read += 1
            want = _reader(text, strict=False)
            assert cells.tolist() == want, repr(text)
            assert _reader(text, strict=True) == want, repr(text)
            assert {type(cell) for cell in cells.ravel().tolist()} <= {str}
    finally:
        csv.field_size_limit(before)
    # The generator's tables are read often enough for the comparison to mean something.
    assert read > (500 if limit is None else 30)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\nc\n",  # a short record: pandas pads it
        "a,b\nc,d,e\n",  # a long one
        "a,b\n\nc,d\n",  # a blank line: pandas reads it as empty cells
        "a,b\r\rc,d\r",
        '"ab"c,d\n',  # text after a closing quote: the strict reader refuses it
        'a,b\n"c" ,d\n',
        'a"b,c\n',  # a quote inside a plain cell
        '"a,b\n',  # a quoted cell never closed
        "\ufeffa,b\n",  # a byte order mark: pandas drops it
        "a,b\n\x00,c\n",
        "a\nb\n",  # one column: a blank line could not be told from an empty cell
        "",
    ],
)
def test_texts_pandas_reads_otherwise_are_left_to_the_reader(text: str) -> None:
    assert csv_cells(text) is None


@pytest.mark.parametrize(
    "text",
    [
        'name,note\r\n"Saraqib, Idleb","said ""more than"""\r\n"multi\nline",x\r\n',
        "a,b\n,\n",  # empty cells are cells
        "1,2\n3.0,NaN\n",  # numbers and NaN stay text
        'a,"b"\rc,d',
    ],
)
def test_tables_it_reads_hold_the_readers_cells(text: str) -> None:
    cells = csv_cells(text)
    assert cells is not None
    assert cells.tolist() == _reader(text, strict=True)


def test_a_cell_past_the_readers_limit_is_left_to_the_reader() -> None:
    before = csv.field_size_limit()
    csv.field_size_limit(10)
    try:
        assert csv_cells("a,b\n" + "c" * 11 + ",d\n") is None
        assert csv_cells('a,b\n"' + "c\n" * 6 + '",d\n') is None  # lines short, the cell not
        assert csv_cells("a,b\n" + "c" * 6 + ",d\n") is not None
    finally:
        csv.field_size_limit(before)


@pytest.mark.parametrize(
    "path",
    [
        *sorted((SHARED_DATA / "isimm").glob("*.csv")),
        *sorted((SHARED_DATA / "real").glob("*/*.csv")),
        *sorted(FIXTURES.glob("*/*.csv")),
    ],
    ids=lambda path: path.name,
)
def test_every_published_table_reads_as_the_reader_reads_it(path: Path) -> None:
    body = path.read_bytes()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("cp1256", errors="replace")
    cells = csv_cells(text)
    want = _reader(text, strict=False)
    if cells is None:
        # Only tables whose records differ in length are left to the reader.
        assert isinstance(want, str) or len(set(map(len, want))) > 1, path.name
    else:
        assert cells.tolist() == want
