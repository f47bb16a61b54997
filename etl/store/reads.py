"""Reads from the store, as frames; every filter is a bound parameter."""

import datetime as dt
import functools
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from etl.store.expressions import bytewise, overlapping
from schemas import tables
from schemas.figures import COLUMNS
from schemas.pcodes import country_of


def _frame(conn: sa.Connection, stmt: sa.Select, raw: bool = False) -> pd.DataFrame:
    result = conn.execute(stmt)
    keys = list(result.keys())
    # `raw`: the driver's values as they come (dates as text on SQLite), for a caller that
    # parses whole columns after; SQLAlchemy converting each value costs more than the query.
    rows = result.cursor.fetchall() if raw else result.fetchall()
    result.close()
    if not rows:
        return pd.DataFrame(columns=keys)
    # Column by column: pandas probing each Row object for named-tuple fields costs more
    # than the query itself on tens of thousands of rows. The driver's plain tuples turn
    # into columns through one object array, twice as fast as transposing them in Python.
    table = _object_table(rows) if raw else None
    if table is not None and table.shape == (len(rows), len(keys)):
        columns = [table[:, i].tolist() for i in range(len(keys))]
    else:  # Row objects, or values numpy would take for nested sequences
        columns = list(map(list, zip(*rows, strict=True)))
    return pd.DataFrame(dict(zip(keys, columns, strict=True)))


def _object_table(rows: list) -> np.ndarray | None:
    try:
        return np.array(rows, dtype=object)
    except ValueError:  # sequences of several lengths among the values
        return None


def _dates(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    for col in cols:
        frame[col] = _day_column(frame[col])
    return frame


def _day_column(values: pd.Series) -> pd.Series:
    """Days as a datetime64[us] column: ISO text on SQLite, dates on PostgreSQL."""
    # A column holds a few hundred distinct days: numpy reads each distinct ISO date or date
    # at C speed, five times faster than pandas' parser on the whole column. Anything else
    # (a time of day, a time zone) goes to pandas, which parses without guessing a format.
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    if all(_plain_day(v) for v in distinct):
        try:
            days = np.array([*distinct, None], dtype="datetime64[D]").astype("datetime64[us]")
        except ValueError:  # not a calendar day: pandas says why
            pass
        else:
            return pd.Series(days[codes], index=values.index, name=values.name)
    return pd.to_datetime(values, format="ISO8601").astype("datetime64[us]")


def _plain_day(value: object) -> bool:
    if isinstance(value, str):
        return len(value) == 10
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _naive_utc(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """Timestamps as naive UTC on every backend: what SQLite gives, PostgreSQL made to match."""
    for col in cols:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


def query_frame(engine: sa.Engine, stmt: sa.Select, dates: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of a select as a frame (its `dates` columns as dates), on either backend."""
    with engine.connect() as conn:
        frame = _frame(conn, stmt, raw=True)
    return _dates(frame, *dates)


def known_places(engine: sa.Engine) -> set[str]:
    """Every P-code and area id of the gazetteer."""
    with engine.connect() as conn:
        return set(conn.execute(sa.select(tables.places.c.pcode)).scalars())


def countries_with_figures(engine: sa.Engine) -> set[str]:
    """The admin 0 P-codes of the countries the store holds figures for."""
    with engine.connect() as conn:
        pcodes = conn.execute(sa.select(tables.figures.c.pcode).distinct()).scalars().all()
    return {country_of(p) for p in pcodes}


def places(engine: sa.Engine, countries: Collection[str] | None = None) -> pd.DataFrame:
    """The gazetteer, one row per place; with `countries`, at least the places of those
    countries (every code that begins with their first two letters: the caller cuts finer)."""
    p = tables.places
    stmt = sa.select(p).order_by(p.c.admin_level, p.c.pcode)
    if countries is not None:
        stmt = stmt.where(sa.func.substr(p.c.pcode, 1, 2).in_(sorted({c[:2] for c in countries})))
    with engine.connect() as conn:
        frame = _frame(conn, stmt)
    frame["admin_level"] = frame["admin_level"].astype("Int64")
    return frame


def place_members(engine: sa.Engine) -> pd.DataFrame:
    """The admin units of each response area."""
    with engine.connect() as conn:
        return _frame(conn, sa.select(tables.place_members))


def events(
    engine: sa.Engine, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> pd.DataFrame:
    """Dated events, optionally within [date_from, date_to]."""
    e = tables.events
    stmt = sa.select(e).order_by(e.c.date)
    if date_from:
        stmt = stmt.where(e.c.date >= date_from)
    if date_to:
        stmt = stmt.where(e.c.date <= date_to)
    with engine.connect() as conn:
        return _dates(_frame(conn, stmt), "date")


# What a chart, card or disagreement says of a figure: the canonical columns less those only
# the table and the CSV export show (provenance details, long excerpts).
VIEW_COLUMNS = [
    "figure_id",
    "publisher",
    "metric",
    "pcode",
    "origin_pcode",
    "period_start",
    "period_end",
    "value",
    "qualifier",
    "sex",
    "age_group",
    "unit",
    "cause",
    "role",
    "source_url",
]


def figure_select(columns: Sequence[str] = COLUMNS, names_joined: bool = True) -> sa.Select:
    """The figures' `columns` with their place names, in the order views list them.

    `names_joined=False`: without the two joins to the gazetteer; `figure_frame` then looks
    the names up once per distinct P-code, which costs less on the thousands of rows of a
    place's read (a district's three reads: about 5 ms of 28 in SQLite).
    """
    # Built once per set of columns: a select is immutable (each `.where()` makes a new
    # one), and building its joins and labels costs more than a view's small reads.
    return _figure_select(tuple(columns), names_joined)


@functools.cache
def _figure_select(columns: tuple[str, ...], names_joined: bool) -> sa.Select:
    f = tables.figures
    order = (f.c.period_end, f.c.pcode, f.c.metric, f.c.figure_id)
    if not names_joined:
        return sa.select(*[f.c[c] for c in columns]).order_by(*order)
    place = tables.places.alias("place")
    origin = tables.places.alias("origin")
    return (
        sa.select(
            *[f.c[c] for c in columns],
            place.c.name.label("place_name"),
            place.c.name_ar.label("place_name_ar"),
            origin.c.name.label("origin_name"),
        )
        .select_from(
            f.outerjoin(place, place.c.pcode == f.c.pcode).outerjoin(
                origin, origin.c.pcode == f.c.origin_pcode
            )
        )
        .order_by(*order)
    )


def figure_frame(engine: sa.Engine, stmt: sa.Select) -> pd.DataFrame:
    """The rows of a `figure_select()` as a frame with the canonical dtypes and the place
    names."""
    with engine.connect() as conn:
        frame = _frame(conn, stmt, raw=True)
        if "place_name" not in frame.columns:
            frame = _with_place_names(conn, frame)
    frame = _dates(frame, "period_start", "period_end")
    if "retrieved_at" in frame:
        frame["retrieved_at"] = pd.to_datetime(frame["retrieved_at"], utc=True)
    for col in ("value", "admin_level"):
        if col in frame:
            frame[col] = frame[col].astype("Int64")
    return frame


def _with_place_names(conn: sa.Connection, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the columns the joins of `figure_select` give, looked up at once."""
    if frame.empty:
        return frame.assign(place_name=None, place_name_ar=None, origin_name=None)
    pcodes = frame["pcode"].to_numpy(dtype=object)
    origins = frame["origin_pcode"].to_numpy(dtype=object)
    codes, distinct = pd.factorize(np.concatenate([pcodes, origins]))
    p = tables.places
    found = {
        row.pcode: (row.name, row.name_ar)
        for row in conn.execute(
            sa.select(p.c.pcode, p.c.name, p.c.name_ar).where(p.c.pcode.in_(distinct.tolist()))
        )
    }
    # The last entry answers the code of a missing P-code (-1), as an outer join does.
    named = [found.get(code, (None, None)) for code in distinct] + [(None, None)]
    names = np.array([name for name, _ in named], dtype=object)[codes]
    arabic = np.array([ar for _, ar in named], dtype=object)[codes[: len(pcodes)]]
    # Lists, as `_frame` builds every column, so pandas infers their dtypes the same way.
    frame["place_name"] = names[: len(pcodes)].tolist()
    frame["place_name_ar"] = arabic.tolist()
    frame["origin_name"] = names[len(pcodes) :].tolist()
    return frame


def figures(
    engine: sa.Engine,
    *,
    pcodes: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    columns: Sequence[str] = COLUMNS,
) -> pd.DataFrame:
    """Figures matching the filters, with place names; periods overlapping the dates.

    `columns` narrows the figures' own columns (`VIEW_COLUMNS`: what a chart needs).
    """
    f = tables.figures
    where: list[sa.ColumnElement[bool]] = []
    if pcodes is not None:
        where.append(f.c.pcode.in_(list(pcodes)))
    if metrics:
        where.append(f.c.metric.in_(list(metrics)))
    if sources:
        where.append(f.c.source.in_(list(sources)))
    if date_to:
        where.append(f.c.period_start <= date_to)
    if date_from:
        where.append(f.c.period_end >= date_from)
    # A few places' figures name few places: looked up rather than joined row by row.
    names_joined = pcodes is None
    return figure_frame(engine, figure_select(columns, names_joined).where(*where))


def figure_page(
    engine: sa.Engine,
    *,
    pcodes: Sequence[str],
    date_from: dt.date | None,
    date_to: dt.date | None,
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int,
) -> pd.DataFrame:
    """One page of the figures of these places reaching into the range, in a table's order:
    by the column labelled `sort` (empty values last), then newest first."""
    f = tables.figures
    stmt = figure_select().order_by(None)
    named = {c.name: c for c in stmt.selected_columns}
    order: list[sa.ColumnElement] = []
    if sort is not None:
        if sort not in named:
            raise ValueError(f"no column {sort!r} to sort the figures by")
        column = named[sort]
        key = bytewise(column) if isinstance(column.type, sa.String) else column
        order.append((key.desc() if descending else key.asc()).nulls_last())
    order += [f.c.period_end.desc(), bytewise(f.c.pcode), bytewise(f.c.metric), f.c.figure_id]
    where = [f.c.pcode.in_(list(pcodes)), *overlapping(f, date_from, date_to)]
    stmt = stmt.where(*where).order_by(*order).offset(offset).limit(limit)
    return figure_frame(engine, stmt)


def date_extent(engine: sa.Engine) -> tuple[dt.date | None, dt.date | None]:
    """The first start and the last end of every figure in the store."""
    f = tables.figures
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sa.func.min(f.c.period_start), sa.func.max(f.c.period_end))
        ).one()
    return _as_date(row[0]), _as_date(row[1])


def _as_date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def runs(engine: sa.Engine, source: str | None = None, limit: int = 50) -> pd.DataFrame:
    """The latest ETL runs, newest first."""
    r = tables.etl_runs
    stmt = sa.select(r).order_by(r.c.started_at.desc()).limit(limit)
    if source:
        stmt = stmt.where(r.c.source == source)
    with engine.connect() as conn:
        return _naive_utc(_frame(conn, stmt), "started_at", "finished_at")


def last_loads(engine: sa.Engine) -> pd.DataFrame:
    """Per source: the last successful load and the last failure."""
    r = tables.etl_runs
    stmt = (
        sa.select(
            r.c.source,
            sa.func.max(sa.case((r.c.status == "loaded", r.c.finished_at))).label("last_loaded"),
            sa.func.max(sa.case((r.c.status == "failed", r.c.finished_at))).label("last_failed"),
        )
        .group_by(r.c.source)
        .order_by(r.c.source)
    )
    with engine.connect() as conn:
        return _naive_utc(_frame(conn, stmt), "last_loaded", "last_failed")


def rejections(engine: sa.Engine, run_id: str) -> pd.DataFrame:
    """The rows one run rejected, in file order."""
    j = tables.rejections
    stmt = sa.select(j).where(j.c.run_id == run_id).order_by(j.c.row_number, j.c.id)
    with engine.connect() as conn:
        return _frame(conn, stmt)


def count_figures(engine: sa.Engine) -> int:
    """How many figures the store holds."""
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(tables.figures)).scalar_one()
        )


def data_version(engine: sa.Engine) -> str:
    """Changes whenever a run finishes: a cheap key for caches of query results."""
    r = tables.etl_runs
    with engine.connect() as conn:
        row = conn.execute(sa.select(sa.func.count(), sa.func.max(r.c.finished_at))).one()
    return f"{row[0]}:{row[1]}"
