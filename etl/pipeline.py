"""The pipeline of one source: fetch -> map -> validate -> load, recorded in etl_runs."""

import dataclasses
import datetime as dt
import gc
import resource
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from etl import sources
from etl.errors import EtlError, InputError
from etl.sources.base import Connector, Fetched, MapContext
from etl.store import Store, reads, writes
from etl.store.writes import Changes
from etl.validate import validate_figures
from schemas.places import ADDED_FROM
from schemas.runs import Rejection

Progress = Callable[[Iterable], Iterable]
OUT_OF_MEMORY = "out of memory (MemoryError); split the input, or lower ETL_MAX_INPUT_MB"


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
    notes: list[str] = field(default_factory=list)
    # Figures the input gives twice, same place, period, metric and number: kept once, never
    # a rejection (a publisher repeating a row is not a fault in the row).
    published_twice: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when the run loaded."""
        return self.status in ("loaded", "dry-run")

    def summary(self) -> str:
        """One line: what loaded, what changed, what was refused."""
        if not self.ok:
            return f"{self.source}: {self.dataset}: FAILED: {self.message}"
        c = self.changes
        if self.status == "dry-run":
            return (
                f"{self.source}: {self.dataset}: dry run, nothing loaded: would add {c.added}, "
                f"change {c.changed}, remove {c.removed}, keep {c.unchanged}"
            )
        line = (
            f"{self.source}: {self.dataset}: loaded {self.rows_loaded} figures "
            f"({c.added} added, {c.changed} changed, {c.removed} removed, {c.unchanged} unchanged)"
        )
        if self.published_twice:
            line += f"; {self.published_twice} published twice, kept once"
        if self.rejections:
            line += f"; {len(self.rejections)} rejected"
        return line


def new_run_id(source: str) -> str:
    """A unique, sortable id for a run."""
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{source}-{uuid.uuid4().hex[:6]}"


def run_source(
    store: Store,
    connector: Connector,
    responses: Iterable[Fetched],
    *,
    dataset: str | None = None,
    max_rejected_share: float = 0.25,
    progress: Progress | None = None,
    dry_run: bool = False,
    label: str = "",
    notes: Callable[[str], None] | None = None,
) -> RunReport:
    """Read, map, validate and load one source's responses: all of them, or nothing.

    `label` names the input in messages until the responses name their datasets.
    """
    name = connector.name
    report = RunReport(new_run_id(name), name, dataset or label)
    note = notes or (lambda _text: None)
    writes.start_run(store.engine, report.run_id, name, dataset)

    def attempt() -> None:
        # Every frame this run builds lives here: when memory runs out, clearing this
        # function's frame frees them before the run log is written.
        clock = time.perf_counter()
        places = reads.places(store.engine)
        parts, rows, datasets, added_places = [], [], [], []
        superseded: list[str] = []  # names the same publications were stored under before
        mapped_rejections: list[Rejection] = []
        # Which upstream record each figure came from, to count rejected records, not checks.
        origins: list[tuple[int, int]] = []
        refused: set[tuple[int, int | None]] = set()
        records = 0
        # Fetching happens as this loop pulls responses: a network fault lands here too.
        for i, fetched in enumerate(progress(responses) if progress else responses):
            served = connector.read(fetched)
            ds = dataset or served.dataset
            datasets.append(ds)
            if dataset is None:
                superseded += served.supersedes
            served_count = len(served.frame)
            report.rows_fetched += served_count
            ctx = MapContext(name, ds, report.run_id, fetched.retrieved_at, fetched.url)
            mapped = connector.to_figures(served, ctx, places)
            # A response's bytes and records are done with once mapped: let them go before
            # the next is read and before the figures are checked and written.
            del fetched, served
            parts.append(mapped.figures)
            if mapped.new_places is not None and not mapped.new_places.empty:
                added_places.append(mapped.new_places)
            rows += mapped.row_numbers
            origins += [(i, r) for r in mapped.row_numbers]
            refused |= {(i, r.row) for r in mapped.rejections}
            records += mapped.rows_read or served_count
            mapped_rejections += mapped.rejections
            report.ignored_columns = list(
                dict.fromkeys([*report.ignored_columns, *mapped.ignored_columns])
            )
            report.notes = list(dict.fromkeys([*report.notes, *mapped.notes]))
        report.dataset = ", ".join(dict.fromkeys(datasets)) or report.dataset
        note(_rate("read and mapped", records, clock))
        clock = time.perf_counter()
        figures = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if connector.settle is not None and not figures.empty:
            figures = connector.settle(figures)
        repeat = repeats(figures)
        if repeat.any():
            report.published_twice = int(repeat.sum())
            figures = figures[~repeat].reset_index(drop=True)
            rows = [r for r, again in zip(rows, repeat, strict=True) if not again]
            origins = [o for o, again in zip(origins, repeat, strict=True) if not again]
        report.figures_mapped = len(figures)
        new_places = (
            pd.concat(added_places, ignore_index=True)
            .drop_duplicates("pcode")
            .assign(**{ADDED_FROM: f"{name}: {report.dataset}"})
            if added_places
            else None
        )
        known = set(places["pcode"].tolist()) | (
            set(new_places["pcode"].tolist()) if new_places is not None else set()
        )
        checked = validate_figures(figures, known, rows)
        note(_rate("validated", len(figures), clock))
        clock = time.perf_counter()
        report.rejections = mapped_rejections + checked.rejections
        report.rejections.sort(key=lambda r: (r.row is None, r.row or 0))
        if report.figures_mapped + len(mapped_rejections) == 0:
            raise EtlError("no figures in the response (nothing to load)")
        # A record can fail several checks, or give several figures: the share counts records.
        kept = set(checked.valid.index)
        refused |= {origins[p] for p in range(len(origins)) if p not in kept}
        attempted = max(records, len(refused))
        share = len(refused) / attempted if attempted else 1.0
        if checked.valid.empty:
            raise EtlError(f"every figure was rejected ({len(refused)} records); nothing loaded")
        if share > max_rejected_share:
            raise EtlError(
                f"{len(refused)} of {attempted} records rejected "
                f"({share:.0%} > {max_rejected_share:.0%} allowed); nothing loaded"
            )
        report.changes = writes.replace_figures(
            store.engine,
            name,
            list(dict.fromkeys(datasets + superseded)),
            checked.valid,
            dry_run=dry_run,
            new_places=new_places,
        )
        note(_rate("loaded" if not dry_run else "compared", len(checked.valid), clock))
        report.rows_loaded = 0 if dry_run else len(checked.valid)
        report.status = "dry-run" if dry_run else "loaded"
        report.message = _message(report)

    try:
        attempt()
    except EtlError as exc:
        report.status = "failed"
        report.message = str(exc)
    except MemoryError as exc:
        # The traceback keeps the frames of the run alive; cleared, they free the memory
        # that writing the run log (and the caller's clean exit) needs.
        traceback.clear_frames(exc.__traceback__)
        gc.collect()  # frames and pandas objects in reference cycles
        _finish(store, report, "failed", OUT_OF_MEMORY)
        raise
    except Exception as exc:
        # The run log must say why a run died, whatever killed it; the caller still sees it.
        _finish(store, report, "failed", f"{type(exc).__name__}: {exc}")
        raise
    _finish(store, report, report.status, report.message)
    return report


# What makes two rows of one input the same published figure.
SAME_FIGURE = ["figure_id", "value", "qualifier"]


def repeats(figures: pd.DataFrame) -> np.ndarray:
    """True for each figure that repeats an earlier one of the input (same key, same number).

    Two rows with the same key and different numbers are no repeat: validation refuses them.
    """
    if figures.empty or "figure_id" not in figures:
        return np.zeros(len(figures), dtype=bool)
    return figures.duplicated(subset=SAME_FIGURE, keep="first").to_numpy()


def import_file(
    store: Store,
    source: str,
    path: Path,
    *,
    dataset: str | None = None,
    max_rejected_share: float = 0.25,
    notes: Callable[[str], None] | None = None,
    max_input_bytes: int | None = None,
) -> RunReport:
    """Import one response saved from `source` (as the upstream served it).

    A file bigger than `max_input_bytes` fails the run before a byte of it is read.
    """
    connector = sources.connector(source)

    def responses() -> Iterator[Fetched]:
        check_input_size(path, max_input_bytes)
        yield Fetched.from_file(path)

    return run_source(
        store,
        connector,
        responses(),
        dataset=dataset,
        max_rejected_share=max_rejected_share,
        label=path.name,
        notes=notes,
    )


# Peak memory of a load per byte of input, measured: 100 MB of HXL CSV peaks at 1.8 GB.
MEMORY_PER_INPUT_BYTE = 20


def check_input_size(path: Path, max_bytes: int | None) -> None:
    """Refuse, before reading it, a file over `max_bytes` (ETL_MAX_INPUT_MB) or one whose
    load would need more memory than this process can have.

    Running out of memory half-way is worse than refusing: under a memory limit the error
    can strike anywhere, and the kernel's OOM killer gives no error at all.
    """
    if max_bytes is None or not path.is_file():
        return  # a missing file or a folder: Fetched.from_file says which
    check_size(path.name, path.stat().st_size, max_bytes)


def within_size(responses: Iterable[Fetched], max_bytes: int | None) -> Iterator[Fetched]:
    """The responses, each refused by `check_size` before it is parsed: a configured file or
    an upstream's answer bigger than ETL_MAX_INPUT_MB fails its run, never the machine."""
    for fetched in responses:
        if max_bytes is not None:
            check_size(fetched.name, len(fetched.body), max_bytes)
        yield fetched


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse an input of `size` bytes over `max_bytes`, or too big for the memory left."""
    if size > max_bytes:
        limit = round(max_bytes / 2**20, 3)
        raise InputError(
            f"{name}: {size / 2**20:,.2f} MB, over the {limit:g} MB limit "
            "(ETL_MAX_INPUT_MB); split the file, or raise the limit if the machine has the memory"
        )
    needed, free = size * MEMORY_PER_INPUT_BYTE, available_memory()
    if free is not None and needed > free:
        raise InputError(
            f"{name}: {size / 2**20:,.1f} MB needs about {needed / 2**20:,.0f} MB of "
            f"memory to load and {max(free, 0) / 2**20:,.0f} MB is available; split the file"
        )


def available_memory() -> int | None:
    """Bytes this process may still allocate: the headroom under its address-space limit
    and the machine's MemAvailable, whichever is less; None where neither is known."""
    bounds: list[int] = []
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    status = _proc_kib("/proc/self/status", "VmSize")
    if soft != resource.RLIM_INFINITY and status is not None:
        bounds.append(soft - status)
    machine = _proc_kib("/proc/meminfo", "MemAvailable")
    if machine is not None:
        bounds.append(machine)
    return min(bounds) if bounds else None


def _proc_kib(path: str, key: str) -> int | None:
    """A `key: N kB` line of a /proc file, in bytes; None off Linux."""
    try:
        with open(path, encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def import_hxl(
    store: Store,
    path: Path,
    *,
    source: str = "hxl",
    dataset: str | None = None,
    max_rejected_share: float = 0.25,
    progress: Progress | None = None,
) -> RunReport:
    """Import one HXL-tagged CSV; its figures replace that dataset's, or nothing changes."""
    del progress  # rows are mapped in one pass; the CLI shows progress over files
    connector = dataclasses.replace(sources.connector("hxl"), name=source)

    def responses() -> Iterator[Fetched]:
        yield Fetched.from_file(path)

    return run_source(
        store,
        connector,
        responses(),
        dataset=dataset or path.name,
        max_rejected_share=max_rejected_share,
    )


def ignored_text(columns: list[str], limit: int = 20) -> str:
    """The ignored columns for a message: the first `limit`, then how many more."""
    shown = ", ".join(columns[:limit])
    return shown + (f" and {len(columns) - limit:,} more" if len(columns) > limit else "")


def _rate(stage: str, count: int, since: float) -> str:
    seconds = max(time.perf_counter() - since, 1e-6)
    return f"{stage} {count:,} rows in {seconds:.1f} s ({count / seconds:,.0f} rows/s)"


def _message(report: RunReport) -> str:
    parts = [report.summary()]
    if report.ignored_columns:
        parts.append("ignored columns: " + ignored_text(report.ignored_columns))
    parts += [f"note: {text}" for text in report.notes]
    return "; ".join(parts)


def _finish(store: Store, report: RunReport, status: str, message: str) -> None:
    writes.finish_run(
        store.engine,
        report.run_id,
        report.source,
        status=status,
        dataset=report.dataset,
        rows_fetched=report.rows_fetched,
        rows_loaded=report.rows_loaded,
        rejections=report.rejections,
        message=message,
    )
