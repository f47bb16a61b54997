"""The CCCM Cluster's ISIMM monthly site files, as published: one row per IDP site.

Column names drift between years (`Waste Removal`, `Waste_Removal`, an empty header from
2020) and the 2017 files have no `PCODE`: the connector reads headers by their normalised
names (case, spaces and punctuation ignored) into the names below.
"""

import pandera.pandas as pa
from pandera.typing import Series

SPLIT_COLUMNS = ("girls", "boys", "women", "men")
COUNT_COLUMNS = (*SPLIT_COLUMNS, "individual")
# The columns a month must have; PCODE (the site's code) is there from 2018 only.
REQUIRED_COLUMNS = ("governorate", "district", "camp_name", *COUNT_COLUMNS)
# The columns read by name; any other column is kept under its published header.
KNOWN_COLUMNS = ("PCODE", "governorate", "district", "cluster", "camp_name", "geo", "TypeSite")


class IsimmSiteModel(pa.DataFrameModel):
    """One IDP site in one month (cells as published text; counts are checked when mapped)."""

    PCODE: Series[str] | None = pa.Field(
        nullable=True, description="The site's CCCM code (CP...); absent from the 2017 files."
    )
    governorate: Series[str] = pa.Field(nullable=True, description="Governorate name.")
    district: Series[str] = pa.Field(nullable=True, description="District name, as spelt.")
    camp_name: Series[str] = pa.Field(nullable=True, description="Site name.")
    girls: Series[str] = pa.Field(nullable=True, description="Girls in the site.")
    boys: Series[str] = pa.Field(nullable=True, description="Boys in the site.")
    women: Series[str] = pa.Field(nullable=True, description="Women in the site.")
    men: Series[str] = pa.Field(nullable=True, description="Men in the site.")
    individual: Series[str] = pa.Field(nullable=True, description="People in the site.")

    class Config:
        strict = False  # service scores and an unnamed column come and go between months
