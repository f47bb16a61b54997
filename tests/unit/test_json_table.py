"""A JSON page read straight into columns gives the cells the record-by-record reading gives,
or nothing at all."""

import datetime as dt
import json
import random

import pandera.pandas as pa
import pytest

from etl.errors import SourceFormatError
from etl.sources import dtm, idmc, unhcr
from etl.sources.base import Fetched, checked_columns, checked_records, parse_json, record_keys
from etl.sources.json_table import ABSENT, record_table
from tests.factories import FIXTURES, SHARED_DATA, shared_file

# Every page at hand of the connectors that read columns: the real ones and the tests' own.
_PAGES = [
    ("idmc", "real/idmc/gidd_conflicts_offset600.json"),
    ("idmc", "real/idmc/idu_IND.json"),
    *(("idmc", p.name) for p in sorted((FIXTURES / "idmc").glob("*.json"))),
    *(("unhcr", p.name) for p in sorted((FIXTURES / "unhcr").glob("*.json"))),
    ("dtm", "real/dtm/dtm_v3_admin1_TCD.json"),
    *(("dtm", p.name) for p in sorted((FIXTURES / "dtm").glob("*.json")) if p.name != "error.json"),
]
_CONNECTORS = {"idmc": idmc, "unhcr": unhcr, "dtm": dtm}
_FIELDS = {"unhcr": "items", "dtm": "result"}


class _Anything(pa.DataFrameModel):
    """No promise but that there are records."""

    class Config:
        strict = False


_KEYS = ["iso3", "year", "a b", "é", "naïve\u00a0key", "slash/", "", "2019", "class", "k0"]
_VALUES = [
    None,
    0,
    -7,
    2**70,
    1.5,
    -0.0,
    1e-300,
    0.1 + 0.2,
    "x",
    "",
    "Côte d’Ivoire",
    "line\nbreak \u2028 \U0001f600",
    ["FL", 2020],
    [],
    {"k": [1, {"n": None}]},
    True,
    False,
]


def _page(picks: random.Random) -> tuple[list[str], list[dict[str, object]]]:
    keys = picks.sample(_KEYS, picks.randint(1, 6))
    rows = [{k: picks.choice(_VALUES) for k in keys} for _ in range(picks.randint(1, 40))]
    return keys, rows


def _dumps(doc: object, picks: random.Random) -> bytes:
    style = picks.choice([{}, {"indent": 2}, {"separators": (",", ":")}])
    return json.dumps(doc, ensure_ascii=picks.random() < 0.5, **style).encode()


def _by_records(body: bytes, field: str | None) -> tuple[list[str], dict[str, list[object]]]:
    doc = parse_json(body)
    rows = doc if field is None else doc[field]
    frame = checked_records(rows, _Anything, "test")
    return record_keys(rows), {c: frame[c].tolist() for c in frame.columns}


@pytest.mark.parametrize("seed", range(40))
def test_a_page_of_like_records_gives_the_cells_of_every_record(seed: int) -> None:
    """Keys in the order the first record gives them, every value as JSON gives it (texts
    with escapes, whole numbers past 64 bits, floats to the last bit, lists and objects
    kept one cell), in an envelope or a bare array."""
    picks = random.Random(seed)
    keys, rows = _page(picks)
    enveloped = picks.random() < 0.7
    doc = {"count": len(rows), "next": None, "results": rows} if enveloped else rows
    field = "results" if enveloped else None
    body = _dumps(doc, picks)
    table = record_table(body, field, ("count", "next") if enveloped else ())
    assert table is not None
    expected_keys, expected = _by_records(body, field)
    assert table.keys == keys == expected_keys
    frame = checked_columns(table.keys, table.cells, _Anything, "test")
    assert {c: frame[c].tolist() for c in frame.columns} == expected
    # the same values, and the same types: 1 == 1.0 == True would hide a float read as an int
    for column, cells in expected.items():
        assert [type(v) for v in frame[column]] == [type(v) for v in cells]
    if enveloped:
        assert table.envelope == {"count": len(rows), "next": None}


@pytest.mark.parametrize(
    "body",
    [
        b'{"count": 2, "next": null, "results": [{"a": 1, "b": 2}, {"a": 3}]}',  # a key missing
        b'{"count": 2, "next": null, "results": [{"a": 1, "b": 2}, {"a": 3, "b": 4, "c": 5}]}',
        b'{"count": 2, "next": null, "results": [{"a": 1, "b": 2}, {"b": 4, "c": 5}]}',
        b'{"count": 2, "next": null, "results": [{"a": 1, "b": 2}, [3, 4]]}',  # not a record
        b'{"count": 2, "next": null, "results": [{"a": 1, "b": 2}, null]}',
        b'{"count": 0, "next": null, "results": []}',  # no records
        b'{"count": 1, "next": null, "results": {"a": 1}}',
        b'{"count": 1, "next": null}',
        b'{"count": 1, "next": null, "results": [{"a": NaN, "b": 2}]}',  # JSON's own refusals
        b'{"count": 1, "next": null, "results": [{"a": 1E400, "b": 2}]}',
        b'{"count": 1, "next": null, "results": [{"a": "\\ud800", "b": 2}]}',
        b'\xef\xbb\xbf{"count": 1, "next": null, "results": [{"a": 1, "b": 2}]}',
        b'{"count": 1, "next": null, "results": [{"a": 1, "b": 2}]',  # cut short
        b'{"count": 1, "next": null, "results": [{"a": 1, "b": "\xff"}]}',  # not UTF-8
        b"<html><body>Bad gateway</body></html>",
        b"[1, 2]",
        b"",
    ],
)
def test_any_other_page_is_left_to_the_record_by_record_reading(body: bytes) -> None:
    assert record_table(body, "results", ("count", "next")) is None


@pytest.mark.parametrize("key", ['quote"d', "back\\slash", "tab\tbed"])
def test_a_key_msgspec_cannot_name_leaves_the_page_to_the_record_reading(key: str) -> None:
    body = json.dumps({"next": None, "results": [{key: 1, "a": 2}]}).encode()
    assert record_table(body, "results", ("next",)) is None
    assert _by_records(body, "results")[0] == [key, "a"]


def test_an_envelope_field_not_given_is_absent() -> None:
    body = b'{"count": 1, "results": [{"a": 1, "b": 2}]}'
    table = record_table(body, "results", ("count", "next"))
    assert table is not None and table.envelope == {"count": 1, "next": ABSENT}


@pytest.mark.parametrize(
    ("envelope", "error"),
    [
        ('"count": 1', "field 'count' or 'next' missing from the page"),
        ('"count": "1", "next": null', "field 'count' or 'next' missing from the page"),
        ('"next": null', "field 'count' or 'next' missing from the page"),
    ],
)
def test_a_gidd_page_short_of_its_envelope_is_refused_as_before(envelope: str, error: str) -> None:
    rows = json.dumps([dict.fromkeys(["iso3", "country_name", "year"], "x")])
    body = f'{{{envelope}, "results": {rows}}}'.encode()
    page = Fetched("gidd_conflicts.json", body, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert idmc._Page(page).table is None
    with pytest.raises(SourceFormatError, match=error):
        idmc.read(page)


def test_a_first_record_far_into_the_page_is_found() -> None:
    """An envelope field, or a first record, longer than the head the keys are read from."""
    rows = [{"b": "x" * 70_000, "a": 1}, {"b": "y", "a": 2}]
    long_first = json.dumps({"next": None, "results": rows}).encode()
    long_field = json.dumps({"note": "z" * 70_000, "next": None, "results": rows[1:]}).encode()
    for body, expected in ((long_first, rows), (long_field, rows[1:])):
        table = record_table(body, "results", ("next",))
        assert table is not None and table.keys == ["b", "a"]
        assert table.cells.tolist() == [[r["b"] for r in expected], [r["a"] for r in expected]]


def test_a_field_given_twice_is_read_from_its_last_as_json_reads_it() -> None:
    body = b'{"results": [{"a": 1, "b": 2}], "next": null, "results": [{"a": 3, "b": 4}]}'
    table = record_table(body, "results", ("next",))
    assert table is not None and table.cells.tolist() == [[3], [4]]
    assert parse_json(body)["results"] == [{"a": 3, "b": 4}]


@pytest.mark.parametrize(("source", "name"), _PAGES)
def test_pages_read_as_columns_as_record_by_record(
    source: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real pages and the tests' own take the column reading, and it gives the frame
    (columns in the order served, every cell) and dataset the reading of each record
    gives."""
    connector = _CONNECTORS[source]
    real = name.startswith("real/")
    path = shared_file(SHARED_DATA / name) if real else FIXTURES / source / name
    fetched = Fetched.from_file(path)
    field = _FIELDS.get(source, "results" if "gidd" in name else None)
    assert record_table(fetched.body, field) is not None
    columns = connector.read(fetched)
    monkeypatch.setattr(connector, "record_table", lambda *args: None)
    records = connector.read(fetched)
    assert columns.dataset == records.dataset
    assert columns.frame.columns.tolist() == records.frame.columns.tolist()
    assert columns.frame.index.tolist() == records.frame.index.tolist()
    for column in records.frame.columns:
        assert columns.frame[column].tolist() == records.frame[column].tolist()


def test_a_gidd_page_whose_rows_differ_is_read_record_by_record() -> None:
    """A row with a field of its own: the page is read as before, its field a column."""
    counts = ["new_displacement", "total_displacement"]
    counts += [c + "_rounded" for c in counts]
    rows = [
        {"iso3": "SYR", "country_name": "Syria", "year": 2019, **dict.fromkeys(counts, 5)},
        {"iso3": "SYR", "country_name": "Syria", "year": 2020, **dict.fromkeys(counts, 7)},
    ]
    rows[1]["x"] = 1
    body = json.dumps({"count": 2, "next": None, "results": rows}).encode()
    page = Fetched("gidd_conflicts.json", body, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert idmc._Page(page).table is None
    served = idmc.read(page)
    assert served.frame["x"].tolist() == [None, 1]
    assert served.frame["new_displacement"].tolist() == [5, 7]


_DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("where", ["first", "later"])
def test_a_page_nested_past_what_a_reader_follows_is_left_to_the_record_reading(
    where: str,
) -> None:
    rows = (
        f'{{"a": {_DEEP}, "b": 1}}'
        if where == "first"
        else f'{{"a": 1, "b": 2}}, {{"a": {_DEEP}, "b": 1}}'
    )
    body = f'{{"count": 1, "next": null, "results": [{rows}]}}'.encode()
    assert record_table(body, "results", ("count", "next")) is None


@pytest.mark.parametrize(
    ("connector", "name", "page"),
    [
        (idmc, "gidd_conflicts.json", '{"count": 1, "next": null, "results": [%s]}'),
        (idmc, "idus.json", "[%s]"),
        (dtm, "admin1.json", '{"isSuccess": true, "result": [%s]}'),
        (unhcr, "population.json", '{"page": 1, "maxPages": 1, "items": [%s]}'),
    ],
)
def test_a_page_nested_too_deeply_is_refused_in_one_line(
    connector: object, name: str, page: str
) -> None:
    body = (page % f'{{"a": {_DEEP}, "b": 1}}').encode()
    fetched = Fetched(name, body, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(SourceFormatError, match=f": {name}: JSON nested too deeply to read$"):
        connector.read(fetched)  # type: ignore[attr-defined]


def test_a_number_of_more_digits_than_python_reads_is_refused_in_one_line() -> None:
    row = '{"a": %s, "b": 1}' % ("9" * 5000)
    body = f'{{"count": 1, "next": null, "results": [{row}]}}'.encode()
    assert record_table(body, "results", ("count", "next")) is None
    fetched = Fetched("gidd_conflicts.json", body, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(SourceFormatError, match=r"not readable JSON \(Exceeds the limit"):
        idmc.read(fetched)
