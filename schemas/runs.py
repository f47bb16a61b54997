"""Records of ETL runs and of the rows they rejected."""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.enums import RunStatus, values


class RejectionCode(StrEnum):
    """Why a row was refused: one stable code per kind of problem, as frictionless keeps its
    error codes. `Rejection.check` is one of these; `etl.validate` words each for people."""

    # A cell that cannot be read as what its column holds.
    NUMBER_FORMAT = "number_format"  # not a whole, unambiguous count
    NUMBER_RANGE = "number_range"  # negative, or implausibly large
    DATE_FORMAT = "date_format"  # not an ISO date (or ambiguous)
    DATE_MISSING = "date_missing"
    DATE_TIME_OF_DAY = "date_time_of_day"  # a timestamp that is no calendar date
    EVENT_DATES = "event_dates"  # an event that ends before it starts
    PERIOD = "period"  # a period the figure's metric cannot have
    QUALIFIER_VALUE = "qualifier_value"
    SUM_QUALIFIER = (
        "sum_qualifier"  # units whose qualifiers cannot be added ("more than" + "less than")
    )
    ROLE_VALUE = "role_value"
    CAUSE_VALUE = "cause_value"
    VALUE_MISSING = "value_missing"
    UPSTREAM_ERROR = "upstream_error"  # the upstream flagged the row itself
    # Where the figure applies.
    COUNTRY_CODE = "country_code"  # no ISO 3166 country, so no admin 0 P-code
    PCODE_FORMAT = "pcode_format"  # not a COD P-code of its level under its parent
    PCODE_PARENT = "pcode_parent"  # a unit under another parent than the row says
    PARENT_UNKNOWN = "parent_unknown"  # a unit the gazetteer lacks, under one it lacks too
    PLACE_NAME = "place_name"  # a unit to add from the publication, without a name
    PLACE_MATCH = "place_match"  # a name that matches no unit
    PLACE_MISMATCH = "place_mismatch"  # code and name point at different units
    PLACE_MISSING = "place_missing"
    PLACE_UNSPECIFIED = "place_unspecified"  # the upstream says the place is not given
    # The figures schema (schemas.figures): its named checks and pandera's built-in ones.
    PERIOD_START_NOT_AFTER_END = "period_start_not_after_end"
    STOCK_HAS_ONE_DATE = "stock_has_one_date"
    ADMIN_LEVEL_MATCHES_PCODE = "admin_level_matches_pcode"
    UNIQUE_NATURAL_KEY = "unique_natural_key"
    ONE_RECOMMENDED_PER_KEY = "one_recommended_per_key"
    PCODE_IN_GAZETTEER = "pcode_in_gazetteer"
    ORIGIN_IN_GAZETTEER = "origin_in_gazetteer"
    NOT_NULLABLE = "not_nullable"
    ISIN = "isin"
    STR_MATCHES = "str_matches"
    STR_LENGTH = "str_length"
    GREATER_THAN_OR_EQUAL_TO = "greater_than_or_equal_to"
    DTYPE = "dtype"
    COLUMN_IN_DATAFRAME = "column_in_dataframe"


def code_of(check: str) -> RejectionCode | None:
    """The code of a check name, pandera's arguments left off ("isin(['a'])" is ISIN)."""
    base = re.sub(r"\(.*\)$", "", check, flags=re.S)
    try:
        return RejectionCode(base)
    except ValueError:
        return None


@dataclass(slots=True)
class Rejection:
    """One input row refused, with the column and check that refused it.

    Not frozen, though nothing changes one: a response may refuse many thousands of records,
    and a frozen dataclass sets each field through object.__setattr__ (four times the cost).
    """

    row: int | None
    column: str | None
    check: str
    reason: str
    value: Any = None
    record: dict[str, Any] | None = None

    def describe(self) -> str:
        """A one-line human description: row, column, problem and value."""
        where = f"row {self.row}" if self.row is not None else "file"
        col = f", column {self.column}" if self.column else ""
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{where}{col}: {self.reason}{shown}"


class EtlRunModel(pa.DataFrameModel):
    """One run of one source, as the `etl_runs` table records it."""

    run_id: Series[str] = pa.Field(unique=True, description="Sortable id: time, source, suffix.")
    source: Series[str] = pa.Field(description="The source the run pulled.")
    dataset: Series[str] = pa.Field(nullable=True, description="The datasets it loaded.")
    started_at: Series[pa.DateTime] = pa.Field(description="When it started (UTC).")
    finished_at: Series[pa.DateTime] = pa.Field(
        nullable=True, description="When it ended (UTC); null while it runs."
    )
    status: Series[str] = pa.Field(
        isin=[*values(RunStatus), "dry-run"], description="running, loaded, failed or dry-run."
    )
    rows_fetched: Series[int] = pa.Field(ge=0, description="Upstream records read.")
    rows_loaded: Series[int] = pa.Field(ge=0, description="Figures loaded.")
    rows_rejected: Series[int] = pa.Field(ge=0, description="Upstream records refused.")
    message: Series[str] = pa.Field(nullable=True, description="What happened, or why it failed.")

    class Config:
        strict = "filter"


class RejectionModel(pa.DataFrameModel):
    """One refused input record, as the `rejections` table records it."""

    run_id: Series[str] = pa.Field(description="The run that refused it.")
    source: Series[str] = pa.Field(description="The source it came from.")
    row_number: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, description="Its row in the input; null for a whole-file problem."
    )
    record: Series[str] = pa.Field(nullable=True, description="The record, as JSON.")
    column: Series[str] = pa.Field(nullable=True, description="The column at fault.")
    check: Series[str] = pa.Field(description="The check it failed, a stable code.")
    reason: Series[str] = pa.Field(description="A one-line human explanation.")

    class Config:
        strict = "filter"
