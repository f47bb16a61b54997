"""The bundled reference data: gazetteer, response-area members and events.

The gazetteer is the world's: every ISO 3166 country at admin 0 (pycountry), admin 1 and 2 of
160 countries from OCHA's Global P-Codes (data/gazetteer/), and the curated Syria rows of
data/places.csv (Arabic names, seat-town points, sub-districts, response areas), which win
where both have a unit.
"""

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pycountry

from etl.errors import InputError
from etl.store import Store, writes
from schemas.events import EventModel
from schemas.pcodes import admin_level_of, iso3_to_prefix, parent_of
from schemas.places import PLACE_COLUMNS, PlaceMemberModel, PlaceModel

GLOBAL_PCODES = Path("gazetteer") / "global_pcodes_adm1_adm2.csv"


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


def countries() -> pd.DataFrame:
    """Admin 0 of every ISO 3166 country, under the P-code its COD uses (SY, TD, BDI)."""
    prefix = iso3_to_prefix()
    rows = [
        (prefix[c.alpha_3], getattr(c, "common_name", None) or c.name) for c in pycountry.countries
    ]
    frame = pd.DataFrame(rows, columns=["pcode", "name"]).assign(kind="admin", admin_level=0)
    return frame.reindex(columns=PLACE_COLUMNS)


def global_units(raw: pd.DataFrame) -> pd.DataFrame:
    """Admin 1 and 2 rows of OCHA's global P-code list that its own length rules can read.

    A row whose code its country's lengths do not give (Tajikistan's codes have no prefix,
    Madagascar's admin 2 lengths vary) or whose parent is not the code one level up (a few
    Kyrgyz and Lebanese rows) is left out rather than stored under rules it breaks.
    """
    prefix = iso3_to_prefix()
    level = pd.to_numeric(raw["Admin Level"], errors="coerce").astype("Int64")
    parent = raw["Parent P-Code"].where(level != 1, raw["Location"].map(prefix))
    frame = pd.DataFrame(
        {
            "pcode": raw["P-Code"].str.strip(),
            "kind": "admin",
            "name": raw["Name"].str.strip(),
            "admin_level": level,
            "parent_pcode": parent,
        }
    ).reindex(columns=PLACE_COLUMNS)
    readable = [
        isinstance(code, str) and admin_level_of(code) == lv and parent_of(code) == up
        for code, lv, up in zip(
            frame["pcode"], frame["admin_level"], frame["parent_pcode"], strict=True
        )
    ]
    return frame[pd.Series(readable, index=frame.index) & frame["name"].notna()]


def world_gazetteer(curated: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Countries, the global admin 1-2 units and the curated rows; a curated row wins."""
    frame = pd.concat([curated, units, countries()], ignore_index=True)
    frame = frame.drop_duplicates("pcode", keep="first").reset_index(drop=True)
    frame["admin_level"] = frame["admin_level"].astype("Int64")
    for col in ("lat", "lon"):
        frame[col] = frame[col].astype("float64")
    return frame


def read_reference(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read and validate places, area members and events from `data_dir`."""
    places = _read(data_dir / "places.csv")
    places["admin_level"] = pd.to_numeric(places["admin_level"]).astype("Int64")
    for col in ("lat", "lon"):
        places[col] = pd.to_numeric(places[col]).astype("float64")
    places = _check(PlaceModel, places, data_dir / "places.csv")[PLACE_COLUMNS]
    if (data_dir / GLOBAL_PCODES).exists():
        units = global_units(_read(data_dir / GLOBAL_PCODES))
        places = _check(PlaceModel, world_gazetteer(places, units), data_dir / GLOBAL_PCODES)
    members = _check(PlaceMemberModel, _read(data_dir / "place_members.csv"), data_dir)
    listed = set(places["pcode"].tolist())
    unknown = set(members["area_pcode"].tolist()).union(members["member_pcode"].tolist()) - listed
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
