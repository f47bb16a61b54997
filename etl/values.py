"""Pure parsing of published cells: numbers with their qualifier, ISO dates."""

import datetime as dt
import re
from dataclasses import dataclass

from schemas.enums import Qualifier
from schemas.runs import RejectionCode


class CellError(ValueError):
    """A cell that cannot be read unambiguously; the message says why."""

    def __init__(self, check: RejectionCode, reason: str) -> None:
        super().__init__(reason)
        self.check = check
        self.reason = reason


@dataclass(frozen=True)
class Number:
    """A published number and how exact it is."""

    value: int
    qualifier: Qualifier | None  # None: the cell itself says nothing about exactness


_PREFIXES: list[tuple[re.Pattern[str], Qualifier]] = [
    (re.compile(r"^(?:>=?|more than|over|above|at least)\s*", re.I), Qualifier.MORE_THAN),
    (re.compile(r"^(?:<=?|less than|fewer than|under|below|up to)\s*", re.I), Qualifier.LESS_THAN),
    (
        re.compile(
            r"^(?:~|≈|about|approximately|approx\.?|around|some|nearly|almost|roughly|c\.|ca\.)\s*",
            re.I,
        ),
        Qualifier.APPROXIMATELY,
    ),
]
_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "mn": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
# More people than live on Earth: a typo, a phone number or a sum gone wrong, never a count.
MAX_COUNT = 10_000_000_000
# 1,000 or 1 000 grouping, a plain integer, or a decimal before a multiplier word.
_GROUPED = re.compile(r"^\d{1,3}(?:[, \u00a0\u202f]\d{3})+$")
_PLAIN = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^\d+(?:\.\d+)?$")
_SUFFIX = re.compile(r"^(?P<body>.*?)\s*(?P<mult>k|thousand|m|mn|million|bn|billion)$", re.I)


def parse_number(text: str) -> Number:
    """Read a published count such as "1,000+", "~3 million" or ">1000"."""
    cell = text.strip()
    qualifier: Qualifier | None = None
    for pattern, qual in _PREFIXES:
        stripped = pattern.sub("", cell, count=1)
        if stripped != cell:
            cell, qualifier = stripped.strip(), qual
            break
    if cell.endswith("+"):
        if qualifier not in (None, Qualifier.MORE_THAN):
            raise CellError(RejectionCode.NUMBER_FORMAT, "contradictory qualifiers")
        cell, qualifier = cell[:-1].strip(), Qualifier.MORE_THAN
    negative = cell.startswith("-")
    if negative:
        cell = cell[1:].strip()
    multiplier = 1
    suffix = _SUFFIX.match(cell)
    if suffix and suffix.group("body"):
        cell, multiplier = suffix.group("body").strip(), _MULTIPLIERS[suffix.group("mult").lower()]
    if len(re.sub(r"\D", "", cell).lstrip("0")) > len(str(MAX_COUNT)):
        # Checked on the digits: int() of thousands of digits is refused (or slow) anyway.
        raise CellError(
            RejectionCode.NUMBER_RANGE, f"too large for a count of people (more than {MAX_COUNT:,})"
        )
    if _GROUPED.match(cell):
        number = int(re.sub(r"\D", "", cell))
    elif _PLAIN.match(cell):
        number = int(cell)
    elif multiplier > 1 and _DECIMAL.match(cell):
        number = round(float(cell) * multiplier)
        multiplier = 1
    else:
        raise CellError(RejectionCode.NUMBER_FORMAT, _why_not_a_number(cell))
    number *= multiplier
    if number > MAX_COUNT:
        raise CellError(
            RejectionCode.NUMBER_RANGE, f"too large for a count of people (more than {MAX_COUNT:,})"
        )
    return Number(-number if negative else number, qualifier)


_NOT_AVAILABLE = frozenset({"n/a", "na", "n.a.", "-", "--", "?", "none", "null", "unknown", "nd"})
_NAN = frozenset({"nan", "inf", "+inf", "-inf", "infinity"})
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?e[+-]?\d+$", re.I)
_DOT_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+$")


def _why_not_a_number(cell: str) -> str:
    """Why a cell is not read as a whole number, in words its author can act on."""
    word = cell.strip().lower()
    if word in _NOT_AVAILABLE:
        return "not a number: leave the cell empty when there is no figure"
    if word in _NAN:
        return "not a number (NaN or infinity)"
    if _SCIENTIFIC.match(word):
        return "scientific notation: write the whole number (e.g. 1000000000 for 1e9)"
    if _DOT_GROUPED.match(word):
        return (
            "ambiguous: a dot may group thousands (1.000 = one thousand) or mark decimals "
            "(1.000 = one); write 1000 or 1,000"
        )
    return "not a whole number"


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")


def parse_iso_date(text: str) -> dt.date:
    """Read an ISO date (YYYY-MM-DD); anything else is refused, never guessed."""
    cell = text.strip()
    match = _ISO_DATE.match(cell)
    if not match:
        raise CellError(
            RejectionCode.DATE_FORMAT,
            "not an ISO date: write YYYY-MM-DD, e.g. 2020-01-28 (other forms are ambiguous)",
        )
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise CellError(RejectionCode.DATE_FORMAT, "no such date") from exc


_QUALIFIER_WORDS = {
    "exact": Qualifier.EXACT,
    "more_than": Qualifier.MORE_THAN,
    "more than": Qualifier.MORE_THAN,
    "less_than": Qualifier.LESS_THAN,
    "less than": Qualifier.LESS_THAN,
    "approximately": Qualifier.APPROXIMATELY,
    "approximate": Qualifier.APPROXIMATELY,
    "about": Qualifier.APPROXIMATELY,
}


def parse_qualifier(text: str) -> Qualifier:
    """Read a qualifier column's cell ("exact", "more than", "approximately", ...)."""
    word = text.strip().lower()
    if word in _QUALIFIER_WORDS:
        return _QUALIFIER_WORDS[word]
    allowed = ", ".join(q.value for q in Qualifier)
    raise CellError(RejectionCode.QUALIFIER_VALUE, f"unknown qualifier (use one of {allowed})")
