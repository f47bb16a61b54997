"""The pipeline of one source: fetch -> map -> validate -> load, recorded in etl_runs."""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from etl.errors import EtlError
from etl.sources.hxl import MapContext, map_hxl, read_hxl
from etl.store import Store, reads, writes
from etl.store.writes import Changes
from etl.validate import validate_figures
from schemas.runs import Rejection

Progress = Callable[[Iterable], Iterable]


@dataclass
class RunReport:
    """What one run of one source did; the caller decides what it means for the exit code."""

    run_id: str
    source: str
    dataset: str
    status: str = "running"
    rows_fetched: int = 0
    figures_mapped: int = 0
    rows_loaded: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    ignored_columns: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when the run loaded."""
        return self.status == "loaded"

    def summary(self) -> str:
        """One line: what loaded, what changed, what was refused."""
        if not self.ok:
            return f"{self.source}: {self.dataset}: FAILED: {self.message}"
        c = self.changes
        line = (
            f"{self.source}: {self.dataset}: loaded {self.rows_loaded} figures "
            f"({c.added} added, {c.changed} changed, {c.removed} removed, {c.unchanged} unchanged)"
        )
        if self.rejections:
            line += f"; {len(self.rejections)} rejected"
        return line


def new_run_id(source: str) -> str:
    """A unique, sortable id for a run."""
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{source}-{uuid.uuid4().hex[:6]}"


def import_hxl(
    store: Store,
    path: Path,
    *,
    source: str = "hxl",
    dataset: str | None = None,
    max_rejected_share: float = 0.25,
    progress: Progress | None = None,
) -> RunReport:
    """Import one HXL-tagged CSV as `source`; its figures replace that dataset's, or nothing."""
    report = RunReport(new_run_id(source), source, dataset or path.name)
    writes.start_run(store.engine, report.run_id, source, report.dataset)
    try:
        table = read_hxl(path)
        report.rows_fetched = len(table.rows)
        ctx = MapContext(source, report.dataset, report.run_id, dt.datetime.now(dt.UTC))
        mapped = map_hxl(table, ctx, progress=progress)
        report.ignored_columns = mapped.ignored_columns
        report.figures_mapped = len(mapped.figures)
        checked = validate_figures(
            mapped.figures, reads.known_places(store.engine), mapped.row_numbers
        )
        report.rejections = mapped.rejections + checked.rejections
        report.rejections.sort(key=lambda r: (r.row is None, r.row or 0))
        attempted = report.figures_mapped + len(mapped.rejections)
        # A figure can fail several checks: the share counts figures, not failures.
        rejected = len(mapped.rejections) + report.figures_mapped - len(checked.valid)
        share = rejected / attempted if attempted else 1.0
        if attempted == 0:
            raise EtlError("no figures in the file (every value cell is empty)")
        if checked.valid.empty or share > max_rejected_share:
            raise EtlError(
                f"{rejected} of {attempted} figures rejected "
                f"({share:.0%} > {max_rejected_share:.0%} allowed); nothing loaded"
            )
        report.changes = writes.replace_figures(store.engine, source, report.dataset, checked.valid)
        report.rows_loaded = len(checked.valid)
        report.status = "loaded"
        report.message = _message(report)
    except EtlError as exc:
        report.status = "failed"
        report.message = str(exc)
    except Exception as exc:
        # The run log must say why a run died, whatever killed it; the caller still sees it.
        _finish(store, report, "failed", f"{type(exc).__name__}: {exc}")
        raise
    _finish(store, report, report.status, report.message)
    return report


def _message(report: RunReport) -> str:
    parts = [report.summary()]
    if report.ignored_columns:
        parts.append("ignored columns: " + ", ".join(report.ignored_columns))
    return "; ".join(parts)


def _finish(store: Store, report: RunReport, status: str, message: str) -> None:
    writes.finish_run(
        store.engine,
        report.run_id,
        report.source,
        status=status,
        rows_fetched=report.rows_fetched,
        rows_loaded=report.rows_loaded,
        rejections=report.rejections,
        message=message,
    )
