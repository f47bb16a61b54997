"""Rules for place identifiers: OCHA COD P-codes and response-area ids.

A COD P-code is the country's prefix followed by a fixed number of characters per admin level,
as OCHA's Global P-Code List gives them (schemas.pcode_lengths): Syria adds two digits per level
(SY, SY07, SY0702, SY070201), Sudan three at admin 2 (SD01, SD01001), Nigeria three at every
level (NG008, NG008001), Burundi's prefix is its ISO3 code (BDI001). A country the list does not
have follows the default (two digits per level). Response areas carry an id of their own with a
hyphen (SY-NW-OPP).

Publishers write one unit several ways (TD0704, TCD0704, ' td0704 '): `normalise_pcode` gives
the gazetteer's spelling.
"""

import re
from functools import cache
from itertools import accumulate

import numpy as np
import pandas as pd
import pycountry

from schemas.pcode_lengths import ALPHANUMERIC, PCODE_LENGTHS

# Digits each admin level adds (admin 1, admin 2, admin 3), keyed by the country's prefix.
DIGITS_PER_LEVEL: dict[str, tuple[int, ...]] = {p: d for p, (_, d) in PCODE_LENGTHS.items()}
# Any other country: two digits per level, admin 1 to 3.
DEFAULT_DIGITS: tuple[int, ...] = (2, 2, 2)

MAX_ADMIN_LEVEL = 3
_THREE_LETTER = frozenset(p for p in DIGITS_PER_LEVEL if len(p) == 3)


def digits_per_level(country: str) -> tuple[int, ...]:
    """Characters each admin level adds to the P-codes of the country with this prefix."""
    return DIGITS_PER_LEVEL.get(country, DEFAULT_DIGITS)


def _lengths(country: str) -> list[int]:
    """Characters after the prefix at admin 0, 1, 2, ...: [0, d1, d1 + d2, ...]."""
    return [0, *accumulate(digits_per_level(country)[:MAX_ADMIN_LEVEL])]


def _branch(digits: tuple[int, ...], chars: str) -> str:
    """Regex for what follows the prefix: nothing, or admin 1, or admin 1 and 2, ..."""
    body = ""
    for n in reversed(digits[:MAX_ADMIN_LEVEL]):
        body = rf"(?:{chars}{{{n}}}{body})?"
    return body


DIGIT, ALNUM = r"\d", "[0-9A-Z]"


def _admin_pattern() -> str:
    groups: dict[tuple[tuple[int, ...], bool], list[str]] = {}
    for prefix, digits in DIGITS_PER_LEVEL.items():
        if digits != DEFAULT_DIGITS or len(prefix) == 3 or prefix in ALPHANUMERIC:
            groups.setdefault((digits, prefix in ALPHANUMERIC), []).append(prefix)
    branches = [
        f"(?:{'|'.join(sorted(prefixes))}){_branch(digits, ALNUM if alnum else DIGIT)}"
        for (digits, alnum), prefixes in sorted(groups.items())
    ]
    special = sorted(p for ps in groups.values() for p in ps if len(p) == 2)
    branches.append(rf"(?!(?:{'|'.join(special)})\d)[A-Z]{{2}}{_branch(DEFAULT_DIGITS, DIGIT)}")
    return rf"^(?:{'|'.join(branches)})$"


# Every admin P-code the table allows (one regex, for pandera's str_matches).
ADMIN_PCODE = re.compile(_admin_pattern())
AREA_ID = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]+)+$")


def _split(pcode: str) -> tuple[str, str] | None:
    """(prefix, the characters after it), when the code is a prefix and its levels' characters."""
    prefix = pcode[:3] if pcode[:3] in _THREE_LETTER else pcode[:2]
    if len(prefix) < 2 or not (prefix.isascii() and prefix.isalpha() and prefix.isupper()):
        return None
    rest = pcode[len(prefix) :]
    if prefix in ALPHANUMERIC:
        ok = rest == "" or (rest.isascii() and rest.isalnum() and rest == rest.upper())
    else:
        ok = rest == "" or (rest.isascii() and rest.isdigit())
    return (prefix, rest) if ok else None


def admin_level_of(pcode: str) -> int | None:
    """The admin level a COD P-code's length implies for its country, or None for anything else."""
    parts = _split(pcode)
    if parts is None:
        return None
    lengths = _lengths(parts[0])
    n = len(parts[1])
    return lengths.index(n) if n in lengths else None


def ancestor_at(pcode: str, level: int) -> str | None:
    """The P-code of `pcode`'s admin unit at `level` (itself at its own level), or None."""
    own = admin_level_of(pcode)
    if own is None or not 0 <= level <= own:
        return None
    prefix = pcode[:3] if pcode[:3] in _THREE_LETTER else pcode[:2]
    return pcode[: len(prefix) + _lengths(prefix)[level]]


def parent_of(pcode: str) -> str | None:
    """The P-code one admin level up; None for a country, an area id or anything else."""
    level = admin_level_of(pcode)
    return ancestor_at(pcode, level - 1) if level else None


def country_of(pcode: str) -> str:
    """The admin 0 P-code a place belongs to (an area id's first part: SY-NW is Syria's)."""
    if is_area_id(pcode):
        return pcode.split("-", 1)[0]
    return ancestor_at(pcode, 0) or pcode[:2]


def is_area_id(pcode: str) -> bool:
    """True for a response-area id such as SY-NW-OPP."""
    return bool(AREA_ID.match(pcode))


@cache
def iso3_to_prefix() -> dict[str, str]:
    """ISO 3166 alpha-3 code -> the country's P-code prefix (its admin 0 P-code)."""
    three = {iso3 for p, (iso3, _) in PCODE_LENGTHS.items() if len(p) == 3}
    return {
        c.alpha_3: (c.alpha_3 if c.alpha_3 in three else c.alpha_2) for c in pycountry.countries
    }


# What publishers write where a code is missing.
_NOT_GIVEN = frozenset({"", "NAN", "NONE", "NULL", "N/A", "NA", "NOT AVAILABLE", "-"})


def normalise_pcode(code: object) -> str | None:
    """The gazetteer's spelling of a published P-code (TCD0704 -> TD0704); None when missing.

    Spaces around the code go, letters are upper-cased, and an ISO3 prefix is replaced by the
    country's COD prefix where that is its alpha-2 code. Anything else is returned as written
    (upper-cased), for the caller's checks to refuse.
    """
    if not isinstance(code, str):
        return None
    text = code.strip().upper()
    if text in _NOT_GIVEN:
        return None
    head, rest = text[:3], text[3:]
    prefix = iso3_to_prefix().get(head)
    if prefix is not None and prefix != head and (rest == "" or rest.isdigit()):
        return prefix + rest
    return text


def level_matches(pcodes: pd.Series, levels: pd.Series) -> pd.Series:
    """Row-wise: an admin P-code has the level its length implies; an area has no level."""
    # Each distinct code is read once: a load has a million rows and a few hundred places.
    codes, uniques = pd.factorize(pcodes, use_na_sentinel=False)
    level_of = [admin_level_of(p) if isinstance(p, str) else None for p in uniques]
    expected = pd.Series(np.array(level_of, dtype=float)[codes], index=pcodes.index)
    is_area = np.array([isinstance(p, str) and is_area_id(p) for p in uniques], dtype=bool)
    area = pd.Series(is_area[codes], index=pcodes.index)
    lv = pd.to_numeric(levels, errors="coerce")
    admin_ok = expected.notna() & (lv == expected)
    area_ok = area & lv.isna()
    return (admin_ok | area_ok).fillna(False).astype(bool)
