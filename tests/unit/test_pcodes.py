"""P-code rules per country: digits per admin level from OCHA's P-code lengths, 2 by default."""

import csv
import itertools
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.pcode_lengths import PCODE_LENGTHS
from schemas.pcodes import (
    ADMIN_PCODE,
    DEFAULT_DIGITS,
    DIGITS_PER_LEVEL,
    admin_level_of,
    ancestor_at,
    digits_per_level,
    is_area_id,
    level_matches,
    normalise_pcode,
    parent_of,
)
from schemas.places import PlaceModel


@pytest.mark.parametrize(
    ("pcode", "level", "parent"),
    [
        # Syria: two digits per level.
        ("SY", 0, None),
        ("SY07", 1, "SY"),
        ("SY0702", 2, "SY07"),
        ("SY070200", 3, "SY0702"),
        # Sudan: two at admin 1, three at admin 2; the COD has no admin 3.
        ("SD", 0, None),
        ("SD01", 1, "SD"),
        ("SD01001", 2, "SD01"),
        # Nigeria: three at every level.
        ("NG008", 1, "NG"),
        ("NG008001", 2, "NG008"),
        ("NG008001001", 3, "NG008001"),
        # Afghanistan: two per level, admin 1 and 2 only.
        ("AF01", 1, "AF"),
        ("AF0101", 2, "AF01"),
        # A country not in the table: two per level up to admin 3.
        ("XK", 0, None),
        ("XK01", 1, "XK"),
        ("XK0102", 2, "XK01"),
        ("XK010203", 3, "XK0102"),
    ],
)
def test_level_and_parent(pcode: str, level: int, parent: str | None) -> None:
    assert admin_level_of(pcode) == level
    assert parent_of(pcode) == parent
    assert ADMIN_PCODE.match(pcode)


@pytest.mark.parametrize(
    "pcode",
    [
        "SY070",  # odd number of digits for Syria
        "SY07020101",  # deeper than admin 3
        "SD0101",  # Syria's shape, but Sudan has three digits at admin 2
        "SD01001001",  # Sudan stops at admin 2
        "NG08",  # Nigeria has three digits at admin 1
        "NG00800",
        "AF010101",  # Afghanistan stops at admin 2
        "XK010",  # default: two per level
        "XK01020304",
        "NER001",  # ISO3 prefix: not in the table (see schemas.pcodes)
        "sy07",
        "SY-07",
        "",
    ],
)
def test_codes_off_the_country_pattern_are_refused(pcode: str) -> None:
    assert admin_level_of(pcode) is None
    assert parent_of(pcode) is None
    assert not ADMIN_PCODE.match(pcode)


def test_table_and_default() -> None:
    assert digits_per_level("SY") == (2, 2, 2)
    assert digits_per_level("SD") == (2, 3)
    assert digits_per_level("NG") == (3, 3, 3)
    assert digits_per_level("XK") == DEFAULT_DIGITS == (2, 2, 2)
    assert digits_per_level("BDI") == (3, 3)  # Burundi's P-codes begin with its ISO3 code
    assert all(len(prefix) in (2, 3) and prefix.isupper() for prefix in DIGITS_PER_LEVEL)
    assert all(len(d) <= 5 and all(n >= 1 for n in d) for d in DIGITS_PER_LEVEL.values())


def test_ancestors_walk_up_to_the_country() -> None:
    assert [ancestor_at("NG008001001", level) for level in range(4)] == [
        "NG",
        "NG008",
        "NG008001",
        "NG008001001",
    ]
    assert ancestor_at("SD01001", 3) is None
    assert ancestor_at("SD01001", -1) is None
    assert ancestor_at("SY-NW", 0) is None


def test_regex_agrees_with_the_level_function() -> None:
    # Every prefix in the table and one outside it, every digit count up to 11.
    for country in [*DIGITS_PER_LEVEL, "XK"]:
        for n in range(12):
            pcode = country + "".join(itertools.islice(itertools.cycle("0123456789"), n))
            assert bool(ADMIN_PCODE.match(pcode)) == (admin_level_of(pcode) is not None), pcode


def test_area_ids_are_not_admin_codes() -> None:
    assert is_area_id("SY-NW-OPP")
    assert admin_level_of("SY-NW-OPP") is None
    assert not is_area_id("SY07")


def test_level_matches_uses_the_country_rules() -> None:
    pcodes = pd.Series(["SD01001", "SD01001", "NG008", "SY0702", "SY-NW", "SY-NW"])
    levels = pd.Series([2, 3, 1, 2, None, 1], dtype="Int64")
    assert level_matches(pcodes, levels).tolist() == [True, False, True, True, True, False]


def _places(*rows: tuple[str, int, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pcode": [r[0] for r in rows],
            "kind": "admin",
            "name": [r[0] for r in rows],
            "name_ar": None,
            "admin_level": pd.array([r[1] for r in rows], dtype="Int64"),
            "parent_pcode": [r[2] for r in rows],
            "lat": float("nan"),
            "lon": float("nan"),
        }
    )


def test_gazetteer_accepts_sudan_and_nigeria_hierarchies() -> None:
    frame = _places(
        ("SD", 0, None),
        ("SD01", 1, "SD"),
        ("SD01001", 2, "SD01"),
        ("NG", 0, None),
        ("NG008", 1, "NG"),
        ("NG008001", 2, "NG008"),
    )
    assert len(PlaceModel.validate(frame, lazy=True)) == 6


def test_gazetteer_refuses_a_parent_that_is_not_one_level_up() -> None:
    frame = _places(("SD", 0, None), ("SD01", 1, "SD"), ("SD01001", 2, "SD"))
    with pytest.raises(pa.errors.SchemaErrors) as err:
        PlaceModel.validate(frame, lazy=True)
    assert "parent_is_one_level_up" in set(err.value.failure_cases["check"])


def test_the_lengths_table_is_the_shipped_global_list() -> None:
    """schemas.pcode_lengths says what data/gazetteer/global_pcode_lengths.csv says."""
    path = Path(__file__).resolve().parents[2] / "data" / "gazetteer" / "global_pcode_lengths.csv"
    with path.open(encoding="utf-8") as handle:
        rows = {r["Location"]: r for r in csv.DictReader(handle)}
    for prefix, (iso3, digits) in PCODE_LENGTHS.items():
        row = rows[iso3]
        assert len(prefix) == int(row["Country Length"]), iso3
        listed = [row[f"Admin {n} Length"] for n in range(1, len(digits) + 1)]
        assert [int(v) for v in listed] == list(digits), iso3
    assert digits_per_level("NG") == (3, 3, 3)  # Nigeria, read from the list
    assert digits_per_level("TD") == (2, 2, 2)


@pytest.mark.parametrize(
    ("published", "stored"),
    [
        ("TD0704", "TD0704"),
        ("TCD0704", "TD0704"),  # HAPI rewrites DTM's codes with the ISO3 prefix
        ("MLI07             ", "ML07"),  # DTM Mali, trailing spaces
        ("mli090101", "ML090101"),
        (" sy07 ", "SY07"),
        ("SYR", "SY"),
        ("BDI001", "BDI001"),  # the COD itself uses the ISO3 prefix
        ("IQG01Q01", "IQG01Q01"),
        ("Not available", None),
        ("nan", None),
        ("  ", None),
        (None, None),
        (7, None),
    ],
)
def test_one_unit_several_spellings(published: object, stored: str | None) -> None:
    assert normalise_pcode(published) == stored


def test_codes_with_letters_where_the_cod_has_them() -> None:
    assert admin_level_of("IQG01Q01") == 2  # Iraq
    assert parent_of("MMR001D001") == "MMR001"  # Myanmar
    assert admin_level_of("SY07A1") is None  # Syria's codes are digits
