"""The gazetteer: admin units (OCHA COD P-codes) and response areas with their members."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.enums import PlaceKind, values
from schemas.figures import PLACE_PATTERN
from schemas.pcodes import level_matches, parent_of

PLACE_COLUMNS = ["pcode", "kind", "name", "name_ar", "admin_level", "parent_pcode", "lat", "lon"]
# The store's places also say which publication added a unit the gazetteer lacked.
ADDED_FROM = "added_from"


class PlaceModel(pa.DataFrameModel):
    """One place figures can be reported for."""

    pcode: Series[str] = pa.Field(
        unique=True, str_matches=PLACE_PATTERN, description="COD P-code, or an area id."
    )
    kind: Series[str] = pa.Field(isin=values(PlaceKind), description="admin or area.")
    name: Series[str] = pa.Field(str_length={"min_value": 1}, description="English name.")
    name_ar: Series[str] = pa.Field(nullable=True, description="Arabic name.")
    admin_level: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, isin=[0, 1, 2, 3], description="Admin level; null for an area."
    )
    parent_pcode: Series[str] = pa.Field(
        nullable=True, description="The admin unit one level up; null for a country or area."
    )
    lat: Series[float] = pa.Field(
        nullable=True, ge=-90, le=90, description="Centroid latitude (seat town)."
    )
    lon: Series[float] = pa.Field(
        nullable=True, ge=-180, le=180, description="Centroid longitude (seat town)."
    )
    added_from: Series[str] | None = pa.Field(
        nullable=True,
        description="The publication a unit was added from (the gazetteer lacked it); "
        "null for the gazetteer's own units.",
    )

    class Config:
        strict = "filter"

    @pa.dataframe_check(name="admin_level_matches_pcode")
    @classmethod
    def _level(cls, df: pd.DataFrame) -> Series[bool]:
        return level_matches(df["pcode"], df["admin_level"])

    @pa.dataframe_check(name="parent_is_one_level_up")
    @classmethod
    def _parent(cls, df: pd.DataFrame) -> Series[bool]:
        ok = [
            not isinstance(parent, str) or parent == parent_of(code)
            for code, parent in zip(df["pcode"], df["parent_pcode"], strict=True)
        ]
        return pd.Series(ok, index=df.index)


class PlaceMemberModel(pa.DataFrameModel):
    """An admin unit that belongs to a response area."""

    area_pcode: Series[str] = pa.Field(description="The area's id.")
    member_pcode: Series[str] = pa.Field(description="An admin P-code inside the area.")

    class Config:
        strict = "filter"
        unique = ("area_pcode", "member_pcode")
