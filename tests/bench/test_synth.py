"""The synthetic data generator of the benchmarks (etl.synth, `python -m etl synth`)."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from etl.cli import app
from etl.pipeline import import_hxl
from etl.reference import load_reference, read_reference
from etl.sources.hxl import read_hxl
from etl.store import open_store
from etl.synth import COUNTRY, HXL_TAGS, VALUE_TAGS, generate, write_synth
from schemas.figures import NATURAL_KEY, RECOMMENDED_KEY
from tests.factories import stored_figures


def _written(tmp_path: Path, **kwargs: int) -> Path:
    options = {"figures": 1_500, "places": 40, "sources": 4, "seed": 3} | kwargs
    data = generate(
        options.pop("figures"), options.pop("places"), options.pop("sources"), **options
    )
    path = tmp_path / "synthetic.csv"
    write_synth(data, path)
    return path


def test_same_seed_same_data() -> None:
    first, again = generate(800, 30, 3, seed=11), generate(800, 30, 3, seed=11)
    pd.testing.assert_frame_equal(first.rows, again.rows)
    pd.testing.assert_frame_equal(first.places, again.places)
    pd.testing.assert_frame_equal(first.members, again.members)
    pd.testing.assert_frame_equal(first.events, again.events)


def test_another_seed_other_data() -> None:
    assert not generate(800, 30, 3, seed=1).rows.equals(generate(800, 30, 3, seed=2).rows)


@pytest.mark.parametrize("figures", [1, 7, 999, 5_000])
def test_exactly_the_requested_number_of_figures(figures: int) -> None:
    data = generate(figures, 25, 4, seed=5)
    cells = (data.rows[VALUE_TAGS] != "").to_numpy().sum()
    assert data.figures == cells == figures


def test_places_form_a_tree_of_admin_levels_zero_to_three() -> None:
    places = generate(100, 350, 2, seed=0).places
    admin = places[places["kind"] == "admin"]
    assert len(admin) == 350
    assert sorted(admin["admin_level"].unique()) == [0, 1, 2, 3]
    assert (admin["pcode"].str.len() == 2 + 2 * admin["admin_level"]).all()
    assert admin["pcode"].str.startswith(COUNTRY).all()
    known = set(admin["pcode"])
    below = admin[admin["admin_level"] > 0]
    assert below["parent_pcode"].isin(known).all()
    assert (below["pcode"].str[:-2] == below["parent_pcode"]).all()


def test_written_files_read_back_as_the_gazetteer_and_hxl(tmp_path: Path) -> None:
    path = _written(tmp_path)
    places, members, events = read_reference(tmp_path)
    assert len(places) == 41 and len(members) > 0 and len(events) > 0
    assert read_hxl(path).tags == HXL_TAGS


def test_one_recommended_per_place_metric_and_period_and_no_duplicate_key(
    tmp_path: Path,
) -> None:
    path = _written(tmp_path, figures=3_000, sources=5)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_reference(store, tmp_path)
    report = import_hxl(store, path)
    frame = pd.DataFrame(stored_figures(store))
    store.dispose()
    assert report.rows_loaded == 3_000
    assert not frame.duplicated(NATURAL_KEY).any()
    recommended = frame[frame["role"] == "recommended"]
    assert not recommended.duplicated(RECOMMENDED_KEY).any()
    per_slot = frame.groupby(RECOMMENDED_KEY, dropna=False)["role"].agg(
        lambda roles: (roles == "recommended").sum()
    )
    assert (per_slot == 1).all()
    assert (frame["role"] == "triangulation").any()
    assert set(frame["qualifier"]) >= {"exact", "more_than", "approximately"}
    assert set(frame["metric"]) >= {"idps", "new_displacements", "population"}
    assert frame["period_end"].min().year == 2019 and frame["period_end"].max().year == 2023


def test_small_set_loads_with_zero_rejections(tmp_path: Path) -> None:
    path = _written(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert load_reference(store, tmp_path) == 41
    report = import_hxl(store, path)
    store.dispose()
    assert report.status == "loaded", report.message
    assert [r.describe() for r in report.rejections] == []
    assert report.rows_loaded == report.figures_mapped == 1_500


def test_refuses_to_overwrite_a_real_gazetteer(tmp_path: Path) -> None:
    (tmp_path / "places.csv").write_text("pcode,kind,name\nSY,admin,Syria\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_synth(generate(10, 10, 1), tmp_path / "figures.csv")
    assert (tmp_path / "places.csv").read_text(encoding="utf-8").endswith("Syria\n")


def test_command_line_writes_the_four_files(tmp_path: Path) -> None:
    out = tmp_path / "bench" / "figures.csv"
    args = ["synth", "--figures", "300", "--places", "20", "--sources", "2", "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert "300 figures" in result.output
    for name in ("figures.csv", "places.csv", "place_members.csv", "events.csv"):
        assert (out.parent / name).stat().st_size > 0
    first = out.read_bytes()
    assert CliRunner().invoke(app, [*args, "--seed", "9"]).exit_code == 0
    assert out.read_bytes() == first


def test_command_line_refuses_too_few_places(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", "--places", "3", "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
