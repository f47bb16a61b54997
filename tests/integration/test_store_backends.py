"""The store's writes and reads behave the same on SQLite and PostgreSQL: bulk loads take the
backend's fast path (COPY on PostgreSQL) chunk by chunk, in one transaction."""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from etl.store import Store, StoreError, reads, writes
from etl.store.writes import Changes
from schemas import tables
from schemas.figures import COLUMNS
from tests.factories import figure_frame, figure_record, stored_figures


def _five() -> pd.DataFrame:
    return figure_frame(
        *[
            figure_record(period_start=f"2020-01-0{d}", period_end=f"2020-01-0{d}")
            for d in range(1, 6)
        ]
    )


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Counts the rows of each figures chunk and of each COPY, as the load runs them."""
    calls: dict[str, list[int]] = {"chunks": [], "copies": []}
    real_chunk, real_copy = writes._insert_chunk, writes._copy

    def chunk(conn, rows):  # type: ignore[no-untyped-def]
        calls["chunks"].append(len(rows))
        real_chunk(conn, rows)

    def copy(conn, table, rows):  # type: ignore[no-untyped-def]
        calls["copies"].append(len(rows))
        real_copy(conn, table, rows)

    monkeypatch.setattr(writes, "_insert_chunk", chunk)
    monkeypatch.setattr(writes, "_copy", copy)
    monkeypatch.setattr(writes, "CHUNK", 2)
    return calls


def test_each_chunk_goes_through_insert_chunk_and_copy_on_postgresql(
    store: Store, backend: str, spy: dict[str, list[int]]
) -> None:
    changes = writes.replace_figures(store.engine, "hxl", "test.csv", _five())
    assert changes == Changes(added=5)
    assert spy["chunks"] == [2, 2, 1]
    assert spy["copies"] == ([2, 2, 1] if backend == "postgresql" else [])
    assert len(stored_figures(store)) == 5
    assert store.backend == backend


def test_a_dry_run_counts_and_rolls_the_copy_back(store: Store, spy: dict[str, list[int]]) -> None:
    changes = writes.replace_figures(store.engine, "hxl", "test.csv", _five(), dry_run=True)
    assert changes == Changes(added=5)
    assert spy["chunks"] == [2, 2, 1]
    assert stored_figures(store) == []


def test_a_failure_after_a_copy_rolls_it_back(store: Store, monkeypatch) -> None:
    writes.replace_figures(store.engine, "hxl", "test.csv", _five())
    before = stored_figures(store)
    frame = _five()
    frame["value"] = frame["value"] + 1
    done: list[int] = []
    real = writes._insert_chunk

    def copy_then_fail(conn, rows):  # type: ignore[no-untyped-def]
        real(conn, rows)
        done.append(len(rows))
        if len(done) == 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(writes, "CHUNK", 2)
    monkeypatch.setattr(writes, "_insert_chunk", copy_then_fail)
    with pytest.raises(RuntimeError, match="killed"):
        writes.replace_figures(store.engine, "hxl", "test.csv", frame)
    assert stored_figures(store) == before


def test_unchanged_rows_are_left_alone_and_changed_ones_replaced(store: Store) -> None:
    writes.replace_figures(store.engine, "hxl", "test.csv", _five())
    before = {r["figure_id"]: r for r in stored_figures(store)}
    frame = _five()
    frame.loc[0, "value"] = 7
    frame["run_id"] = "run-2"
    frame["retrieved_at"] = pd.Timestamp("2021-01-01", tz="UTC")
    changes = writes.replace_figures(store.engine, "hxl", "test.csv", frame.iloc[:4])
    assert changes == Changes(changed=1, removed=1, unchanged=3)
    after = {r["figure_id"]: r for r in stored_figures(store)}
    changed = frame.loc[0, "figure_id"]
    assert after[changed]["value"] == 7
    assert after[changed]["run_id"] == "run-2"
    assert all(after[f] == before[f] for f in after if f != changed)


def test_a_load_goes_in_by_place_metric_and_date(
    store: Store, spy: dict[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rows that go in together lie together: a page reading one place's figures then reads a
    # few pages of the table, not one a row.
    inserted: list[tuple] = []
    spied = writes._insert_chunk

    def keep(conn, rows):  # type: ignore[no-untyped-def]
        inserted.extend(rows)
        spied(conn, rows)

    monkeypatch.setattr(writes, "_insert_chunk", keep)
    scrambled = [
        ("SY07", "population", "2020-03-01"),
        ("SY02", "idps", "2020-02-01"),
        ("SY07", "idps", "2020-03-01"),
        ("SY02", "idps", "2020-01-01"),
        ("SY07", "idps", "2020-01-01"),
    ]
    frame = figure_frame(
        *[
            figure_record(pcode=pcode, metric=metric, period_start=day, period_end=day)
            for pcode, metric, day in scrambled
        ]
    )
    writes.replace_figures(store.engine, "hxl", "test.csv", frame)
    at = [COLUMNS.index(c) for c in ("pcode", "metric", "period_end")]
    went_in = [(row[at[0]], row[at[1]], str(row[at[2]])[:10]) for row in inserted]
    assert went_in == sorted(scrambled)
    assert spy["chunks"] == [2, 2, 1]


def test_new_places_are_copied_in_and_known_ones_never_changed(store: Store) -> None:
    places = pd.DataFrame(
        {
            "pcode": ["SY07", "ML"],
            "kind": ["admin", "admin"],
            "name": ["Renamed", "Mali"],
            "name_ar": [None, None],
            "admin_level": pd.array([1, 0], dtype="Int64"),
            "parent_pcode": [None, None],
            "lat": [1.0, 17.5],
            "lon": [float("nan"), -4.0],
        }
    )
    writes.replace_figures(store.engine, "hxl", "test.csv", _five(), new_places=places)
    found = reads.places(store.engine).set_index("pcode")
    assert found.loc["SY07", "name"] == "Idleb"
    assert (found.loc["ML", "name"], found.loc["ML", "admin_level"]) == ("Mali", 0)
    assert pd.isna(found.loc["ML", "name_ar"]) and found.loc["ML", "lat"] == 17.5


def test_timestamps_read_back_in_utc_whatever_the_server_zone(store: Store, backend) -> None:
    if backend == "postgresql":
        with store.engine.connect() as conn:
            name = conn.execute(sa.select(sa.func.current_database())).scalar_one()
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Damascus'")
            conn.commit()
        store.engine.dispose()
    writes.replace_figures(store.engine, "hxl", "test.csv", _five())
    writes.start_run(store.engine, "r1", "hxl", "test.csv")
    writes.finish_run(
        store.engine,
        "r1",
        "hxl",
        status="loaded",
        rows_fetched=5,
        rows_loaded=5,
        rejections=[],
        message="ok",
    )
    figs = reads.figures(store.engine)
    assert set(figs["retrieved_at"]) == {pd.Timestamp("2020-02-01 12:00", tz="UTC")}
    runs = reads.runs(store.engine)
    started = runs.loc[0, "started_at"]
    assert started.tzinfo is None  # naive UTC on both backends, as SQLite always gave
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - started) < dt.timedelta(minutes=5)
    loads = reads.last_loads(store.engine)
    assert loads.loc[0, "last_loaded"].tzinfo is None


def test_a_figure_reads_back_exactly_as_written(store: Store) -> None:
    record = figure_record(
        excerpt="over 1,000 inhabitants … displaced\ttab\nnewline \\ backslash",
        origin_pcode="SY070200",
        value=2**40,
        sex="f",
    )
    writes.replace_figures(store.engine, "hxl", "test.csv", figure_frame(record))
    [row] = stored_figures(store)
    assert row["excerpt"] == record["excerpt"]
    assert row["value"] == 2**40
    assert row["period_start"] == dt.date(2020, 1, 28)
    stamp = row["retrieved_at"]  # aware on PostgreSQL; naive UTC from SQLite
    assert (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)) == record["retrieved_at"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.figures)).scalar() == 1


def test_a_refused_row_is_a_store_error_and_nothing_loads(store: Store) -> None:
    frame = _five()
    frame.loc[2, "pcode"] = None  # NOT NULL: the database refuses the row, not the schema
    with pytest.raises(StoreError) as caught:
        writes.replace_figures(store.engine, "hxl", "test.csv", frame)
    assert isinstance(caught.value, sa.exc.IntegrityError)
    assert stored_figures(store) == []


def _secondary_indexes(conn: sa.Connection) -> list[str]:
    """The names of the figures table's secondary indexes on SQLite, sorted."""
    return sorted(
        conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'figures' "
            "AND sql IS NOT NULL"
        ).scalars()
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_bulk_load_on_sqlite_rebuilds_indexes_and_gives_the_cache_back(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, list[str]]] = []
    real = writes._insert_chunk

    def watch(conn, rows):  # type: ignore[no-untyped-def]
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        seen.append((cache, _secondary_indexes(conn)))
        real(conn, rows)

    with store.engine.connect() as conn:
        usual = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        indexes = _secondary_indexes(conn)
    monkeypatch.setattr(writes, "REBUILD_INDEXES_AT", 3)
    monkeypatch.setattr(writes, "BULK_CACHE_KIB_PER_FIGURE", 1000)
    monkeypatch.setattr(writes, "_insert_chunk", watch)

    assert writes.replace_figures(store.engine, "hxl", "test.csv", _five()) == Changes(added=5)

    # During the load: the bigger cache (5 figures x 1000 KiB), no secondary index to update.
    assert seen == [(-5000, [])]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == usual
        assert _secondary_indexes(conn) == indexes
    assert indexes and len(stored_figures(store)) == 5
