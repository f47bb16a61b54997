"""Writes to the store: each call is one transaction."""

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from etl.store import disputes
from schemas import tables
from schemas.figures import COLUMNS
from schemas.runs import Rejection

# Rows per statement: big enough that a load is a few executemany calls or COPYs.
CHUNK = 20_000
# What a figure says; a reload that leaves these alone leaves the row alone.
CONTENT = [c for c in COLUMNS if c not in ("figure_id", "retrieved_at", "run_id")]
PCODE = CONTENT.index("pcode")


@dataclass(frozen=True)
class Changes:
    """What a load did to one source's figures."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0


def _py(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime() if value.tzinfo else value.date()
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def _python_column(series: pd.Series) -> np.ndarray:
    """A column as Python values the drivers take (None for missing), built at once.

    Dates and timestamps repeat (a few thousand dates, one retrieval time): each distinct one
    is converted once.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        series.dtype
    ):
        codes, uniques = pd.factorize(series)
        converted = [_py(u) for u in uniques]
        return np.array([*converted, None], dtype=object)[codes]
    return series.to_numpy(dtype=object, na_value=None)


def figure_columns(frame: pd.DataFrame) -> list[np.ndarray]:
    """Canonical figures as Python values, one array per column of `COLUMNS`."""
    return [_python_column(frame[col]) for col in COLUMNS]


def figure_rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Canonical figures as plain Python rows for the driver."""
    columns = figure_columns(frame)
    return [dict(zip(COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]


def _bound(conn: sa.Connection, table: sa.Table, columns: list[np.ndarray]) -> list[np.ndarray]:
    """Columns as the backend stores them: SQLAlchemy's bind processing of each column's type
    (SQLite keeps dates as text), applied once per distinct value."""
    out = []
    for column, values in zip(table.columns, columns, strict=True):
        process = column.type._cached_bind_processor(conn.dialect)
        if process is None:
            out.append(values)
            continue
        codes, uniques = pd.factorize(pd.Series(values, dtype=object))
        done = [process(u) for u in uniques]
        out.append(np.array([*done, None], dtype=object)[codes])
    return out


def _texts(values: Sequence[object]) -> np.ndarray:
    """A column's values as the text a signature compares ("" for missing, ISO dates)."""
    return pd.Series(values, dtype=object).fillna("").astype(str).to_numpy(dtype=object)


def _copy(conn: sa.Connection, table: sa.Table, rows: Sequence[tuple[object, ...]]) -> None:
    """PostgreSQL COPY of `rows` (tuples in the table's column order), on the connection's own
    transaction."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in table.columns)
    stmt = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    # The psycopg connection under SQLAlchemy's: same session, same open transaction.
    driver = conn.connection.driver_connection
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(stmt) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    except dbapi_error as exc:
        # What SQLAlchemy raises for any other statement, so callers catch one kind of error.
        raise sa.exc.DBAPIError.instance(
            stmt, None, exc, dbapi_error, dialect=conn.dialect
        ) from exc


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert `rows` (tuples in the table's column order, values as the backend stores them)
    the backend's fastest way: COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in table.columns)
    marks = ", ".join("?" * len(table.columns))
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", rows)


def _table_rows(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> list[tuple]:
    """A frame of some of `table`'s columns as insertable tuples, the others None."""
    missing = [None] * len(frame)
    columns = [
        np.array([_py(v) for v in frame[c.name]] if c.name in frame else missing, dtype=object)
        for c in table.columns
    ]
    if conn.dialect.name != "postgresql":
        columns = _bound(conn, table, columns)
    return list(zip(*columns, strict=True))


def _insert_chunk(conn: sa.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    _bulk_insert(conn, tables.figures, rows)


class _DryRun(Exception):
    """Raised inside a load's transaction to roll it back after counting."""


def _existing(conn: sa.Connection, source: str, names: list[str]) -> list[np.ndarray]:
    """The stored figures of these datasets: the id and CONTENT columns, one array each."""
    f = tables.figures
    # Dates as the driver gives them (ISO text in SQLite, dates in PostgreSQL): their text is
    # the same on both backends, and 1M rows are read without parsing a date.
    picked = [
        sa.type_coerce(f.c[c], sa.String) if isinstance(f.c[c].type, sa.Date) else f.c[c]
        for c in ["figure_id", *CONTENT]
    ]
    query = sa.select(*picked).where(f.c.source == source, f.c.dataset.in_(names))
    rows = conn.execute(query).all()
    if not rows:
        return [np.array([], dtype=object) for _ in picked]
    return [np.array(col, dtype=object) for col in zip(*rows, strict=True)]


def _changed(
    new: list[np.ndarray], old: list[np.ndarray], present: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """For each new row: stored before (`present`, at `at`) with a different CONTENT."""
    out = np.zeros(len(present), dtype=bool)
    if not present.any():
        return out
    differs = np.zeros(int(present.sum()), dtype=bool)
    for col in CONTENT:
        mine = _texts(new[COLUMNS.index(col)][present])
        theirs = _texts(old[1 + CONTENT.index(col)][at[present]])
        differs |= mine != theirs
    out[present] = differs
    return out


# The order a load's rows go in: by place, metric and date. A page reads one place's figures
# (of a metric, up to a date) at a time; rows that went in together lie together in the
# table, so such a read touches a few pages rather than one a row.
PLACE_ORDER = ["pcode", "metric", "period_end"]


def _place_ordered(columns: list[np.ndarray]) -> list[np.ndarray]:
    """Figures' columns (as `figure_columns` gives them) in `PLACE_ORDER`."""
    if not len(columns[0]):
        return columns
    keys = [columns[COLUMNS.index(name)] for name in PLACE_ORDER]
    ranks = [pd.factorize(key, sort=True, use_na_sentinel=False)[0] for key in keys]
    order = np.lexsort(ranks[::-1])
    return [column[order] for column in columns]


def replace_figures(
    engine: sa.Engine,
    source: str,
    datasets: str | Sequence[str],
    frame: pd.DataFrame,
    *,
    dry_run: bool = False,
    new_places: pd.DataFrame | None = None,
) -> Changes:
    """Make the store's figures of these datasets of `source` exactly `frame`, in one transaction.

    Rows whose content is unchanged are left alone (their retrieved_at and run_id too), so
    loading the same input twice writes nothing. With `dry_run`, count and roll back. Rows go
    to the driver as tuples built column by column: COPY on PostgreSQL, executemany elsewhere;
    the `disputes` of every place touched are recomputed in the same transaction.
    """
    names = [datasets] if isinstance(datasets, str) else list(datasets)
    f = tables.figures
    # One row per id; the last one given wins.
    frame = frame.drop_duplicates("figure_id", keep="last") if len(frame) else frame
    python = figure_columns(frame)
    ids = python[0]
    pcodes = python[COLUMNS.index("pcode")]
    changes = Changes()
    try:
        with engine.begin() as conn:
            if new_places is not None and not new_places.empty:
                _add_places(conn, new_places)
            old = _existing(conn, source, names)
            old_ids = pd.Index(old[0])
            at = old_ids.get_indexer(ids) if len(old_ids) else np.full(len(ids), -1)
            present = at >= 0
            is_changed = _changed(python, old, present, at)
            is_fresh = ~present | is_changed
            kept = np.zeros(len(old_ids), dtype=bool)
            kept[at[present & ~is_changed]] = True
            gone = np.ones(len(old_ids), dtype=bool)
            gone[at[present]] = False
            stale = old[0][gone].tolist()
            changed = ids[is_changed].tolist()
            for chunk in _chunks([*stale, *changed], CHUNK):
                conn.execute(f.delete().where(f.c.figure_id.in_(chunk)))
            fresh = _place_ordered([col[is_fresh] for col in python])
            if conn.dialect.name != "postgresql":
                fresh = _bound(conn, f, fresh)
            rows = list(zip(*fresh, strict=True))
            with _bulk_cache(conn, len(rows)):
                with _indexes_set_aside(conn, len(rows)):
                    for chunk in _chunks(rows, CHUNK):
                        _insert_chunk(conn, chunk)
                if stale or rows:
                    touched = set(old[1 + PCODE][~kept]) | set(pcodes[is_fresh])
                    disputes.refresh(conn, touched)
            changes = Changes(
                added=len(rows) - len(changed),
                changed=len(changed),
                removed=len(stale),
                unchanged=len(ids) - len(rows),
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return changes


# A load this big, and at least as big as the table, goes into SQLite with the secondary
# indexes dropped and rebuilt in its transaction: building an index from sorted rows once
# costs less than updating it row by row (measured, see the README's benchmarks). A small
# refresh of a big store keeps them: rebuilding would cost the whole table.
REBUILD_INDEXES_AT = 50_000


def _bulk_on_sqlite(conn: sa.Connection, inserting: int) -> bool:
    """Whether this load is a bulk load into SQLite (`REBUILD_INDEXES_AT` figures or more)."""
    return conn.dialect.name == "sqlite" and inserting >= REBUILD_INDEXES_AT


# SQLite's page cache for a bulk load: inserting a million random primary keys and grouping
# them for the disputes touch far more pages than the default 2 MB holds (measured at 1M
# figures: the insert 9.7 s against 7.5 s, the disputes 4.1 s against 3.3 s with 256 MB).
# About a quarter of a KiB per figure loaded, so a smaller load costs less memory.
BULK_CACHE_KIB_PER_FIGURE = 0.25
BULK_CACHE_KIB_MAX = 256 * 1024


@contextlib.contextmanager
def _bulk_cache(conn: sa.Connection, inserting: int) -> Iterator[None]:
    """On SQLite, for a bulk load: a bigger page cache for the load, the usual one after."""
    if not _bulk_on_sqlite(conn, inserting):
        yield
        return
    usual = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    kib = min(BULK_CACHE_KIB_MAX, int(inserting * BULK_CACHE_KIB_PER_FIGURE))
    conn.exec_driver_sql(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        # The connection goes back to the pool: the next user gets the usual cache.
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(usual)}")


@contextlib.contextmanager
def _indexes_set_aside(conn: sa.Connection, inserting: int) -> Iterator[None]:
    """On SQLite, for a bulk load: drop the figures' secondary indexes, rebuild them after.

    Both happen in the load's transaction: readers see the old table with its indexes until
    it commits, and a rollback restores them as they were.
    """
    if not _bulk_on_sqlite(conn, inserting):
        yield
        return
    stored = conn.exec_driver_sql("SELECT count(*) FROM figures").scalar_one()
    if inserting < stored:
        yield
        return
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master "
        "WHERE type = 'index' AND tbl_name = 'figures' AND sql IS NOT NULL"
    ).all()
    quote = conn.dialect.identifier_preparer.quote
    for name, _sql in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield
    for _name, sql in indexes:
        conn.exec_driver_sql(sql)


def _add_places(conn: sa.Connection, places: pd.DataFrame) -> None:
    """Insert the places the gazetteer does not have yet; never change one it has."""
    p = tables.places
    have = set(conn.execute(sa.select(p.c.pcode)).scalars())
    fresh = places[~places["pcode"].isin(have)]
    _bulk_insert(conn, p, _table_rows(conn, p, fresh))


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def replace_reference(
    engine: sa.Engine, places: pd.DataFrame, members: pd.DataFrame, events: pd.DataFrame
) -> None:
    """Replace the gazetteer, area members and events, in one transaction.

    Units added from publications (the gazetteer lacked them) stay, unless the new gazetteer
    has them now: their figures still point at them.
    """
    p = tables.places
    with engine.begin() as conn:
        added = [
            dict(r)
            for r in conn.execute(sa.select(p).where(p.c.added_from.is_not(None))).mappings()
        ]
        for table, frame in (
            (tables.place_members, members),
            (tables.events, events),
            (tables.places, places),
        ):
            conn.execute(table.delete())
            _bulk_insert(conn, table, _table_rows(conn, table, frame))
        listed = set(places["pcode"].tolist())
        kept = pd.DataFrame([r for r in added if r["pcode"] not in listed], columns=p.c.keys())
        _bulk_insert(conn, p, _table_rows(conn, p, kept))


def start_run(engine: sa.Engine, run_id: str, source: str, dataset: str | None) -> None:
    """Record that a run of `source` has started."""
    with engine.begin() as conn:
        conn.execute(
            tables.etl_runs.insert().values(
                run_id=run_id,
                source=source,
                dataset=dataset,
                started_at=dt.datetime.now(dt.UTC),
                status="running",
                rows_fetched=0,
                rows_loaded=0,
                rows_rejected=0,
            )
        )


def finish_run(
    engine: sa.Engine,
    run_id: str,
    source: str,
    *,
    status: str,
    dataset: str | None = None,
    rows_fetched: int,
    rows_loaded: int,
    rejections: list[Rejection],
    message: str,
) -> None:
    """Record how a run ended and the rows it rejected, in one transaction."""
    with engine.begin() as conn:
        conn.execute(
            tables.etl_runs.update()
            .where(tables.etl_runs.c.run_id == run_id)
            .values(
                finished_at=dt.datetime.now(dt.UTC),
                status=status,
                dataset=dataset or None,
                rows_fetched=rows_fetched,
                rows_loaded=rows_loaded,
                # A row that fails three checks is one rejected row.
                rows_rejected=len({r.row for r in rejections}),
                message=message,
            )
        )
        if rejections:
            conn.execute(
                tables.rejections.insert(),
                [
                    {
                        "run_id": run_id,
                        "source": source,
                        "row_number": r.row,
                        "record": json.dumps(r.record, ensure_ascii=False, default=str)
                        if r.record
                        else None,
                        "column": r.column,
                        "check": r.check,
                        "reason": r.describe(),
                    }
                    for r in rejections
                ],
            )
