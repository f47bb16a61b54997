"""The pack's map: the places within as their COD-AB areas, named, on the page's scale."""

import dataclasses

import matplotlib.pyplot as plt
from matplotlib.patches import PathPatch

from dashboard import boundaries, data, map_figure
from dashboard.briefing import model, pictures
from dashboard.briefing.catalogue import text
from tests.briefing.conftest import IDLEB, NOW
from tests.briefing.numbers import state


def _pack(store) -> model.Pack:
    return model.load(store, state(*IDLEB), 0.10, NOW)


def test_every_district_of_idleb_is_an_area_coloured_by_people_displaced(bundled_store):
    pack = _pack(bundled_store)
    _, kids = data.selected(data.reference(bundled_store), state(*IDLEB))
    assert set(pack.areas) == set(kids["pcode"]) & set(boundaries.load())
    assert len(pack.areas) == 5
    fig = pictures.map_figure(pack, "en")
    ax = fig.axes[0]
    areas = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert len(areas) == len(pack.areas)
    fills = {tuple(round(c, 3) for c in a.get_facecolor()[:3]) for a in areas}
    # Ariha has no figure: grey, as on the page; the others on the page's colour scale.
    grey = tuple(round(c, 3) for c in pictures._rgb(map_figure.NO_FIGURE))
    assert grey in fills and len(fills) == 5
    labels = [t.get_text() for t in ax.texts]
    assert "Harim\n700,821" in labels and "Ariha" in labels
    footer = " ".join(t.get_text() for t in fig.texts)
    assert "COD-AB" in footer and "do not imply official endorsement" in footer
    plt.close(fig)


def test_the_arabic_map_names_the_areas_from_the_gazetteer(bundled_store):
    fig = pictures.map_figure(_pack(bundled_store), "ar")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert any(label.startswith("حارم") for label in labels)
    assert text("ar", "map_disclaimer") in " ".join(t.get_text() for t in fig.texts)
    plt.close(fig)


def test_without_shipped_boundaries_the_map_is_of_points_at_the_seat_towns(bundled_store):
    pack = dataclasses.replace(_pack(bundled_store), areas={})
    fig = pictures.map_figure(pack, "en")
    ax = fig.axes[0]
    assert not [p for p in ax.patches if isinstance(p, PathPatch)]
    assert len(ax.collections[0].get_offsets()) == len(pack.points) > 0
    plt.close(fig)
