"""The ETL floor: the least work that loads the same HXL file into the same table.

`pandas.read_csv` -> a vectorised wide-to-long mapping -> one pandera validation with a schema
like schemas.figures.FigureModel (same columns, dtypes, nullability and checks, the frame-wide
ones vectorised) -> one `sqlite3.executemany` into a table with the project's DDL (text primary
key), secondary indexes built after the load, one commit. The mapping only knows the cell forms
the synthetic data uses ("12,000+", "~3,000", "<50", plain and grouped numbers), so it is a lower
bound, not a replacement.
"""

import datetime as dt
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from schemas import tables
from schemas.enums import STOCK_METRICS, AgeGroup, Cause, Metric, Qualifier, Role, Sex, Unit, values
from schemas.figures import COLUMNS, NATURAL_KEY, PLACE_PATTERN, RECOMMENDED_KEY

# value tag -> (metric, sex, is a flow)
VALUE_COLUMNS = {
    "#affected+idps": ("idps", None, False),
    "#affected+idps+f": ("idps", "f", False),
    "#affected+idps+m": ("idps", "m", False),
    "#affected+idps+new": ("new_displacements", None, True),
    "#affected+returns+new": ("returns", None, True),
    "#affected+returnees": ("returnees", None, False),
    "#population": ("population", None, False),
}
_STOCKS = [m.value for m in STOCK_METRICS]


def _level_ok(frame: pd.DataFrame) -> pd.Series:
    pcode = frame["pcode"]
    area = pcode.str.contains("-", regex=False)
    expected = (pcode.str.len() - 2) // 2
    return (area & frame["admin_level"].isna()) | (~area & (frame["admin_level"] == expected))


def floor_schema(known: set[str]) -> pa.DataFrameSchema:
    """A schema like FigureModel's with the gazetteer checks, frame-wide checks vectorised."""
    s, opt = pa.Column(str), {"nullable": True}
    return pa.DataFrameSchema(
        {
            "figure_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}$")),
            "source": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9-]*$")),
            "dataset": pa.Column(str, pa.Check.str_length(min_value=1)),
            "source_record_id": pa.Column(str, **opt),
            "publisher": pa.Column(str, **opt),
            "metric": pa.Column(str, pa.Check.isin(values(Metric))),
            "pcode": pa.Column(
                str, [pa.Check.str_matches(PLACE_PATTERN), pa.Check(lambda x: x.isin(known))]
            ),
            "admin_level": pa.Column("Int64", pa.Check.isin([0, 1, 2, 3]), **opt),
            "origin_pcode": pa.Column(
                str,
                [
                    pa.Check.str_matches(PLACE_PATTERN),
                    pa.Check(lambda x: x.isna() | x.isin(known)),
                ],
                **opt,
            ),
            "period_start": pa.Column("datetime64[us]"),
            "period_end": pa.Column("datetime64[us]"),
            "value": pa.Column("Int64", pa.Check.ge(0)),
            "qualifier": pa.Column(str, pa.Check.isin(values(Qualifier))),
            "cause": pa.Column(str, pa.Check.isin(values(Cause)), **opt),
            "sex": pa.Column(str, pa.Check.isin(values(Sex)), **opt),
            "age_group": pa.Column(str, pa.Check.isin(values(AgeGroup)), **opt),
            "unit": pa.Column(str, pa.Check.isin(values(Unit))),
            "role": pa.Column(str, pa.Check.isin(values(Role))),
            "excerpt": pa.Column(str, **opt),
            "source_url": pa.Column(str, pa.Check.str_matches(r"^https?://"), **opt),
            "retrieved_at": pa.Column("datetime64[us, UTC]"),
            "run_id": s,
            "published_pcode": pa.Column(str, **opt),
        },
        checks=[
            pa.Check(lambda df: df["period_start"] <= df["period_end"]),
            pa.Check(
                lambda df: ~df["metric"].isin(_STOCKS) | (df["period_start"] == df["period_end"])
            ),
            pa.Check(_level_ok),
            pa.Check(lambda df: ~df.duplicated(subset=NATURAL_KEY, keep=False)),
            pa.Check(
                lambda df: (
                    ~(
                        (df["role"] == "recommended")
                        & df.duplicated(subset=[*RECOMMENDED_KEY, "role"], keep=False)
                    )
                )
            ),
        ],
        strict=True,
    )


def _blank(col: pd.Series) -> pd.Series:
    return col.where(col != "", None)


def map_rows(raw: pd.DataFrame, dataset: str, run_id: str) -> pd.DataFrame:
    """The HXL rows as canonical figures, vectorised."""
    pcode = raw["#loc+code"]
    for tag in ("#adm1+code", "#adm2+code", "#adm3+code"):
        pcode = raw[tag].where(raw[tag] != "", pcode)
    common = pd.DataFrame(
        {
            "pcode": pcode,
            "origin_pcode": _blank(raw["#adm3+code+origin"]),
            "start": raw["#date+start"],
            "end": raw["#date+end"],
            "reported": raw["#date+reported"],
            "publisher": _blank(raw["#meta+source"]),
            "source_url": _blank(raw["#meta+url"]),
            "source_record_id": _blank(raw["#meta+id"]),
            "excerpt": _blank(raw["#meta+excerpt"]),
            "cause": _blank(raw["#meta+cause"].str.lower()),
            "role": raw["#meta+role"].str.lower().where(raw["#meta+role"] != "", "recommended"),
        }
    )
    parts = []
    for tag, (metric, sex, flow) in VALUE_COLUMNS.items():
        cells = raw[tag]
        has = cells != ""
        part = common[has].assign(cell=cells[has], metric=metric, sex=sex)
        if flow:
            part["period_end"] = part["end"].where(part["end"] != "", part["reported"])
            part["period_start"] = part["start"].where(part["start"] != "", part["period_end"])
        else:
            as_of = part["reported"].where(part["reported"] != "", part["end"])
            part["period_start"] = part["period_end"] = as_of
        parts.append(part)
    fig = pd.concat(parts, ignore_index=True)
    cell = fig.pop("cell")
    qualifier = np.select(
        [cell.str.startswith("~"), cell.str.endswith("+"), cell.str.startswith("<")],
        ["approximately", "more_than", "less_than"],
        "exact",
    )
    fig["value"] = pd.array(cell.str.replace(r"\D", "", regex=True).astype("int64"), "Int64")
    fig["qualifier"] = pd.array(qualifier, dtype="str")
    for col in ("period_start", "period_end"):
        fig[col] = pd.to_datetime(fig[col], format="%Y-%m-%d").astype("datetime64[us]")
    area = fig["pcode"].str.contains("-", regex=False)
    fig["admin_level"] = pd.array(((fig["pcode"].str.len() - 2) // 2).where(~area), dtype="Int64")
    fig["source"] = "hxl"
    fig["dataset"] = dataset
    fig["age_group"] = None
    fig["unit"] = "people"
    fig["retrieved_at"] = pd.Timestamp(dt.datetime.now(dt.UTC)).as_unit("us")
    fig["run_id"] = run_id
    fig["published_pcode"] = None
    for col in ("sex", "age_group", "origin_pcode", "cause", "published_pcode"):
        fig[col] = fig[col].astype("str")
    hashed = pd.util.hash_pandas_object(fig[NATURAL_KEY], index=False).to_numpy()
    fig["figure_id"] = pd.array([f"{h:016x}" for h in hashed.tolist()], dtype="str")
    return fig[COLUMNS]


def _ddl() -> tuple[str, list[str]]:
    dialect = sqlite_dialect.dialect()
    table = str(CreateTable(tables.figures).compile(dialect=dialect))
    indexes = [str(CreateIndex(ix).compile(dialect=dialect)) for ix in tables.figures.indexes]
    return table, indexes


def _python_rows(frame: pd.DataFrame) -> list[tuple]:
    cols = []
    for col in COLUMNS:
        series = frame[col]
        if col in ("period_start", "period_end"):
            series = series.dt.strftime("%Y-%m-%d")
        elif col == "retrieved_at":
            series = series.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        cols.append(series.astype(object).where(series.notna(), None).tolist())
    return list(zip(*cols, strict=True))


def floor_import(csv_path: Path, places_csv: Path, db_path: Path) -> dict[str, float | int]:
    """Load `csv_path` into a fresh SQLite file the lean way; stage timings in seconds."""
    out: dict[str, float | int] = {}
    clock = time.perf_counter()
    start = clock

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        out[name] = now - clock
        clock = now

    raw = pd.read_csv(csv_path, skiprows=[0], dtype="str", keep_default_na=False)
    known = set(pd.read_csv(places_csv, usecols=["pcode"], dtype="str")["pcode"])
    lap("read_s")
    frame = map_rows(raw, csv_path.name, "floor-run")
    del raw
    lap("map_s")
    floor_schema(known).validate(frame, lazy=True)
    lap("validate_s")
    table, indexes = _ddl()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(table)
    rows = _python_rows(frame)
    lap("to_tuples_s")
    marks = ",".join("?" * len(COLUMNS))
    with conn:
        conn.executemany(f"INSERT INTO figures ({','.join(COLUMNS)}) VALUES ({marks})", rows)
        for ddl in indexes:
            conn.execute(ddl)
    conn.close()
    lap("insert_s")
    out["seconds"] = time.perf_counter() - start
    out["figures"] = len(frame)
    out["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
    return out
