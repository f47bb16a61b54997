"""Writes `etl/sources/cccm_isimm_sites.csv`: each ISIMM site's sub-district, as CCCM placed it.

    python data/bundled/isimm/site_subdistricts.py \
        ISIMM_2020April.xlsx etl/sources/cccm_isimm_sites.csv

The April 2020 workbook of ISIMM (upstream `unhcr-xborder-turkey/ISIMM`, Apache-2.0) holds,
beside its site table, a working sheet (`Sheet1`) that gives every site of the month before
its COD P-codes down to the sub-district (`Admin2`, `Admin3`) next to its CCCM code
(`PCODE_ Sites`). The monthly CSVs name only a site's governorate and district; this table
is what lets the connector add sites up per sub-district too. Run once; its output is shipped.
"""

import csv
import re
import sys
from pathlib import Path

import openpyxl

SHEET = "Sheet1"
# A CCCM site code; the sheet also holds spreadsheet errors (#N/A) where a code was looked up.
SITE_CODE = re.compile(r"^CP\d{6}$")
COLUMNS = {"PCODE_ Sites": "site_code", "Admin2": "district_pcode", "Admin3": "subdistrict_pcode"}


def site_rows(workbook: Path) -> list[dict[str, str]]:
    """(site code, district, sub-district) of every site of the working sheet, by site code."""
    book = openpyxl.load_workbook(workbook, read_only=True, data_only=True)
    rows = book[SHEET].iter_rows(values_only=True)
    header = [" ".join(str(c or "").split()) for c in next(rows)]
    at = {name: header.index(name) for name in COLUMNS}
    out: dict[str, dict[str, str]] = {}
    for values in rows:
        cells = {COLUMNS[name]: str(values[i] or "").strip() for name, i in at.items()}
        if not all(cells.values()) or not SITE_CODE.match(cells["site_code"]):
            continue
        if not cells["subdistrict_pcode"].startswith(cells["district_pcode"]):
            raise ValueError(f"{cells}: the sub-district is not in the district")
        if out.setdefault(cells["site_code"], cells) != cells:
            raise ValueError(f"{cells['site_code']} is placed twice, differently")
    book.close()
    return [out[code] for code in sorted(out)]


def main() -> None:
    """Read the workbook named first, write the table named second."""
    workbook, target = Path(sys.argv[1]), Path(sys.argv[2])
    rows = site_rows(workbook)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS.values()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{target}: {len(rows)} sites")


if __name__ == "__main__":
    main()
