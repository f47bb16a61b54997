"""Dated events drawn as annotations on time series."""

import pandera.pandas as pa
from pandera.typing import Series


class EventModel(pa.DataFrameModel):
    """A dated turning point, with where it happened and who reported it."""

    date: Series[pa.DateTime] = pa.Field(description="The day it happened.")
    pcode: Series[str] = pa.Field(description="The place it concerns (P-code or area id).")
    title: Series[str] = pa.Field(
        str_length={"min_value": 1, "max_value": 120}, description="What happened."
    )
    source_url: Series[str] = pa.Field(str_matches=r"^https?://", description="Who reported it.")

    class Config:
        strict = "filter"
