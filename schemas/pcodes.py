"""Rules for place identifiers: OCHA COD P-codes and response-area ids."""

import re

import pandas as pd

# A COD P-code is a two-letter country prefix and two digits per admin level (SY, SY07,
# SY0702, SY070201). Response areas carry an id of their own with a hyphen (SY-NW-OPP).
ADMIN_PCODE = re.compile(r"^[A-Z]{2}(?:\d{2}){0,3}$")
AREA_ID = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]+)+$")


def admin_level_of(pcode: str) -> int | None:
    """The admin level a COD P-code's length implies, or None for anything else."""
    if not ADMIN_PCODE.match(pcode):
        return None
    return (len(pcode) - 2) // 2


def is_area_id(pcode: str) -> bool:
    """True for a response-area id such as SY-NW-OPP."""
    return bool(AREA_ID.match(pcode))


def level_matches(pcodes: pd.Series, levels: pd.Series) -> pd.Series:
    """Row-wise: an admin P-code has the level its length implies; an area has no level."""
    expected = pcodes.map(lambda p: admin_level_of(p) if isinstance(p, str) else None)
    area = pcodes.map(lambda p: isinstance(p, str) and is_area_id(p))
    lv = pd.to_numeric(levels, errors="coerce")
    admin_ok = expected.notna() & (lv == pd.to_numeric(expected, errors="coerce"))
    area_ok = area & lv.isna()
    return (admin_ok | area_ok).fillna(False).astype(bool)
