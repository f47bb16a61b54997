"""A JSON page of records read straight into columns of cells, where every record holds
exactly the keys of the first.

That is how APIs serve pages, and it lets msgspec decode each record into a struct made for
those keys: no dict is built per record, and a record with a key missing or one more fails
the decoding. Every other page (an odd record, a key of its own, JSON msgspec refuses) is left
to the readers that take any record (`etl.sources.base.parse_json` and `checked_records`),
which give the same cells for the pages read here and their own one-line errors for the rest.
"""

import codecs
import functools
import json
import re
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np

# The first record's keys, in the order served, are read from the start of the page: enough
# text for any envelope and first record seen; the whole page where it is not.
_HEAD_BYTES = 1 << 16
_SPACE = re.compile(r"[ \t\n\r]*")
_JSON = json.JSONDecoder()
# An envelope field the page does not give.
ABSENT = msgspec.UNSET


@dataclass(frozen=True)
class RecordTable:
    """A page's records as columns: each key's cells, a row of `cells` per key, in the order
    of the keys of the first record; and the envelope's fields asked for (ABSENT where the
    page does not give one)."""

    keys: list[str]
    cells: np.ndarray  # (len(keys), records) objects, the values as decoded
    envelope: dict[str, object]


def record_table(
    body: bytes, field: str | None, envelope: tuple[str, ...] = ()
) -> RecordTable | None:
    """The records of a page (an envelope's `field`, or a bare array when None) where there
    are some and each holds exactly the first record's keys, with the page's `envelope`
    fields; None for any other page."""
    keys = _first_keys(body, field)
    if not keys or field in envelope:
        return None
    try:
        decoder = _decoder(tuple(keys), field, envelope)
    except ValueError:  # a key msgspec cannot match (one with a quote, a backslash, ...)
        return None
    try:
        page = decoder.decode(body)
    except (msgspec.DecodeError, RecursionError):  # malformed, not the shape asked for, or
        return None  # nested past what a reader follows
    rows = page if field is None else page.records
    if not rows:
        return None
    cells = np.empty((len(keys), len(rows)), dtype=object)
    for at in range(len(keys)):
        # np.fromiter keeps a list-valued cell one cell, where np.array would add a dimension.
        cells[at] = np.fromiter(map(attrgetter(f"k{at}"), rows), dtype=object, count=len(rows))
    found = {name: getattr(page, f"e{at}") for at, name in enumerate(envelope)}
    return RecordTable(keys, cells, found)


@functools.lru_cache(maxsize=64)
def _decoder(keys: tuple[str, ...], field: str | None, envelope: tuple[str, ...]) -> Any:
    """A decoder of pages whose records hold exactly `keys`, each value as JSON gives it."""
    names = {f"k{at}": key for at, key in enumerate(keys)}
    record = msgspec.defstruct(
        "Record", [(n, Any) for n in names], rename=names, forbid_unknown_fields=True
    )
    if field is None:
        return msgspec.json.Decoder(list[record])
    outer = {f"e{at}": name for at, name in enumerate(envelope)}
    page = msgspec.defstruct(
        "Page",
        [("records", list[record])] + [(n, Any, ABSENT) for n in outer],
        rename=outer | {"records": field},
    )
    return msgspec.json.Decoder(page)


def _first_keys(body: bytes, field: str | None) -> list[str] | None:
    """The keys of the page's first record, in the order served; None where it has none."""
    head = codecs.getincrementaldecoder("utf-8")()
    try:
        text = head.decode(body[:_HEAD_BYTES], final=len(body) <= _HEAD_BYTES)
        try:
            return _walk(text, field)
        except (ValueError, IndexError):  # the first record reaches past the head, or worse
            if len(body) <= _HEAD_BYTES:
                return None
            return _walk(body.decode("utf-8"), field)
    except (ValueError, IndexError, RecursionError):  # not UTF-8, or not JSON the walk reads
        return None


def _walk(text: str, field: str | None) -> list[str] | None:
    """The first record's keys, read by walking the page's envelope one value at a time.

    (A page that gives `field` twice has its records read from the last, as every JSON
    reader here does; its first record's keys are taken from the first. Both hold the same
    keys, or the decoding fails.)
    """
    at = _SPACE.match(text).end()
    if field is not None:
        if text[at] != "{":
            return None
        at += 1
        while True:
            at = _SPACE.match(text, at).end()
            if text[at] == "}":
                return None
            name, at = _JSON.raw_decode(text, at)
            at = _SPACE.match(text, at).end()
            if text[at] != ":":
                return None
            at = _SPACE.match(text, at + 1).end()
            if name == field:
                break
            _, at = _JSON.raw_decode(text, at)  # another field's value, skipped
            at = _SPACE.match(text, at).end()
            if text[at] != ",":
                return None
            at += 1
    if text[at] != "[":
        return None
    at = _SPACE.match(text, at + 1).end()
    if text[at] != "{":
        return None
    first, _ = _JSON.raw_decode(text, at)
    return list(first)
