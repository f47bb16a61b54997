"""UNHCR Refugee Statistics API (population/v1): what its `population` and `idmc` items promise."""

import pandera.pandas as pa
from pandera.typing import Series


class UnhcrItemModel(pa.DataFrameModel):
    """One item: a year, a country of origin and one of asylum (ISO3, or "-" for all)."""

    year: Series[int] = pa.Field(ge=1950, le=2100, description="The year the stock is for.")
    coo_iso: Series[str] = pa.Field(description="Country of origin, ISO3 (or '-').")
    coa_iso: Series[str] = pa.Field(description="Country of asylum, ISO3 (or '-').")
    coo_name: Series[str] = pa.Field(nullable=True, description="Country of origin, name.")
    coa_name: Series[str] = pa.Field(nullable=True, description="Country of asylum, name.")

    class Config:
        strict = False  # counts vary by endpoint; they are read by name when mapping


# The counts each endpoint carries (numbers or strings; "-" means not applicable).
COUNTS = {
    "population": ("refugees", "idps", "returned_idps"),
    "idmc": ("total",),
}
