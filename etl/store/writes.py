"""Writes to the store: each call is one transaction."""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from etl.store import disputes
from schemas import tables
from schemas.figures import COLUMNS
from schemas.runs import Rejection

CHUNK = 5_000
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


def figure_rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Canonical figures as plain Python rows for the driver."""
    return [
        {col: _py(v) for col, v in zip(COLUMNS, row, strict=True)}
        for row in frame[COLUMNS].itertuples(index=False, name=None)
    ]


def _signature(row: dict[str, object]) -> tuple[str, ...]:
    parts = []
    for col in CONTENT:
        v = row[col]
        if isinstance(v, dt.datetime):
            v = v.date()
        parts.append("" if v is None else str(v))
    return tuple(parts)


def _copy(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, object]]) -> None:
    """PostgreSQL COPY of `rows` into `table`, on the connection's own transaction."""
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    stmt = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    # The psycopg connection under SQLAlchemy's: same session, same open transaction.
    driver = conn.connection.driver_connection
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(stmt) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([row[c] for c in columns])
    except dbapi_error as exc:
        # What SQLAlchemy raises for any other statement, so callers catch one kind of error.
        raise sa.exc.DBAPIError.instance(
            stmt, None, exc, dbapi_error, dialect=conn.dialect
        ) from exc


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, object]]) -> None:
    """Insert `rows` the backend's fastest way: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
    else:
        conn.execute(table.insert(), list(rows))


def _insert_chunk(conn: sa.Connection, rows: Sequence[dict[str, object]]) -> None:
    _bulk_insert(conn, tables.figures, rows)


class _DryRun(Exception):
    """Raised inside a load's transaction to roll it back after counting."""


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
    loading the same input twice changes nothing. With `dry_run`, count and roll back.
    """
    names = [datasets] if isinstance(datasets, str) else list(datasets)
    new_rows = {row["figure_id"]: row for row in figure_rows(frame)}
    f = tables.figures
    changes = Changes()
    try:
        with engine.begin() as conn:
            if new_places is not None and not new_places.empty:
                _add_places(conn, new_places)
            existing = {
                r["figure_id"]: _signature(dict(r))
                for r in conn.execute(
                    sa.select(*[f.c[c] for c in ["figure_id", *CONTENT]]).where(
                        f.c.source == source, f.c.dataset.in_(names)
                    )
                ).mappings()
            }
            stale = [fid for fid in existing if fid not in new_rows]
            changed = [
                fid
                for fid, row in new_rows.items()
                if fid in existing and existing[fid] != _signature(row)
            ]
            fresh = [row for fid, row in new_rows.items() if fid not in existing or fid in changed]
            for chunk in _chunks([*stale, *changed], CHUNK):
                conn.execute(f.delete().where(f.c.figure_id.in_(chunk)))
            for chunk in _chunks(fresh, CHUNK):
                _insert_chunk(conn, chunk)
            if stale or fresh:
                touched = {existing[fid][PCODE] for fid in [*stale, *changed]}
                disputes.refresh(conn, touched | {str(r["pcode"]) for r in fresh})
            changes = Changes(
                added=len(fresh) - len(changed),
                changed=len(changed),
                removed=len(stale),
                unchanged=len(new_rows) - len(fresh),
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return changes


def _add_places(conn: sa.Connection, places: pd.DataFrame) -> None:
    """Insert the places the gazetteer does not have yet; never change one it has."""
    p = tables.places
    have = set(conn.execute(sa.select(p.c.pcode)).scalars())
    rows = [
        {c: _py(v) for c, v in zip(places.columns, row, strict=True)}
        for row in places.itertuples(index=False, name=None)
    ]
    fresh = [r for r in rows if r["pcode"] not in have]
    _bulk_insert(conn, p, fresh)


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
            rows = [
                {c: _py(v) for c, v in zip(frame.columns, row, strict=True)}
                for row in frame.itertuples(index=False, name=None)
            ]
            _bulk_insert(conn, table, rows)
        listed = set(places["pcode"])
        _bulk_insert(conn, p, [r for r in added if r["pcode"] not in listed])


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
