"""Simplify OCHA's COD-AB boundaries for the dashboard's map: run once, ship the output.

    python data/boundaries/simplify.py ../shared/data/boundaries/syr_admin1.geojson \
        data/boundaries/syr_admin1.geojson

Each shape is simplified on its own (Douglas-Peucker, topology kept inside the shape) with a
tolerance of 0.003 degrees, about 300 m: invisible at the map's scale, and a twentieth of the
bytes. Neighbours' shared borders may then differ by up to that much, which the map cannot
show either. Coordinates are rounded to 4 decimals (about 11 m). Each feature keeps its P-code
and names, and gains the point inside it where its name is written (LABEL_LON, LABEL_LAT: the
pole of inaccessibility of its largest part, so a name sits inside even a crescent-shaped
unit). Needs shapely (the dev extra); the dashboard itself reads the output as plain JSON.
"""

import argparse
import json
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

TOLERANCE = 0.003  # degrees, about 300 m at Syria's latitude
DECIMALS = 4
KEPT = ("PCODE", "NAME_EN", "NAME_ARA", "ADMIN1_COD")


def _rounded(ring: list) -> list:
    """A ring's points rounded, with the repeats rounding makes dropped."""
    out: list = []
    for x, y in ring:
        point = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or point != out[-1]:
            out.append(point)
    return out


def simplified(feature: dict) -> dict | None:
    """One feature simplified and rounded, with its label point; None if nothing is left."""
    geometry = shape(feature["geometry"])
    thin = shapely.make_valid(shapely.simplify(geometry, TOLERANCE, preserve_topology=True))
    parts = [g for g in getattr(thin, "geoms", [thin]) if g.geom_type == "Polygon"]
    polygons = []
    for part in parts:
        # Outer rings anticlockwise, holes clockwise (RFC 7946): a browser's SVG fill then
        # leaves the holes empty (Damascus inside Rural Damascus).
        part = orient(part, sign=1.0)
        rings = [_rounded(list(part.exterior.coords))]
        rings += [_rounded(list(hole.coords)) for hole in part.interiors]
        if len(rings[0]) >= 4:  # an outer ring rounding left as a line is no area
            polygons.append([r for r in rings if len(r) >= 4])
    if not polygons:
        return None
    largest = max(parts, key=lambda p: p.area)
    label = polylabel(largest, tolerance=0.001)
    props = {k: feature["properties"][k] for k in KEPT if k in feature["properties"]}
    props |= {"LABEL_LON": round(label.x, DECIMALS), "LABEL_LAT": round(label.y, DECIMALS)}
    geom = (
        {"type": "Polygon", "coordinates": polygons[0]}
        if len(polygons) == 1
        else {"type": "MultiPolygon", "coordinates": polygons}
    )
    if not shape(geom).is_valid:
        raise ValueError(f"{props['PCODE']}: not a valid shape once simplified")
    return {"type": "Feature", "properties": props, "geometry": geom}


def main() -> None:
    """Read a COD-AB GeoJSON, write it simplified."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    collection = json.loads(args.source.read_text(encoding="utf-8"))
    features = [f for f in map(simplified, collection["features"]) if f is not None]
    features.sort(key=lambda f: f["properties"]["PCODE"])
    out = {"type": "FeatureCollection", "features": features}
    args.target.write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"{args.target}: {len(features)} features, {args.target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
