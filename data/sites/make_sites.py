"""Writes `data/sites/cccm_sites_2020April.csv`: where each ISIMM site of April 2020 is.

    python data/sites/make_sites.py \
        data/bundled/isimm/ISIMM_2020April.csv etl/sources/cccm_isimm_sites.csv \
        data/sites/cccm_sites_2020April.csv

The April 2020 month of ISIMM (upstream `unhcr-xborder-turkey/ISIMM`, Apache-2.0) gives each
site's name, type, people and location ("lat,lon" in `geo`); CCCM's site list beside it
(`etl/sources/cccm_isimm_sites.csv`) gives its district and sub-district. Only the sites both
name are written: a site the list does not place has no sub-district to be drawn in. Run
once; its output is shipped.
"""

import csv
import sys
from pathlib import Path

TYPES = {
    "IS": "informal settlement",
    "PC": "planned camp",
    "CC": "collective centre",
    "T/RC": "transit or reception centre",
}
COLUMNS = [
    "site_code", "name", "site_type", "people", "district_pcode", "subdistrict_pcode", "lat",
    "lon",
]  # fmt: skip


def site_points(month: Path, placed: Path) -> list[dict[str, str]]:
    """The sites of the month that the site list places, in the order of its site codes."""
    with placed.open(encoding="utf-8", newline="") as f:
        where = {row["site_code"]: row for row in csv.DictReader(f)}
    out = []
    with month.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            code = row["PCODE"].strip()
            if code not in where:
                continue
            lat, lon = (float(part) for part in row["geo"].split(","))
            out.append(
                {
                    "site_code": code,
                    "name": " ".join(row["camp_name"].split()),
                    "site_type": TYPES.get(row["TypeSite"].strip(), row["TypeSite"].strip()),
                    "people": str(int(float(row["individual"]))),
                    "district_pcode": where[code]["district_pcode"],
                    "subdistrict_pcode": where[code]["subdistrict_pcode"],
                    "lat": f"{lat:.5f}",
                    "lon": f"{lon:.5f}",
                }
            )
    return sorted(out, key=lambda r: r["site_code"])


def main(month: str, placed: str, out: str) -> None:
    """Write the site points of `month` placed by `placed` to `out`."""
    rows = site_points(Path(month), Path(placed))
    with Path(out).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} sites written to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
