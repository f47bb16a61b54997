"""UNHCR Refugee Statistics API (population/v1) items as served, `population` and `idmc`.

Cells keep their JSON types (frames of dtype object). A count is a JSON number or a string
("2347756", "0"), and "-" means not applicable: the type is checked here, the text of a
string count when mapping (a non-numeric string refuses that cell, not the page). Fields
from UNHCR's API page (api.unhcr.org/docs/refugee-statistics.html), the R package
`refugees` and responses quoted by third parties.
"""

import pandera.pandas as pa
from pandera.typing import Series

from schemas.raw.hdx_hapi import cells_check, is_text, per_type, per_value

NOT_APPLICABLE = "-"


def is_year(value: object) -> bool:
    """True for a JSON integer year UNHCR could hold (1951 onwards)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1950 <= value <= 2100


def is_count(value: object) -> bool:
    """True for a JSON number or string (what a count cell may be), or null."""
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_country_code(value: object) -> bool:
    """True for a three-character code, or "-" where the item is summed over countries."""
    return isinstance(value, str) and (value == NOT_APPLICABLE or len(value) == 3)


class UnhcrItemModel(pa.DataFrameModel):
    """One item: a year, a country of origin and a country of asylum ("-" when summed)."""

    year: Series[object] = pa.Field(description="The year of the end-year (or mid-year) stock.")
    coo_iso: Series[object] = pa.Field(
        description="Country of origin, ISO 3166 alpha-3 (or UNHCR's XXA, UNK, ...), '-' if summed."
    )
    coo_name: Series[object] = pa.Field(nullable=True, description="Country of origin, name.")
    coa_iso: Series[object] = pa.Field(
        description="Country of asylum, ISO 3166 alpha-3, '-' when summed over asylum countries."
    )
    coa_name: Series[object] = pa.Field(nullable=True, description="Country of asylum, name.")

    class Config:
        strict = False  # ids, UNHCR's own codes and counts not used are kept, not checked

    @cells_check("year", name="year")
    @classmethod
    def _year(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_year)

    @cells_check("coo_iso", "coa_iso", name="country_code")
    @classmethod
    def _code(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_country_code)

    @cells_check("coo_name", "coa_name", name="text")
    @classmethod
    def _name(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)


class UnhcrPopulationModel(UnhcrItemModel):
    """An item of `population/`: UNHCR's own stocks (and returns over the year)."""

    refugees: Series[object] = pa.Field(
        nullable=True, description="Refugees under UNHCR's mandate (incl. refugee-like), end-year."
    )
    idps: Series[object] = pa.Field(
        nullable=True, description="IDPs of concern to UNHCR (conflict-induced), end-year."
    )
    returned_idps: Series[object] = pa.Field(
        nullable=True, description="IDPs of concern who returned home during the year."
    )

    @cells_check("refugees", "idps", "returned_idps", name="count")
    @classmethod
    def _count(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_count)


class UnhcrIdmcModel(UnhcrItemModel):
    """An item of `idmc/`: IDMC's IDPs displaced by conflict and violence, as UNHCR republishes."""

    total: Series[object] = pa.Field(
        nullable=True, description="IDPs (conflict, violence) in the country of origin, end-year."
    )

    @cells_check("total", name="count")
    @classmethod
    def _count(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_count)


# Endpoint (the dataset name) -> the model of its items.
MODELS: dict[str, type[UnhcrItemModel]] = {
    "population": UnhcrPopulationModel,
    "idmc": UnhcrIdmcModel,
}
