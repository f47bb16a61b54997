"""The place menu holds the countries that have figures, not the whole world's gazetteer."""

import pandas as pd

from dashboard.place_tree import menu_places, within_countries

PLACES = pd.DataFrame(
    {
        "pcode": ["SY", "SY07", "SY-NW", "TD", "TD07", "TD0704", "ML", "BDI", "BDI001"],
        "kind": ["admin", "admin", "area", "admin", "admin", "admin", "admin", "admin", "admin"],
        "name": ["Syria", "Idleb", "NW", "Chad", "Lac", "Fouli", "Mali", "Burundi", "Bubanza"],
        "admin_level": pd.array([0, 1, None, 0, 1, 2, 0, 0, 1], dtype="Int64"),
    }
)


def test_only_the_countries_with_figures_and_their_units() -> None:
    kept = within_countries(PLACES, {"TD", "BDI"})
    assert list(kept["pcode"]) == ["TD", "TD07", "TD0704", "BDI", "BDI001"]
    assert list(menu_places(kept)["pcode"]) == ["TD", "TD07", "BDI", "BDI001"]


def test_an_area_belongs_to_its_country() -> None:
    assert list(within_countries(PLACES, {"SY"})["pcode"]) == ["SY", "SY07", "SY-NW"]


def test_an_empty_store_shows_the_default_country() -> None:
    assert list(within_countries(PLACES, set())["pcode"]) == ["SY", "SY07", "SY-NW"]
