"""The bundled gazetteer and default input load cleanly and carry the reference case's figures."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.pipeline import RunReport, import_hxl
from etl.reference import load_reference
from etl.store import DATA_DIR, Store, open_store
from tests.factories import BACKENDS, postgres_server, stored_figures

BUNDLED = DATA_DIR / "bundled" / "nw_syria_2019_2020.csv"


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, RunReport]]:
    if request.param == "postgresql":
        url = postgres_server().new_database()
    else:
        folder: Path = tmp_path_factory.mktemp("bundled")
        url = f"sqlite:///{folder / 'store.db'}"
    store = open_store(url)
    assert load_reference(store, DATA_DIR) > 0
    yield store, import_hxl(store, BUNDLED)
    store.dispose()


def _figures(store: Store, **match: object) -> list[dict[str, object]]:
    return [r for r in stored_figures(store) if all(r[k] == v for k, v in match.items())]


def test_bundled_input_loads_without_rejections(loaded: tuple[Store, RunReport]) -> None:
    store, report = loaded
    assert report.status == "loaded", report.message
    assert [r.describe() for r in report.rejections] == []
    assert report.rows_loaded == report.figures_mapped > 0
    assert len(stored_figures(store)) == report.rows_loaded


def test_idleb_population_is_about_three_million(loaded: tuple[Store, RunReport]) -> None:
    store, _ = loaded
    found = _figures(store, pcode="SY07", metric="population")
    assert [(r["value"], r["qualifier"]) for r in found] == [(3_000_000, "approximately")]
    assert found[0]["admin_level"] == 1


def test_opposition_held_north_west_has_one_and_a_half_million_idps(
    loaded: tuple[Store, RunReport],
) -> None:
    store, _ = loaded
    found = _figures(store, pcode="SY-NW-OPP", metric="idps", value=1_500_000)
    assert len(found) == 1
    assert found[0]["admin_level"] is None
    assert found[0]["period_start"] == found[0]["period_end"]


def test_more_than_a_thousand_newly_displaced_with_an_origin(
    loaded: tuple[Store, RunReport],
) -> None:
    store, _ = loaded
    found = _figures(store, metric="new_displacements", value=1000, qualifier="more_than")
    with_origin = [r for r in found if r["origin_pcode"]]
    assert len(with_origin) >= 1
    assert all(r["origin_pcode"] != r["pcode"] for r in with_origin)


def test_reloading_the_bundled_input_changes_nothing(loaded: tuple[Store, RunReport]) -> None:
    store, first = loaded
    before = stored_figures(store)
    again = import_hxl(store, BUNDLED)
    assert again.ok, again.message
    assert (again.changes.added, again.changes.changed, again.changes.removed) == (0, 0, 0)
    assert again.changes.unchanged == first.rows_loaded
    assert stored_figures(store) == before
