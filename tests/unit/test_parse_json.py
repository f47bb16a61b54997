"""Responses' JSON is read by orjson only where it reads exactly what `json` reads."""

import json
import random
import re

import pytest

from etl.errors import SourceFormatError
from etl.sources.base import Fetched, _has_digit_run, json_document, parse_json

ALIKE = [
    b'{"count": 2, "results": [{"a": 1}, {"a": null}]}',
    b'[1.5, -0, 0.1, 1e-7, "caf\\u00e9", true, false, null]',
    b'{"a": 1, "a": 2, "b": 3}',  # a repeated key: the last value, at the first place
    b"[18446744073709551615, -9223372036854775808]",  # the edges of 64 bits
    b"[18446744073709551616]",  # beyond them: exact, read by json
    b"[-9223372036854775809, 123456789012345678901234567890]",
    b"[NaN, Infinity, -Infinity]",  # json's extensions, refused by orjson
    b"[1e400]",
    b'["\\ud800"]',  # a lone surrogate
    '{"name": "Ma\u2019arrat al-Numan"}'.encode("utf-16"),
    '{"name": "Saraqib"}'.encode("utf-8-sig"),
    b'{"phone": "+1234567890123456789012"}',
]
BROKEN = [b"", b"[1, 2", b'{"a": }', b"\xff\xfe\x00", b"[1] [2]"]


@pytest.mark.parametrize("body", ALIKE)
def test_parse_json_reads_what_json_reads(body: bytes) -> None:
    """Same values and same types (an int stays an int however long) as `json.loads`."""
    got, expected = parse_json(body), json.loads(body)
    assert json.dumps(got) == json.dumps(expected)
    assert repr(got) == repr(expected)


@pytest.mark.parametrize("body", BROKEN)
def test_parse_json_fails_as_json_fails(body: bytes) -> None:
    """Broken JSON raises what `json.loads` raises, with its message."""
    with pytest.raises((ValueError, UnicodeDecodeError)) as expected:
        json.loads(body)
    with pytest.raises(type(expected.value)) as got:
        parse_json(body)
    assert str(got.value) == str(expected.value)


def test_json_document_names_where_on_broken_json() -> None:
    """A truncated response is one line naming the response."""
    fetched = Fetched("page.json", b'{"results": [', None, None)  # type: ignore[arg-type]
    with pytest.raises(SourceFormatError, match=r"^dtm: page.json: not valid JSON"):
        json_document(fetched, "dtm: page.json")


def test_parse_json_keeps_long_integers_among_many_records() -> None:
    """A count beyond 64 bits deep in a large page stays an exact int."""
    rng = random.Random(7)
    records = [{"id": i, "value": rng.randrange(10**6)} for i in range(5000)]
    records[4321]["value"] = 2**64 + 1
    body = json.dumps({"results": records}).encode()
    read = parse_json(body)
    assert read == json.loads(body)
    assert read["results"][4321]["value"] == 2**64 + 1


def test_long_digit_runs_are_found_wherever_they_sit() -> None:
    """The scan for integers orjson cannot keep finds a run of 19 digits at any offset from
    the 8-byte blocks it looks at first, and nothing shorter (as a regular expression does)."""
    rng = random.Random(11)
    for _ in range(5000):
        alphabet = rng.choice([b"0123456789a", b"0123456789", b"99999999,", b"/:09"])
        body = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        expected = re.search(rb"[0-9]{19}", body) is not None
        assert _has_digit_run(body, 19) == expected, body


@pytest.mark.parametrize("at", [0, 262_136, 262_140, 262_144, 600_001, 1_048_557])
def test_a_long_run_is_found_however_far_into_a_large_body(at: int) -> None:
    """The blocks are looked for a slice of the body at a time: a run in any slice, or
    across two, is found; one digit fewer is not."""
    body = bytearray(b"a" * 1_048_576)
    body[at : at + 19] = b"1" * 19
    assert _has_digit_run(bytes(body), 19)
    body[at + 18] = ord("a")
    assert not _has_digit_run(bytes(body), 19)
