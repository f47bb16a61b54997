"""The CCCM Cluster's ISIMM monthly site files, as published: one row per IDP site."""

import pandera.pandas as pa
from pandera.typing import Series

COUNT_COLUMNS = ("girls", "boys", "women", "men", "individual")


class IsimmSiteModel(pa.DataFrameModel):
    """One IDP site in one month (cells as published text; counts are checked when mapped)."""

    PCODE: Series[str] = pa.Field(nullable=True, description="The site's CCCM code (CP...).")
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
