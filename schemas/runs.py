"""Records of ETL runs and of the rows they rejected."""

from dataclasses import dataclass
from typing import Any


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
