"""Records of ETL runs and of the rows they rejected."""

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.enums import RunStatus, values


@dataclass(frozen=True)
class Rejection:
    """One input row refused, with the column and check that refused it."""

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
