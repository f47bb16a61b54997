"""The bundled reference data: gazetteer, response-area members and events."""

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from etl.errors import InputError
from etl.store import Store, writes
from schemas.events import EventModel
from schemas.places import PLACE_COLUMNS, PlaceMemberModel, PlaceModel


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    return pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])


def _check(model: type[pa.DataFrameModel], frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    try:
        return model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        row = "" if pd.isna(first["index"]) else f" row {int(first['index']) + 2},"
        raise InputError(
            f"{path}:{row} column {first['column']}: fails {first['check']} "
            f"({first['failure_case']!r}); {len(exc.failure_cases)} problem(s) in all"
        ) from exc


def read_reference(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read and validate places, area members and events from `data_dir`."""
    places = _read(data_dir / "places.csv")
    places["admin_level"] = pd.to_numeric(places["admin_level"]).astype("Int64")
    for col in ("lat", "lon"):
        places[col] = pd.to_numeric(places[col]).astype("float64")
    places = _check(PlaceModel, places, data_dir / "places.csv")[PLACE_COLUMNS]
    members = _check(PlaceMemberModel, _read(data_dir / "place_members.csv"), data_dir)
    unknown = set(members["area_pcode"]).union(members["member_pcode"]) - set(places["pcode"])
    if unknown:
        raise InputError(f"place_members.csv: places not in places.csv: {sorted(unknown)}")
    events = _read(data_dir / "events.csv")
    events["date"] = pd.to_datetime(events["date"], format="%Y-%m-%d")
    events = _check(EventModel, events, data_dir / "events.csv")[
        ["date", "pcode", "title", "source_url"]
    ]
    return places, members[["area_pcode", "member_pcode"]], events


def load_reference(store: Store, data_dir: Path) -> int:
    """Replace the store's gazetteer and events with the bundled ones; returns the place count."""
    places, members, events = read_reference(data_dir)
    writes.replace_reference(store.engine, places, members, events)
    return len(places)
