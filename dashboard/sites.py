"""IDP sites for the map: CCCM's ISIMM sites of April 2020 as points, read when first needed.

The shipped list (`data/sites/`, from ISIMM under Apache-2.0) places each site in its district
and sub-district; a district's or sub-district's map draws the sites within it, each with the
people ISIMM counted there that month.
"""

import functools

import pandas as pd

from etl.store import DATA_DIR

SHIPPED = DATA_DIR / "sites" / "cccm_sites_2020April.csv"
LISTED = "April 2020"  # the month the shipped list is of
ATTRIBUTION = "Sites: CCCM Cluster (Syria cross-border), ISIMM, April 2020 (Apache-2.0)"
COLUMNS = [
    "site_code", "name", "site_type", "people", "district_pcode", "subdistrict_pcode", "lat",
    "lon",
]  # fmt: skip
# A site is placed down to the sub-district: the column that holds a place's code, by the
# length of a Syrian P-code at that level.
_WITHIN = {6: "district_pcode", 8: "subdistrict_pcode"}


@functools.cache
def load() -> pd.DataFrame:
    """Every shipped site, read once per process."""
    return pd.read_csv(
        SHIPPED,
        dtype={c: "string" for c in COLUMNS} | {"people": "Int64", "lat": float, "lon": float},
    )


def within(sites: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """The sites inside a district or sub-district; none for any other place."""
    column = _WITHIN.get(len(pcode)) if pcode.startswith("SY") else None
    if column is None:
        return sites.iloc[0:0]
    return sites[sites[column] == pcode]
