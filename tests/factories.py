"""Small factories for tests: a store on a real SQLite file, HXL files, canonical figures."""

import csv
import datetime as dt
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from etl.figure_ids import figure_id
from etl.frames import to_figure_frame
from etl.reference import load_reference
from etl.store import Store, open_store
from schemas import tables

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE_DIR = FIXTURES / "reference"

# Every place of tests/fixtures/reference/places.csv.
KNOWN_PLACES = frozenset(
    {
        "SY",
        "SY02",
        "SY07",
        "SY0700",
        "SY0702",
        "SY070003",
        "SY070200",
        "SY070299",
        "SY-NW",
        "SY-NW-OPP",
    }
)
# The fixture place whose name a spreadsheet would run as a formula.
FORMULA_PLACE = "SY070299"
FORMULA_NAME = '=HYPERLINK("http://example.invalid","test place")'

RETRIEVED_AT = dt.datetime(2020, 2, 1, 12, 0, tzinfo=dt.UTC)

# A good HXL file: a title row, a row of column titles, the hashtags, then five figures.
GOOD_TITLE = ["North-west Syria: displacement and population, January 2020"]
GOOD_TITLES = [
    "Governorate",
    "District",
    "Sub-district",
    "Response area",
    "Came from",
    "Since",
    "As of",
    "IDPs",
    "Newly displaced",
    "Population",
    "Source",
    "Link",
]
GOOD_TAGS = [
    "#adm1+code",
    "#adm2+code",
    "#adm3+code",
    "#loc+code",
    "#adm3+code+origin",
    "#date+start",
    "#date",
    "#affected+idps",
    "#affected+idps+new",
    "#population",
    "#meta+source",
    "#meta+url",
]
GOOD_ROWS = [
    ["SY07", "", "", "", "", "", "2020-01-28", "", "", "~3,000,000", "OCHA", "https://x.org"],
    ["", "", "", "SY-NW-OPP", "", "", "2020-01-28", "1,500,000", "", "", "OCHA", ""],
    ["SY07", "", "", "", "SY070200", "2019-12-01", "2020-01-28", "", "1,000+", "", "OCHA", ""],
    ["SY02", "", "", "", "", "", "2020-01-28", "464830", "", "", "CCCM", ""],
    ["SY07", "SY0700", "SY070003", "", "", "", "2020-01-28", "12,000", "", "", "CCCM", ""],
]
# The file rows of GOOD_ROWS: title row 1, column titles row 2, hashtags row 3.
GOOD_FIRST_ROW = 4
# What GOOD_ROWS load as: (pcode, metric, value, qualifier, admin_level, origin, start, end).
GOOD_FIGURES = {
    ("SY07", "population", 3_000_000, "approximately", 1, None, "2020-01-28", "2020-01-28"),
    ("SY-NW-OPP", "idps", 1_500_000, "exact", None, None, "2020-01-28", "2020-01-28"),
    ("SY07", "new_displacements", 1000, "more_than", 1, "SY070200", "2019-12-01", "2020-01-28"),
    ("SY02", "idps", 464_830, "exact", 1, None, "2020-01-28", "2020-01-28"),
    ("SY070003", "idps", 12_000, "exact", 3, None, "2020-01-28", "2020-01-28"),
}
VALUE_COLUMN = {"idps": 7, "new_displacements": 8, "population": 9}


def good_rows() -> list[list[str]]:
    """A fresh copy of GOOD_ROWS, safe to edit."""
    return [list(row) for row in GOOD_ROWS]


def good_file(tmp_path: Path, rows: Sequence[Sequence[str]] | None = None, **kwargs: Any) -> Path:
    """The good HXL file (or `rows` under its title rows and hashtags) written under tmp_path."""
    body = good_rows() if rows is None else rows
    return write_hxl(tmp_path, [GOOD_TITLE, GOOD_TITLES, GOOD_TAGS, *body], **kwargs)


def write_hxl(
    tmp_path: Path,
    rows: Sequence[Sequence[object]],
    name: str = "input.csv",
    *,
    encoding: str = "utf-8",
) -> Path:
    """Write `rows` (title rows, the hashtag row and data rows, as given) as a CSV file."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


def make_store(tmp_path: Path, *, name: str = "store.db", reference: bool = True) -> Store:
    """A store on a real SQLite file under tmp_path, with the fixture gazetteer loaded."""
    store = open_store(f"sqlite:///{tmp_path / name}")
    if reference:
        load_reference(store, REFERENCE_DIR)
    return store


def copy_reference(target: Path) -> Path:
    """A copy of the fixture reference folder at `target`, to use as DATA_DIR."""
    shutil.copytree(REFERENCE_DIR, target)
    return target


def figure_record(**overrides: object) -> dict[str, object]:
    """A valid canonical figure (an idps stock in Idleb); `overrides` change any column."""
    record: dict[str, object] = {
        "source": "hxl",
        "dataset": "test.csv",
        "source_record_id": None,
        "publisher": "OCHA",
        "metric": "idps",
        "pcode": "SY07",
        "admin_level": 1,
        "origin_pcode": None,
        "period_start": "2020-01-28",
        "period_end": "2020-01-28",
        "value": 1000,
        "qualifier": "exact",
        "cause": "conflict",
        "sex": None,
        "age_group": None,
        "unit": "people",
        "role": "recommended",
        "excerpt": None,
        "source_url": "https://example.org/report",
        "retrieved_at": RETRIEVED_AT,
        "run_id": "run-1",
    }
    record.update(overrides)
    for col in ("period_start", "period_end"):
        record[col] = pd.Timestamp(record[col])  # type: ignore[arg-type]
    record["figure_id"] = figure_id(record)
    return record


def figure_frame(*records: dict[str, object]) -> pd.DataFrame:
    """Canonical figures as a frame, through etl.frames.to_figure_frame."""
    return to_figure_frame(list(records))


def table_rows(store: Store, table: sa.Table) -> list[dict[str, object]]:
    """Every row of `table`, as stored, in a stable order."""
    order = list(table.primary_key.columns) or list(table.columns)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(*order)).mappings()]


def stored_figures(store: Store) -> list[dict[str, object]]:
    """Every row of `figures`, as stored, ordered by figure_id."""
    return table_rows(store, tables.figures)


def figure_summary(store: Store) -> set[tuple[object, ...]]:
    """The stored figures as GOOD_FIGURES-style tuples."""
    return {
        (
            r["pcode"],
            r["metric"],
            r["value"],
            r["qualifier"],
            r["admin_level"],
            r["origin_pcode"],
            r["period_start"].isoformat(),  # type: ignore[union-attr]
            r["period_end"].isoformat(),  # type: ignore[union-attr]
        )
        for r in stored_figures(store)
    }


def runs(store: Store) -> list[dict[str, object]]:
    """Every row of etl_runs, oldest first."""
    with store.engine.connect() as conn:
        stmt = sa.select(tables.etl_runs).order_by(tables.etl_runs.c.started_at)
        return [dict(r) for r in conn.execute(stmt).mappings()]


def rejection_rows(store: Store, run_id: str | None = None) -> list[dict[str, object]]:
    """Rows of `rejections` (of one run, or all), in insertion order."""
    j = tables.rejections
    stmt = sa.select(j).order_by(j.c.id)
    if run_id is not None:
        stmt = stmt.where(j.c.run_id == run_id)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]
