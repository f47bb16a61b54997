"""The canonical `figures` table: one row per published number."""

from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.enums import (
    STOCK_METRICS,
    AgeGroup,
    Cause,
    Metric,
    Qualifier,
    Role,
    Sex,
    Unit,
    values,
)
from schemas.pcodes import ADMIN_PCODE, AREA_ID, level_matches

PLACE_PATTERN = f"{ADMIN_PCODE.pattern}|{AREA_ID.pattern}"

# The natural key: the same published number loaded twice gets the same figure_id.
NATURAL_KEY = [
    "source",
    "dataset",
    "publisher",
    "metric",
    "pcode",
    "origin_pcode",
    "period_start",
    "period_end",
    "sex",
    "age_group",
    "unit",
    "cause",
]
# One recommended figure per place, metric, period, disaggregation and cause, across
# publishers: a figure split by cause (DTM's displacement reasons, IDMC's conflict and
# disaster) is one figure per cause, each recommended.
RECOMMENDED_KEY = [
    "metric",
    "pcode",
    "origin_pcode",
    "period_start",
    "period_end",
    "sex",
    "age_group",
    "unit",
    "cause",
]
# What a headline counts: recommended figures in people, for everyone (no disaggregation).
# The dashboard's frames and the store's aggregate queries both apply exactly this rule.
COUNTED_ROLE = Role.RECOMMENDED.value
COUNTED_UNIT = Unit.PEOPLE.value
# Who published a figure: the text of `publisher` before its first comma
# ("OCHA, Flash Update No. 7 (2020-02-28)" is OCHA's); a figure without one is this.
UNKNOWN_PUBLISHER = "unknown publisher"


def organisation(publisher: object) -> str:
    """The organisation of a "Publisher, Title (date)" provenance string."""
    if not isinstance(publisher, str):
        return UNKNOWN_PUBLISHER
    return publisher.split(",", 1)[0].strip() or UNKNOWN_PUBLISHER


COLUMNS = [
    "figure_id",
    "source",
    "dataset",
    "source_record_id",
    "publisher",
    "metric",
    "pcode",
    "admin_level",
    "origin_pcode",
    "period_start",
    "period_end",
    "value",
    "qualifier",
    "cause",
    "sex",
    "age_group",
    "unit",
    "role",
    "excerpt",
    "source_url",
    "retrieved_at",
    "run_id",
    "published_pcode",
]


class FigureModel(pa.DataFrameModel):
    """One published number, with where it came from and what it counts."""

    figure_id: Series[str] = pa.Field(
        str_matches=r"^[0-9a-f]{16}$",
        description="Stable hash of the natural key; reloading the same input changes nothing.",
    )
    source: Series[str] = pa.Field(
        str_matches=r"^[a-z][a-z0-9-]*$", description="The upstream: hxl, hdx-hapi, unhcr, ..."
    )
    dataset: Series[str] = pa.Field(
        str_length={"min_value": 1}, description="The upstream dataset or file name."
    )
    source_record_id: Series[str] = pa.Field(
        nullable=True, description="The upstream's own id of the record, for tracing."
    )
    publisher: Series[str] = pa.Field(
        nullable=True, description="Who published the number and in what (publisher, title)."
    )
    metric: Series[str] = pa.Field(isin=values(Metric), description="What the figure counts.")
    pcode: Series[str] = pa.Field(
        str_matches=PLACE_PATTERN,
        description="Where the figure applies (for displacement: where the people are now).",
    )
    admin_level: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, isin=[0, 1, 2, 3], description="Admin level of pcode; null for an area."
    )
    origin_pcode: Series[str] = pa.Field(
        nullable=True,
        str_matches=PLACE_PATTERN,
        description="Where people came from, for movement figures.",
    )
    period_start: Series[pa.DateTime] = pa.Field(
        description="First day a flow covers; the as-of date of a stock."
    )
    period_end: Series[pa.DateTime] = pa.Field(
        description="Last day a flow covers; the as-of date of a stock."
    )
    value: Series[pd.Int64Dtype] = pa.Field(ge=0, description="The number, as published.")
    qualifier: Series[str] = pa.Field(
        isin=values(Qualifier), description="exact, more_than, less_than or approximately."
    )
    cause: Series[str] = pa.Field(
        nullable=True, isin=values(Cause), description="Why people were displaced."
    )
    sex: Series[str] = pa.Field(
        nullable=True, isin=values(Sex), description="Sex disaggregation; null means all."
    )
    age_group: Series[str] = pa.Field(
        nullable=True, isin=values(AgeGroup), description="Age disaggregation; null means all."
    )
    unit: Series[str] = pa.Field(isin=values(Unit), description="people or households.")
    role: Series[str] = pa.Field(
        isin=values(Role),
        description="recommended (counts in totals) or triangulation (compared, never summed).",
    )
    excerpt: Series[str] = pa.Field(
        nullable=True, description="The source's own words for the figure."
    )
    source_url: Series[str] = pa.Field(
        nullable=True,
        str_matches=r"^https?://",
        description="The page or API call the figure came from (never with credentials).",
    )
    retrieved_at: Series[pd.DatetimeTZDtype("us", "UTC")] = pa.Field(
        description="When the ETL fetched it (UTC)."
    )
    run_id: Series[str] = pa.Field(description="The ETL run that loaded it.")
    published_pcode: Series[str] = pa.Field(
        nullable=True,
        description="The place code as the publisher wrote it, where it differs from pcode "
        "(TCD0704 for TD0704).",
    )

    class Config:
        strict = True
        ordered = False

    @pa.dataframe_check(name="period_start_not_after_end")
    @classmethod
    def _period_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        return df["period_start"] <= df["period_end"]

    @pa.dataframe_check(name="stock_has_one_date")
    @classmethod
    def _stock_one_date(cls, df: pd.DataFrame) -> Series[bool]:
        is_stock = df["metric"].isin([m.value for m in STOCK_METRICS])
        return ~is_stock | (df["period_start"] == df["period_end"])

    @pa.dataframe_check(name="admin_level_matches_pcode")
    @classmethod
    def _level_matches(cls, df: pd.DataFrame) -> Series[bool]:
        return level_matches(df["pcode"], df["admin_level"])

    @pa.dataframe_check(name="unique_natural_key")
    @classmethod
    def _unique_key(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(subset=NATURAL_KEY, keep=False)

    @pa.dataframe_check(name="one_recommended_per_key")
    @classmethod
    def _one_recommended(cls, df: pd.DataFrame) -> Series[bool]:
        recommended = df["role"] == Role.RECOMMENDED.value
        clash = df[recommended].duplicated(subset=RECOMMENDED_KEY, keep=False)
        return ~clash.reindex(df.index, fill_value=False)


# The column a frame-wide check is about, so a rejection names one column, not every one.
CHECK_COLUMNS = {
    "period_start_not_after_end": "period_end",
    "stock_has_one_date": "period_start",
    "admin_level_matches_pcode": "pcode",
    "unique_natural_key": "figure_id",
    "one_recommended_per_key": "role",
    "pcode_in_gazetteer": "pcode",
    "origin_in_gazetteer": "origin_pcode",
}


def figure_schema(known_places: Iterable[str]) -> pa.DataFrameSchema:
    """The figures schema, with the places of the gazetteer as the only valid P-codes."""
    known = frozenset(known_places)
    schema = FigureModel.to_schema()
    # No `error=`: pandera would report it in place of the check name, and the rejection's
    # check and column are looked up by name (the readable reason comes from etl.validate).
    in_gazetteer = pa.Check(lambda s: s.isin(known), name="pcode_in_gazetteer")
    origin_known = pa.Check(lambda s: s.isna() | s.isin(known), name="origin_in_gazetteer")
    schema = schema.update_column("pcode", checks=[*schema.columns["pcode"].checks, in_gazetteer])
    return schema.update_column(
        "origin_pcode", checks=[*schema.columns["origin_pcode"].checks, origin_known]
    )


def empty_figures() -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in COLUMNS})
    frame["admin_level"] = frame["admin_level"].astype("Int64")
    frame["value"] = frame["value"].astype("Int64")
    for col in ("period_start", "period_end"):
        frame[col] = frame[col].astype("datetime64[us]")
    frame["retrieved_at"] = frame["retrieved_at"].astype("datetime64[us, UTC]")
    return frame
