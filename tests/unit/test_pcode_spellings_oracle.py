"""normalise_pcode against OCHA's own matcher (hdx-python-country's AdminLevel), as reference.

For every admin 1 and 2 unit of the shipped global list whose COD prefix is the ISO2 code,
the ISO3 spelling (TCD0704 for TD0704, as HDX HAPI writes it) must come back to the gazetteer's
code both ways. AdminLevel also pads or drops zeroes to fit a length; we never do (a changed
digit is a guess), so only the prefix spelling is compared.
"""

import csv
from pathlib import Path

import pytest
from hdx.location.adminlevel import AdminLevel

from schemas.pcodes import iso3_to_prefix, normalise_pcode

GAZETTEER = Path(__file__).resolve().parents[2] / "data" / "gazetteer"


def _rows(name: str) -> list[dict[str, str]]:
    with (GAZETTEER / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def units() -> list[dict[str, str]]:
    return _rows("global_pcodes_adm1_adm2.csv")


@pytest.mark.parametrize("level", [1, 2])
def test_the_iso3_spelling_of_every_unit_is_one_unit(
    units: list[dict[str, str]], level: int
) -> None:
    matcher = AdminLevel(admin_level=level)
    matcher.setup_from_iterable(units)
    matcher.load_pcode_formats_from_iterable(_rows("global_pcode_lengths.csv"))
    prefix = iso3_to_prefix()
    compared = 0
    for row in units:
        iso3, code = row["Location"], row["P-Code"]
        two = prefix.get(iso3)
        if int(row["Admin Level"]) != level or two is None or len(two) != 2:
            continue
        if not code.startswith(two) or not code[2:].isdigit():
            continue
        spelled = iso3 + code[2:]
        assert matcher.convert_admin_pcode_length(iso3, spelled) == code, spelled
        assert normalise_pcode(spelled) == code, spelled
        assert normalise_pcode(f"  {spelled.lower()} ") == code, spelled
        compared += 1
    assert compared > (2_000 if level == 1 else 25_000)
