"""Records read column by column: cells, what becomes of each record, the places they name.

A record is read in steps (left out, its upstream error, its places one by one, its date); the
first step that refuses it or leaves it out is the one that counts, as when records were read
one at a time. Each step is a mask over all records; a value's meaning is worked out once per
distinct value.
"""

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from etl.sources.base import NewPlaces, Records, Refused, grid, record_dicts
from schemas.codes import Coded, group_ids
from schemas.runs import Rejection, RejectionCode


def cells(raw: pd.DataFrame, column: str) -> np.ndarray:
    """A field's cells as served; all None for a field the response lacks (as `dict.get`)."""
    if column not in raw:
        return np.full(len(raw), None, dtype=object)
    return raw[column].to_numpy(dtype=object)


class Fields:
    """A response's fields as the mapping reads them: coded where the reader holds them so
    (grouping them then reads no text), else as served."""

    def __init__(self, served: Records) -> None:
        self.frame = served.frame
        self._coded = served.coded

    def __call__(self, column: str) -> np.ndarray | Coded:
        """The field's cells, coded where the reader holds them so."""
        if column in self._coded:
            return self._coded[column]
        return cells(self.frame, column)

    def served(self, column: str) -> np.ndarray:
        """The field's cells as served, one array."""
        return cells(self.frame, column)


def on_distinct(
    func: Callable[..., Any], *columns: np.ndarray | Coded, dtype: str = "object"
) -> np.ndarray:
    """`func` of the cells of each record, called once per distinct combination of cells,
    in an array of `dtype`.

    `func` gets the cells of the first record of each combination. Values pandas holds equal
    (None and NaN, 8 and 8.0) are one combination: only for a `func` that treats them alike.
    """
    return np.asarray(coded_on_distinct(func, *columns, dtype=dtype))


def coded_on_distinct(
    func: Callable[..., Any], *columns: np.ndarray | Coded, dtype: str = "object"
) -> Coded:
    """`on_distinct`'s results kept coded: each record's combination number into the results,
    for a column grouped or read again (its text then is never read again)."""
    key, first = distinct(*columns)
    results = np.empty(len(first), dtype=dtype)
    for number, position in enumerate(first):
        results[number] = func(*(column[position] for column in columns))
    return Coded(key, results)


def distinct(*columns: np.ndarray | Coded) -> tuple[np.ndarray, np.ndarray]:
    """A number per distinct combination of the columns' cells (in the order they first
    appear), and the position of the first record of each."""
    key = group_ids(*columns)
    return key, firsts(key)


def firsts(numbers: np.ndarray) -> np.ndarray:
    """The position of each number's first record, for numbers given in the order they first
    appear: a record is its number's first where the number exceeds every one before it (one
    pass, where finding firsts by sorting the numbers takes several)."""
    highest = np.maximum.accumulate(numbers)
    return np.flatnonzero(np.concatenate([[True], highest[1:] > highest[:-1]])[: len(numbers)])


def same(value: object, count: int) -> np.ndarray:
    """A column holding `value` `count` times."""
    column = np.empty(count, dtype=object)
    column.fill(value)
    return column


def same_time(value: object, count: int) -> pd.Series:
    """A column holding the time `value` `count` times, as a time column (typed at once)."""
    return pd.Series(pd.Timestamp(value), index=range(count))


@dataclass(frozen=True)
class Refusals:
    """The records one check refuses, as columns: the field, the check's code, the reason and
    the value at fault, each one value for them all or an array of one per record."""

    column: object
    check: RejectionCode | np.ndarray
    reason: object
    value: object = None

    def parts(self, count: int) -> list[np.ndarray]:
        """The four columns for `count` records, spelled out."""
        return [p if isinstance(p, np.ndarray) else same(p, count) for p in self._fields()]

    def _fields(self) -> tuple[object, ...]:
        return self.column, self.check, self.reason, self.value


class Reading:
    """What becomes of each record so far: read on, refused (by the first check it fails, in
    the order a record is read) or left out (noted, not refused)."""

    def __init__(self, count: int, per_record: int = 1) -> None:
        # Each record may be read as `per_record` parts (its cells), each refused on its own.
        self.per_record = per_record
        self.step = np.full(count, -1, dtype=np.int64)  # the check that refused it; -1: none
        # The refusals of each check: the records' positions in, their Refusals out.
        self.refusals: list[Callable[[np.ndarray], Refusals]] = []
        self.left = np.zeros(count, dtype=bool)
        self.notes: Counter[str] = Counter()

    @property
    def open(self) -> np.ndarray:
        """Where a record is neither refused nor left out so far: read on."""
        return (self.step < 0) & ~self.left

    def check(self, failing: np.ndarray, refusal: Callable[[int], Refused]) -> None:
        """Refuse each record read on where `failing` holds with `refusal(its position)`."""
        self.check_all(failing, functools.partial(_one_by_one, refusal))

    def check_all(self, failing: np.ndarray, refusals: Callable[[np.ndarray], Refusals]) -> None:
        """Refuse each record read on where `failing` holds, all of them described at once by
        `refusals(their positions)`: for a check whose refusals are columns of the records."""
        self.step[failing & self.open] = len(self.refusals)
        self.refusals.append(refusals)

    def refuse(self, position: int, refused: Refused) -> None:
        """Refuse one record for a check it meets before any that refused it so far."""
        self.step[position] = len(self.refusals)
        self.refusals.append(functools.partial(_one_by_one, lambda _: refused))

    def leave_out(self, leaving: np.ndarray, notes: np.ndarray | None = None) -> None:
        """Leave out each record read on where `leaving` holds, counted under its note."""
        leaving = leaving & self.open
        self.left |= leaving
        if notes is not None:
            self.notes.update(notes[leaving].tolist())

    def noted(self) -> list[str]:
        """What was left out and why, a line per reason in alphabetical order."""
        return [f"{text} ({count} records)" for text, count in sorted(self.notes.items())]

    def rejections(self, raw: pd.DataFrame) -> list[Rejection]:
        """The rejection of each refused record, in the response's order."""
        refused = np.flatnonzero(self.step >= 0)
        steps = self.step[refused]
        parts = np.empty((4, len(refused)), dtype=object)
        for step in np.unique(steps).tolist():  # each check's refusals made at once
            at = steps == step
            made = self.refusals[step](refused[at]).parts(int(at.sum()))
            for row, part in enumerate(made):
                parts[row, at] = part
        records = raw.iloc[refused // self.per_record]
        numbers = records.index.tolist()
        return list(map(Rejection, numbers, *parts.tolist(), record_dicts(records)))


def _one_by_one(refusal: Callable[[int], Refused], positions: np.ndarray) -> Refusals:
    """The Refusals of records refused one by one, each by its own `Refused`."""
    parts = grid((refusal(p).parts for p in positions.tolist()), len(positions), 4).T
    return Refusals(*parts)


@dataclass(frozen=True)
class Slot:
    """A place every record names at one step of its reading (its country, admin 1, ...): the
    P-code, the name given for it, its level and parent, and the records read that far."""

    codes: np.ndarray
    names: np.ndarray
    level: int
    parents: np.ndarray
    reached: np.ndarray


def add_places(slots: list[Slot], known: NewPlaces, reading: Reading) -> None:
    """Note every place the gazetteer lacks, in the order the records name them.

    A place to add needs a name: a record naming one without is refused there, unless a
    record before it added the place. Only where some lacks a name do the records go one by
    one; else each place is added from the first record that names it.
    """
    naming = [slot.reached & ~among(slot.codes, known.known) for slot in slots]
    named = all(
        on_distinct(_is_name, slot.names[rows]).astype(bool).all()
        for slot, rows in zip(slots, naming, strict=True)
    )
    entries = _places_to_add(slots, naming, first_only=named)
    stopped = -1
    for row, code, name, level, parent in zip(*entries.values(), strict=True):
        if row == stopped:  # a record refused is read no further
            continue
        try:
            known.add(code, name, int(level), parent)
        except Refused as refused:
            stopped = row
            reading.refuse(int(row), refused)


def among(codes: np.ndarray, known: set[str]) -> np.ndarray:
    """Whether each code is one of `known`, asked once per distinct code: a gazetteer holds
    far more codes than a response names, and isin would hash every one of them."""
    return on_distinct(functools.partial(_is_among, known=known), codes).astype(bool)


def _is_among(code: object, known: set[str]) -> bool:
    return isinstance(code, str) and code in known


def _is_name(name: object) -> bool:
    return isinstance(name, str) and bool(name.strip())


def _places_to_add(
    slots: list[Slot], naming: list[np.ndarray], first_only: bool
) -> dict[str, np.ndarray]:
    """The record, P-code, name, level and parent of each place a record names where
    `naming`: record by record, in the order a record names them; only the first naming of
    each place when `first_only`."""
    parts: dict[str, list[np.ndarray]] = {
        field: [] for field in ("row", "pcode", "name", "level", "parent", "order")
    }
    for order, (slot, where) in enumerate(zip(slots, naming, strict=True)):
        rows = np.flatnonzero(where)
        if first_only:  # a place named again at the same step was added by the first
            rows = rows[~pd.Series(slot.codes[rows], dtype=object).duplicated().to_numpy()]
        parts["row"].append(rows)
        parts["pcode"].append(slot.codes[rows])
        parts["name"].append(slot.names[rows])
        parts["level"].append(np.full(len(rows), slot.level))
        parts["parent"].append(slot.parents[rows])
        parts["order"].append(np.full(len(rows), order))
    entries = {field: np.concatenate(arrays) for field, arrays in parts.items()}
    sequence = np.lexsort((entries.pop("order"), entries["row"]))
    entries = {field: column[sequence] for field, column in entries.items()}
    if first_only:
        first = ~pd.Series(entries["pcode"], dtype=object).duplicated().to_numpy()
        entries = {field: column[first] for field, column in entries.items()}
    return entries
