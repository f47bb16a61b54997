"""Rules for place identifiers: OCHA COD P-codes and response-area ids.

A COD P-code is the country's two-letter code followed by a fixed number of digits per admin
level: Syria uses two per level (SY, SY07, SY0702, SY070201), Sudan three at admin 2 (SD01,
SD01001), Nigeria three at every level (NG008, NG008001). Response areas carry an id of their own
with a hyphen (SY-NW-OPP).
"""

import re
from itertools import accumulate

import pandas as pd

# Digits each admin level adds (admin 1, admin 2, admin 3), keyed by the two-letter prefix of the
# country's P-codes. From OCHA's Global P-Code List on HDX (dataset "global-pcodes", resource
# global_pcode_lengths.csv, columns "Admin 1 Length" to "Admin 3 Length", one row per ISO3
# location); copy at https://github.com/OCHA-DAP/hdx-python-country/blob/
# 3e54e8f9475231ebc3c051a3530214aa84f03156/tests/fixtures/global_pcode_lengths.csv
# Listed: the countries of HDX HAPI's humanitarian-response coverage and IOM DTM operations the
# connectors can be configured for. A country the COD stops at admin 2 has two entries, so a
# deeper code is refused. Left out, and so held to the default: countries whose P-codes begin
# with the ISO3 code (BDI, MMR, NER, TUR, ...), which schemas.countries maps to the two-letter
# code; P-codes with letters after the prefix (IRQ); and lengths the list gives as alternatives
# (MDG, TZA).
DIGITS_PER_LEVEL: dict[str, tuple[int, ...]] = {
    "AF": (2, 2),  # Afghanistan: AF01, AF0101
    "BD": (2, 2, 2),  # Bangladesh
    "BF": (2, 2, 2),  # Burkina Faso
    "CD": (2, 2),  # DR Congo
    "CF": (2, 1, 1),  # Central African Republic: CF11, CF111, CF1111
    "CM": (3, 3, 3),  # Cameroon: CM001, CM001001
    "CO": (2, 3),  # Colombia: CO05, CO05001
    "ET": (2, 2, 2),  # Ethiopia
    "GT": (2, 2),  # Guatemala
    "HN": (2, 2),  # Honduras
    "HT": (2, 2, 3),  # Haiti
    "KE": (3, 3),  # Kenya
    "LB": (1, 1),  # Lebanon
    "LY": (2, 2),  # Libya
    "ML": (2, 2, 2),  # Mali
    "MW": (1, 2, 2),  # Malawi
    "MZ": (2, 2, 2),  # Mozambique
    "NG": (3, 3, 3),  # Nigeria: NG008, NG008001, NG008001001
    "PK": (1, 2, 2),  # Pakistan
    "PS": (2, 2),  # State of Palestine
    "SD": (2, 3),  # Sudan: SD01, SD01001
    "SO": (2, 2),  # Somalia
    "SS": (2, 2, 2),  # South Sudan
    "SV": (2, 2),  # El Salvador
    "SY": (2, 2, 2),  # Syria: SY07, SY0702, SY070201
    "TD": (2, 2, 2),  # Chad
    "UA": (2, 2, 3),  # Ukraine
    "UG": (1, 3, 2),  # Uganda
    "VE": (2, 2, 2),  # Venezuela
    "YE": (2, 2, 2),  # Yemen
    "ZW": (2, 2, 2),  # Zimbabwe
}
# Any other country: two digits per level, admin 1 to 3.
DEFAULT_DIGITS: tuple[int, ...] = (2, 2, 2)

MAX_ADMIN_LEVEL = 3


def digits_per_level(country: str) -> tuple[int, ...]:
    """Digits each admin level adds to `country`'s P-codes (its two-letter prefix)."""
    return DIGITS_PER_LEVEL.get(country, DEFAULT_DIGITS)


def _lengths(country: str) -> list[int]:
    """Digit counts after the prefix at admin 0, 1, 2, ...: [0, d1, d1 + d2, ...]."""
    return [0, *accumulate(digits_per_level(country))]


def _branch(digits: tuple[int, ...]) -> str:
    """Regex for the digits after the prefix: none, or admin 1, or admin 1 and 2, ..."""
    body = ""
    for n in reversed(digits):
        body = rf"(?:\d{{{n}}}{body})?"
    return body


def _admin_pattern() -> str:
    special = {c: d for c, d in DIGITS_PER_LEVEL.items() if d != DEFAULT_DIGITS}
    branches = [f"{country}{_branch(digits)}" for country, digits in sorted(special.items())]
    others = "|".join(sorted(special))
    branches.append(rf"(?!(?:{others})\d)[A-Z]{{2}}{_branch(DEFAULT_DIGITS)}")
    return rf"^(?:{'|'.join(branches)})$"


# Every admin P-code the table allows (one regex, for pandera's str_matches).
ADMIN_PCODE = re.compile(_admin_pattern())
AREA_ID = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]+)+$")
_SHAPE = re.compile(r"^([A-Z]{2})(\d*)$")


def admin_level_of(pcode: str) -> int | None:
    """The admin level a COD P-code's digits imply for its country, or None for anything else."""
    match = _SHAPE.match(pcode)
    if not match:
        return None
    lengths = _lengths(match.group(1))
    n = len(match.group(2))
    if n not in lengths or lengths.index(n) > MAX_ADMIN_LEVEL:
        return None
    return lengths.index(n)


def ancestor_at(pcode: str, level: int) -> str | None:
    """The P-code of `pcode`'s admin unit at `level` (itself at its own level), or None."""
    own = admin_level_of(pcode)
    if own is None or not 0 <= level <= own:
        return None
    return pcode[: 2 + _lengths(pcode[:2])[level]]


def parent_of(pcode: str) -> str | None:
    """The P-code one admin level up; None for a country, an area id or anything else."""
    level = admin_level_of(pcode)
    return ancestor_at(pcode, level - 1) if level else None


def is_area_id(pcode: str) -> bool:
    """True for a response-area id such as SY-NW-OPP."""
    return bool(AREA_ID.match(pcode))


def level_matches(pcodes: pd.Series, levels: pd.Series) -> pd.Series:
    """Row-wise: an admin P-code has the level its digits imply; an area has no level."""
    expected = pcodes.map(lambda p: admin_level_of(p) if isinstance(p, str) else None)
    area = pcodes.map(lambda p: isinstance(p, str) and is_area_id(p))
    lv = pd.to_numeric(levels, errors="coerce")
    admin_ok = expected.notna() & (lv == pd.to_numeric(expected, errors="coerce"))
    area_ok = area & lv.isna()
    return (admin_ok | area_ok).fillna(False).astype(bool)
