"""The world's gazetteer: every country, OCHA's admin 1 and 2, Syria's curated rows on top."""

from pathlib import Path

import pandas as pd
import pytest

from etl.pipeline import import_hxl
from etl.reference import global_units, load_reference, read_reference, world_gazetteer
from etl.store import DATA_DIR, Store, reads, writes
from schemas.places import PLACE_COLUMNS
from tests.factories import GOOD_ROWS, good_file, make_store, runs, world_store


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    places, _, _ = read_reference(DATA_DIR)
    return places.set_index("pcode")


def test_every_iso_country_is_an_admin_0_place(world: pd.DataFrame) -> None:
    countries = world[world["admin_level"] == 0]
    assert len(countries) == 249  # ISO 3166-1
    assert {"TD", "ML", "NG", "IN", "AF", "SY", "BDI"} <= set(countries.index)
    assert world.loc["TD", "name"] == "Chad"


@pytest.mark.parametrize(
    ("pcode", "name", "level", "parent"),
    [
        ("TD07", "Lac", 1, "TD"),
        ("TD0704", "Fouli", 2, "TD07"),
        ("ML07", "Gao", 1, "ML"),
        ("NG008", "Borno", 1, "NG"),
        ("NG008021", "Maiduguri", 2, "NG008"),  # three digits per level
        ("BDI001", "Bubanza", 1, "BDI"),  # the ISO3 prefix its COD uses
        ("IQG01Q01", "Al-Falluja", 2, "IQG01"),
    ],
)
def test_global_units_sit_under_their_parents(
    world: pd.DataFrame, pcode: str, name: str, level: int, parent: str
) -> None:
    row = world.loc[pcode]
    assert (row["name"], row["admin_level"], row["parent_pcode"]) == (name, level, parent)


def test_the_curated_syria_rows_win(world: pd.DataFrame) -> None:
    assert world.loc["SY07", "name"] == "Idleb"
    assert world.loc["SY07", "name_ar"] == "إدلب"
    assert world.loc["SY070200", "admin_level"] == 3  # admin 3 is only in places.csv
    assert world.loc["SY-NW", "kind"] == "area"


def test_rows_the_length_rules_cannot_read_are_left_out() -> None:
    raw = pd.DataFrame(
        {
            "Location": ["TJK", "TCD", "TCD", "KGZ"],
            "Admin Level": ["1", "1", "2", "2"],
            "P-Code": ["3501000", "TD07", "TD0704", "KG08400000010"],
            "Name": ["Dushanbe", "Lac", "Fouli", "Somewhere"],
            "Parent P-Code": ["TJK", "TCD", "TD07", "KG08000000000"],
        }
    )
    assert list(global_units(raw)["pcode"]) == ["TD07", "TD0704"]


def test_a_curated_row_wins_over_a_global_one() -> None:
    curated = pd.DataFrame([["TD07", "admin", "Lac (curated)", None, 1, "TD", 13.5, 14.7]])
    curated.columns = PLACE_COLUMNS
    units = pd.DataFrame([["TD07", "admin", "Lac", None, 1, "TD", None, None]])
    units.columns = PLACE_COLUMNS
    frame = world_gazetteer(curated, units).set_index("pcode")
    assert frame.loc["TD07", "name"] == "Lac (curated)"
    assert frame.loc["TD", "admin_level"] == 0


def test_the_world_gazetteer_loads_into_the_store(tmp_path: Path) -> None:
    store = make_store(tmp_path, reference=False)
    assert load_reference(store, DATA_DIR) > 30_000
    places = reads.places(store.engine).set_index("pcode")
    # The tests' copy of a loaded store (tests.factories.world_store) holds the same places.
    copied = reads.places(world_store(tmp_path, name="copy.db").engine).set_index("pcode")
    pd.testing.assert_frame_equal(copied.sort_index(), places.sort_index())
    assert places.loc["TD0704", "parent_pcode"] == "TD07"
    assert places.loc["SY07", "name_ar"] == "إدلب"
    store.dispose()


def test_units_added_from_a_publication_survive_a_gazetteer_reload(store: Store) -> None:
    added = pd.DataFrame([["SY07000099", "admin", "New unit", None, None, None, None, None]])
    added.columns = PLACE_COLUMNS
    with store.engine.begin() as conn:
        writes._add_places(conn, added.assign(added_from="hxl: sites.csv", admin_level=3))
    places, members, events = read_reference(Path(__file__).parents[1] / "fixtures" / "reference")
    writes.replace_reference(store.engine, places, members, events)
    stored = reads.places(store.engine).set_index("pcode")
    assert stored.loc["SY07000099", "added_from"] == "hxl: sites.csv"
    assert stored["added_from"].notna().sum() == 1


def test_countries_with_figures(store: Store, tmp_path: Path) -> None:
    assert reads.countries_with_figures(store.engine) == set()
    assert import_hxl(store, good_file(tmp_path)).ok
    assert reads.countries_with_figures(store.engine) == {"SY"}


def test_a_figure_published_twice_is_kept_once_and_is_no_rejection(
    store: Store, tmp_path: Path
) -> None:
    # The same figure again, from another page of the same publisher: same key, same number.
    again = list(GOOD_ROWS[3])
    again[11] = "https://example.org/the-same-figure-again"
    report = import_hxl(store, good_file(tmp_path, [*GOOD_ROWS, again]))
    assert report.ok, report.message
    assert (report.rows_loaded, report.published_twice, report.rejections) == (5, 1, [])
    assert "1 published twice, kept once" in report.summary()
    assert runs(store)[0]["rows_rejected"] == 0


def test_the_same_key_with_two_numbers_is_still_refused(store: Store, tmp_path: Path) -> None:
    clash = list(GOOD_ROWS[3])
    clash[7] = "464831"
    report = import_hxl(store, good_file(tmp_path, [*GOOD_ROWS, clash]))
    assert report.published_twice == 0
    assert {r.check for r in report.rejections} >= {"unique_natural_key"}


def test_the_places_of_some_countries_are_read_without_the_rest(tmp_path: Path) -> None:
    store = world_store(tmp_path)
    places = reads.places(store.engine, {"TD", "BDI"})
    assert {"TD", "TD07", "TD0704", "BDI", "BDI001"} <= set(places["pcode"])
    assert not places["pcode"].str.startswith("SY").any()
    assert len(places) < 1_000
    store.dispose()


def test_a_row_repeated_whole_is_one_figure(store: Store, tmp_path: Path) -> None:
    report = import_hxl(store, good_file(tmp_path, [*GOOD_ROWS, GOOD_ROWS[3]]))
    assert (report.rows_loaded, report.rejections) == (5, [])
