"""Admin boundaries for the map: COD-AB GeoJSON read when first needed, keyed by P-code.

The shipped shapes (`data/boundaries/`, OCHA COD-AB, simplified) are read on the first map
drawn, not at import, and a map is sent only the shapes of the place on screen.
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from etl.store import DATA_DIR

SHIPPED = DATA_DIR / "boundaries"
ATTRIBUTION = "Boundaries: OCHA, UN Cartographic Section (COD-AB, CC BY-IGO 3.0)"
DISCLAIMER = (
    "The boundaries and names shown and the designations used on this map do not imply "
    "official endorsement or acceptance by the United Nations."
)

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Shape:
    """One unit's outline: its polygons (outer ring first, then holes) and its label point."""

    pcode: str
    name: str
    polygons: tuple[tuple[Ring, ...], ...]
    label: tuple[float, float]  # lon, lat

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north."""
        lons = [x for polygon in self.polygons for x, _ in polygon[0]]
        lats = [y for polygon in self.polygons for _, y in polygon[0]]
        return min(lons), min(lats), max(lons), max(lats)


def feature_pcode(props: dict) -> str:
    """A feature's P-code: `PCODE`, else the most specific property named like `*pcode`.

    HDX's files carry every level's code (ADM0_PCODE, ADM1_PCODE, ADM2_PCODE): the longest is
    the unit's own.
    """
    if isinstance(props.get("PCODE"), str):
        return props["PCODE"]
    codes = [str(v) for k, v in props.items() if k.lower().endswith("pcode") and v]
    return max(codes, key=len, default="")


def _name(props: dict) -> str:
    for key in ("NAME_EN", "name", "NAME"):
        if isinstance(props.get(key), str):
            return props[key]
    return next((str(v) for k, v in props.items() if k.lower().endswith("name_en") and v), "")


def _centre(polygons: tuple[tuple[Ring, ...], ...]) -> tuple[float, float]:
    """The middle of the largest polygon's bounding box: a label point when none is given."""
    ring = max((p[0] for p in polygons), key=len)
    lons, lats = [x for x, _ in ring], [y for _, y in ring]
    return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2


def shapes_of(collection: dict) -> dict[str, Shape]:
    """The polygons of a GeoJSON FeatureCollection by P-code; other geometries are skipped."""
    out: dict[str, Shape] = {}
    for feature in collection.get("features", []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        coordinates = geometry.get("coordinates") or []
        if geometry.get("type") == "Polygon":
            coordinates = [coordinates]
        elif geometry.get("type") != "MultiPolygon":
            continue
        polygons = tuple(
            tuple([(float(p[0]), float(p[1])) for p in ring] for ring in polygon)
            for polygon in coordinates
            if polygon and polygon[0]
        )
        pcode = feature_pcode(props)
        if not pcode or not polygons:
            continue
        given = (props.get("LABEL_LON"), props.get("LABEL_LAT"))
        label = (
            (float(given[0]), float(given[1]))
            if all(isinstance(v, int | float) for v in given)
            else _centre(polygons)
        )
        out[pcode] = Shape(pcode, _name(props), polygons, label)
    return out


@functools.lru_cache(maxsize=4)
def load(path: str | None = None) -> dict[str, Shape]:
    """Every shape of a GeoJSON file, or of each `*.geojson` of a folder (by default the
    shipped COD-AB boundaries), read once per process."""
    where = Path(path) if path else SHIPPED
    files = sorted(where.glob("*.geojson")) if where.is_dir() else [where]
    out: dict[str, Shape] = {}
    for file in files:
        out |= shapes_of(json.loads(file.read_text(encoding="utf-8")))
    return out
