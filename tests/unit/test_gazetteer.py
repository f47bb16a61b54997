"""The bundled gazetteer's seat-town points: in Syria, in their governorate, near their parent.

A sanity net over data/places.csv, not a survey: the boxes are generous rough extents of each
governorate (whole degrees and halves around the COD boundaries), enough to catch a point with
swapped lat/lon, a sign slip or a point copied from the wrong admin unit.
"""

import math
from pathlib import Path

import pandas as pd
import pytest

from etl.reference import read_reference
from etl.store import DATA_DIR
from schemas.pcodes import ancestor_at

# Syria: about 32.3-37.3 N, 35.7-42.4 E.
SYRIA = (32.0, 37.5, 35.5, 42.5)

# Rough extent (lat min, lat max, lon min, lon max) of each governorate.
GOVERNORATES = {
    "SY01": (33.4, 33.6, 36.2, 36.4),  # Damascus
    "SY02": (35.4, 37.0, 36.4, 39.0),  # Aleppo
    "SY03": (32.5, 34.5, 35.8, 38.8),  # Rural Damascus
    "SY04": (33.8, 35.3, 36.2, 40.8),  # Homs
    "SY05": (34.7, 35.6, 36.1, 38.0),  # Hama
    "SY06": (35.3, 36.0, 35.7, 36.3),  # Lattakia
    "SY07": (35.3, 36.4, 36.1, 37.2),  # Idleb
    "SY08": (35.7, 37.4, 39.8, 42.4),  # Al-Hasakeh
    "SY09": (34.3, 36.0, 38.8, 41.4),  # Deir-ez-Zor
    "SY10": (34.6, 35.3, 35.8, 36.3),  # Tartous
    "SY11": (35.0, 36.8, 37.9, 40.2),  # Ar-Raqqa
    "SY12": (32.3, 33.2, 35.8, 36.6),  # Dar'a
    "SY13": (32.3, 33.1, 36.2, 37.5),  # As-Sweida
    "SY14": (32.8, 33.4, 35.6, 36.1),  # Quneitra
}

# A sub-district seat lies within this distance of its district's seat (the farthest today is
# Maskana, about 62 km south of Menbij; next, Tall Ed-daman, about 45 km south of Aleppo city).
MAX_SUBDISTRICT_KM = 65.0

# Admin units whose seat point was not found in a citable source (data/README.md, "Not
# included"). Every admin place has a point today; a new gap fails until it is documented here.
KNOWN_WITHOUT_POINT: set[str] = set()


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    frame, _, _ = read_reference(DATA_DIR)
    sources = pd.read_csv(
        Path(DATA_DIR) / "places.csv", dtype="str", keep_default_na=False, na_values=[""]
    )
    # The curated rows of data/places.csv; the global units have no points.
    return frame.merge(sources[["pcode", "coords_source"]], on="pcode", how="inner")


def _inside(lat: float, lon: float, box: tuple[float, float, float, float]) -> bool:
    lat_min, lat_max, lon_min, lon_max = box
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def _governorate(pcode: str) -> str:
    governorate = ancestor_at(pcode, 1)
    assert governorate is not None, pcode
    return governorate


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance, good to well under 1% at these scales."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def _misplaced(places: pd.DataFrame) -> list[str]:
    """Admin places with a point outside Syria or outside their governorate's extent."""
    bad = []
    for row in places.itertuples():
        if row.kind != "admin" or pd.isna(row.lat):
            continue
        if not _inside(row.lat, row.lon, SYRIA):
            bad.append(f"{row.pcode}: ({row.lat}, {row.lon}) outside Syria")
        elif row.admin_level >= 1 and not _inside(
            row.lat, row.lon, GOVERNORATES[_governorate(row.pcode)]
        ):
            bad.append(f"{row.pcode}: ({row.lat}, {row.lon}) outside {_governorate(row.pcode)}")
    return bad


def test_every_governorate_has_an_extent(places: pd.DataFrame) -> None:
    governorates = places.loc[places["admin_level"] == 1, "pcode"]
    assert set(governorates) == set(GOVERNORATES)


def test_every_admin_place_has_a_point_unless_documented(places: pd.DataFrame) -> None:
    admin = places[places["kind"] == "admin"]
    without = set(admin.loc[admin["lat"].isna(), "pcode"])
    assert without == KNOWN_WITHOUT_POINT
    assert (admin["lat"].isna() == admin["lon"].isna()).all()


def test_every_point_names_its_source(places: pd.DataFrame) -> None:
    with_point = places[places["lat"].notna()]
    assert with_point["coords_source"].notna().all()
    assert places.loc[places["lat"].isna(), "coords_source"].isna().all()


def test_admin_points_lie_in_syria_and_in_their_governorate(places: pd.DataFrame) -> None:
    assert _misplaced(places) == []


def test_area_points_lie_in_syria(places: pd.DataFrame) -> None:
    areas = places[places["kind"] == "area"]
    assert not areas.empty
    assert all(_inside(r.lat, r.lon, SYRIA) for r in areas.itertuples())


def test_subdistrict_seats_are_near_their_district_seat(places: pd.DataFrame) -> None:
    by_pcode = places.set_index("pcode")
    far = []
    for row in places[(places["admin_level"] == 3) & places["lat"].notna()].itertuples():
        parent = by_pcode.loc[row.parent_pcode]
        if pd.isna(parent["lat"]):
            continue
        km = _km(row.lat, row.lon, parent["lat"], parent["lon"])
        if km > MAX_SUBDISTRICT_KM:
            far.append(f"{row.pcode}: {km:.0f} km from {row.parent_pcode}")
    assert far == []


def test_the_check_catches_swapped_coordinates(places: pd.DataFrame) -> None:
    swapped = places.copy()
    row = swapped["pcode"] == "SY070200"  # Ma'arrat An Nu'man: 35.65 N, 36.68 E
    swapped.loc[row, ["lat", "lon"]] = swapped.loc[row, ["lon", "lat"]].to_numpy()
    assert _misplaced(swapped) == ["SY070200: (36.676, 35.6484) outside SY07"]


def test_the_check_catches_a_point_from_another_governorate(places: pd.DataFrame) -> None:
    moved = places.copy()
    ain_al_arab = moved.loc[moved["pcode"] == "SY0206", ["lat", "lon"]].to_numpy()
    moved.loc[moved["pcode"] == "SY070403", ["lat", "lon"]] = ain_al_arab
    assert [m.split(":")[0] for m in _misplaced(moved)] == ["SY070403"]
