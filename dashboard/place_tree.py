"""The gazetteer as the page walks it: the menu, a place's children, the breadcrumb."""

import pandas as pd

from dashboard.state import DEFAULT_PLACE
from schemas.pcodes import country_of


def within_countries(places: pd.DataFrame, countries: set[str]) -> pd.DataFrame:
    """The places of the countries that have figures (of Syria, the default, when none has)."""
    keep = countries or {DEFAULT_PLACE}
    return places[places["pcode"].map(country_of).isin(keep)].reset_index(drop=True)


def menu_places(places: pd.DataFrame) -> pd.DataFrame:
    """The places the place menu offers: each country, its governorates and the response areas."""
    return places[(places["admin_level"].isin([0, 1])) | (places["kind"] == "area")]


def children(places: pd.DataFrame, members: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """The places one level below: admin children, or the members of an area."""
    if pcode in set(members["area_pcode"]):
        inside = members.loc[members["area_pcode"] == pcode, "member_pcode"]
        return places[places["pcode"].isin(inside)]
    return places[places["parent_pcode"] == pcode]


def breadcrumb(places: pd.DataFrame, pcode: str) -> list[tuple[str, str]]:
    """(pcode, name) from the country down to the place; an area sits under its country."""
    index = places.set_index("pcode")
    trail = []
    current: str | None = pcode
    while isinstance(current, str) and current in index.index:
        row = index.loc[current]
        trail.append((current, str(row["name"])))
        parent = row["parent_pcode"]
        if not isinstance(parent, str) and row["kind"] == "area":
            parent = current.split("-")[0] if current.split("-")[0] in index.index else None
        current = parent if isinstance(parent, str) else None
    return list(reversed(trail))
