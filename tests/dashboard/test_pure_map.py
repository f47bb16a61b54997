"""The map: parts as areas from the shipped COD-AB shapes, named, coloured by the measure
chosen, movements as named arrows, and words where a country has no boundaries."""

import json
import re

import pandas as pd

from dashboard import boundaries, map_figure, sites
from etl.store import DATA_DIR
from tests.dashboard.conftest import make_figures

PLACES = pd.read_csv(DATA_DIR / "places.csv", dtype={"admin_level": "Int64"})
IDLEB_DISTRICTS = ["SY0700", "SY0702", "SY0703", "SY0704", "SY0705"]


def _place(pcode: str) -> pd.Series:
    return PLACES[PLACES["pcode"] == pcode].iloc[0]


def _kids(parent: str) -> pd.DataFrame:
    return PLACES[PLACES["parent_pcode"] == parent]


def _rows(**by_pcode: tuple[int | None, int | None, float | None]) -> pd.DataFrame:
    """Breakdown rows as `rules.breakdown` gives them: (idps, new, share) per P-code."""
    return pd.DataFrame(
        [
            {
                "pcode": pcode,
                "name": pcode,
                "name_ar": None,
                "idps": idps,
                "idps_text": f"{idps:,}" if idps is not None else "–",
                "new": new,
                "new_text": f"{new:,}" if new is not None else "–",
                "share": share,
            }
            for pcode, (idps, new, share) in by_pcode.items()
        ],
        columns=["pcode", "name", "name_ar", "idps", "idps_text", "new", "new_text", "share"],
    )


NO_MOVES = make_figures({}).iloc[0:0]


def _map(pcode: str, rows: pd.DataFrame, measure: str = "idps", **kw) -> dict:
    return map_figure.map_view(
        PLACES,
        _place(pcode),
        kw.get("kids", _kids(pcode)),
        rows,
        kw.get("moves", NO_MOVES),
        kw.get("shapes", boundaries.load()),
        measure,
        kw.get("sites"),
    )


def _areas(spec: dict) -> list[dict]:
    return [t for t in spec["data"] if t.get("fill") == "toself"]


def _names(spec: dict) -> dict:
    return next(t for t in spec["data"] if t.get("mode") == "markers+text" and "customdata" in t)


def _words(spec: dict) -> str:
    """The map's notes as read: its line breaks and styles left out."""
    text = " ".join(a["text"] for a in spec["layout"]["annotations"])
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_the_shipped_boundaries_hold_every_idleb_district_keyed_by_pcode():
    shapes = boundaries.load()
    assert set(IDLEB_DISTRICTS) <= set(shapes)
    assert {f"SY{n:02d}" for n in range(1, 15)} <= set(shapes)
    assert shapes["SY0705"].name == "Ariha"
    west, south, east, north = shapes["SY0705"].bounds
    lon, lat = shapes["SY0705"].label
    assert west < lon < east and south < lat < north  # the name is written inside
    # Simplified: small enough to send a governorate's districts with each view.
    assert (boundaries.SHIPPED / "syr_admin2.geojson").stat().st_size < 200_000


def test_a_feature_is_keyed_by_its_own_most_specific_pcode():
    assert boundaries.feature_pcode({"PCODE": "SY07"}) == "SY07"
    props = {"ADM0_PCODE": "SY", "ADM1_PCODE": "SY07", "ADM2_PCODE": "SY0705"}
    assert boundaries.feature_pcode(props) == "SY0705"
    collection = {
        "features": [
            {"properties": {"ADM2_PCODE": "SY0705"}, "geometry": {"type": "Point"}},
            {
                "properties": {"admin2Pcode": "SY0703", "admin2Name_en": "Harim"},
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 0]]]},
            },
        ]
    }
    shapes = boundaries.shapes_of(collection)
    assert list(shapes) == ["SY0703"]  # a point has no area
    assert shapes["SY0703"].name == "Harim"
    assert shapes["SY0703"].label == (1.0, 1.0)


def test_idlebs_districts_are_drawn_as_areas_and_named():
    spec = _map("SY07", _rows(SY0703=(700_000, None, 0.5)))
    assert len(_areas(spec)) == len(IDLEB_DISTRICTS)
    names = _names(spec)
    assert sorted(names["customdata"]) == IDLEB_DISTRICTS  # a click drills into each
    text = " ".join(names["text"])
    for name in ("Idleb", "Al Ma'ra", "Harim", "Jisr-Ash-Shugur", "Ariha"):
        assert f"<b>{name}</b>" in text
    assert "<b>Harim</b><br>700,000" in names["text"]
    # Drawn on plain axes: no tiles, no geo subplot, nothing fetched.
    assert "geo" not in spec["layout"] and "mapbox" not in spec["layout"]
    assert {t["type"] for t in spec["data"]} == {"scatter"}
    words = _words(spec)
    assert "OCHA, UN Cartographic Section" in words
    assert "do not imply official endorsement or acceptance by the United Nations" in words


def test_only_the_shapes_of_the_view_are_sent():
    spec = json.dumps(_map("SY07", _rows(SY0703=(700_000, None, 0.5))))
    aleppo_far_east = str(boundaries.load()["SY0208"].polygons[0][0][0][0])
    assert aleppo_far_east not in spec
    assert len(spec) < 60_000


def _fills(spec: dict) -> dict[str, str]:
    """Each area's fill colour, by the name its hover starts with."""
    return {t["name"].split(":")[0]: t["fillcolor"] for t in _areas(spec)}


def test_the_colours_follow_the_measure_chosen():
    rows = _rows(SY0703=(700_000, 1_000, 0.5), SY0705=(10_000, 90_000, 0.9))
    by_idps, by_new, by_share = (_map("SY07", rows, m) for m in ("idps", "new", "share"))
    darkest = map_figure.colour_for(1.0, 1.0)
    assert _fills(by_idps)["Harim"] == darkest != _fills(by_idps)["Ariha"]
    assert _fills(by_new)["Ariha"] == darkest != _fills(by_new)["Harim"]
    assert _fills(by_share)["Ariha"] == darkest
    # A place with no figure is grey and hatched, and a legend entry says what that means.
    idleb = next(t for t in _areas(by_idps) if t["name"].startswith("Idleb"))
    assert idleb["fillcolor"] == map_figure.NO_FIGURE and "fillpattern" in idleb
    assert any(t.get("name") == "No figure" and t.get("showlegend") for t in by_idps["data"])
    # The legend is the colour scale of the measure, in its units.
    for spec, title, ticks in (
        (by_idps, "People displaced", ",d"),
        (by_new, "Newly displaced in range", ",d"),
        (by_share, "Share of population", ".0%"),
    ):
        bar = _names(spec)["marker"]["colorbar"]
        assert (bar["title"]["text"], bar["tickformat"]) == (title, ticks)
    assert "<b>Ariha</b><br>90%" in _names(by_share)["text"]
    assert map_figure.measure_of("<script>") == "idps"


def test_no_figure_for_the_measure_says_so_and_still_draws_the_places():
    spec = _map("SY07", _rows(SY0703=(700_000, None, None)), "new")
    assert len(_areas(spec)) == len(IDLEB_DISTRICTS)
    assert "No figure of newly displaced in range" in _words(spec)
    assert not _names(spec)["marker"]["showscale"]


def test_sub_districts_are_points_inside_their_districts_outline():
    spec = _map("SY0703", _rows(SY070301=(5_000, None, None)))
    outline = _areas(spec)
    assert len(outline) == 1 and outline[0]["name"] == "Harim"  # where the points are
    points = next(t for t in spec["data"] if t.get("mode") == "markers" and "customdata" in t)
    assert "SY070301" in points["customdata"]
    assert len(points["customdata"]) == len(_kids("SY0703"))
    assert "<b>Dana</b><br>5,000" in _names(spec)["text"]


def _triangles(spec: dict) -> dict:
    return next(t for t in spec["data"] if t.get("marker", {}).get("symbol") == "triangle-up")


def test_the_shipped_sites_are_placed_by_district_and_sub_district():
    shipped = sites.load()
    assert len(shipped) == 869 and shipped["site_code"].is_unique
    assert (shipped["subdistrict_pcode"].str[:6] == shipped["district_pcode"]).all()
    assert len(sites.within(shipped, "SY0703")) == 514  # Harim
    assert len(sites.within(shipped, "SY070301")) == 445  # Dana
    assert sites.within(shipped, "SY07").empty  # a governorate's map draws its districts
    assert sites.within(shipped, "ML0501").empty


def test_a_sub_districts_sites_are_triangles_inside_its_districts_outline():
    dana = sites.within(sites.load(), "SY070301")
    spec = _map("SY070301", _rows(), sites=dana)
    outline = _areas(spec)
    assert [a["name"] for a in outline] == ["Harim"]  # the nearest unit with a shape
    triangles = _triangles(spec)
    assert len(triangles["x"]) == 440  # 5 of Dana's 445 listed sites lie outside Harim
    assert "Kelbit (informal settlement, CP000510): 12,500 people in April 2020 (ISIMM)" in (
        triangles["hovertext"]
    )
    words = _words(spec)
    assert "440 IDP sites are drawn as triangles where CCCM listed them in April 2020" in words
    assert "5 listed sites whose coordinates lie outside their district are not drawn" in words
    assert "ISIMM, April 2020 (Apache-2.0)" in words


def test_a_site_far_outside_its_district_is_not_drawn_and_one_inside_is():
    listed = pd.DataFrame(
        {"site_code": ["CP1", "CP2"], "name": ["In", "Out"], "site_type": ["planned camp"] * 2,
         "people": pd.array([1_000, None], dtype="Int64"), "district_pcode": ["SY0703"] * 2,
         "subdistrict_pcode": ["SY070301"] * 2, "lat": [36.2, 35.9], "lon": [36.7, 36.18]}
    )  # fmt: skip
    assert map_figure.inside_districts(listed, boundaries.load()).tolist() == [True, False]
    spec = _map("SY070301", _rows(), sites=listed)
    assert _triangles(spec)["hovertext"] == [
        "In (planned camp, CP1): 1,000 people in April 2020 (ISIMM)"
    ]


def test_a_map_without_sites_says_nothing_of_them():
    spec = _map("SY0703", _rows(SY070301=(5_000, None, None)))
    assert "IDP sites" not in _words(spec) and "ISIMM" not in _words(spec)


def _moves() -> pd.DataFrame:
    return make_figures(
        {"metric": "new_displacements", "pcode": "SY-NW", "origin_pcode": "SY070003",
         "period_start": "2020-02-01", "period_end": "2020-02-29", "value": 185_364},
        {"metric": "new_displacements", "pcode": "SY-NW", "origin_pcode": "SY070003",
         "period_start": "2020-01-01", "period_end": "2020-01-31", "value": 20_000},
        {"metric": "new_displacements", "pcode": "SY-NW", "origin_pcode": "SY020001",
         "period_start": "2020-02-01", "period_end": "2020-02-29", "value": 97_469},
        {"metric": "new_displacements", "pcode": "SY-NW", "origin_pcode": "SY070500",
         "period_start": "2020-02-01", "period_end": "2020-02-29", "value": 5,
         "role": "triangulation"},
    )  # fmt: skip


def test_one_arrow_per_movement_the_largest_report_never_a_sum():
    flows = map_figure.map_flows(_moves(), PLACES)
    assert list(flows["value"]) == [185_364, 97_469]  # the triangulation is not drawn
    assert list(flows["reports"]) == [2, 1]
    assert "the largest of 2 reports" in flows["text"].iloc[0]
    assert list(flows["origin_name"]) == ["Saraqab", "Atareb"]
    assert list(flows["name"]) == ["North-west Syria"] * 2


def test_arrows_go_from_origin_to_destination_as_wide_as_their_number_with_both_ends_named():
    members = ["SY0700", "SY0702", "SY0703"]
    spec = _map("SY-NW", _rows(), kids=PLACES[PLACES["pcode"].isin(members)], moves=_moves())
    arrows = [a for a in spec["layout"]["annotations"] if a.get("showarrow")]
    assert len(arrows) == 2
    big, small = arrows
    assert big["arrowwidth"] > small["arrowwidth"]
    saraqab = _place("SY070003")
    assert (big["ax"], big["ay"]) == (saraqab["lon"], saraqab["lat"])  # the tail: the origin
    destination = _place("SY-NW")
    assert (big["x"], big["y"]) == (destination["lon"], destination["lat"])
    written = " ".join(str(x) for t in spec["data"] for x in t.get("text") or [])
    for end in ("Saraqab", "Atareb", "North-west Syria"):
        assert end in written
    numbers = next(t for t in spec["data"] if t.get("mode") == "text")
    assert numbers["text"] == ["185,364", "97,469"]
    assert any("from Saraqab to North-west Syria" in h for h in numbers["hovertext"])


def test_a_country_without_shipped_boundaries_says_so_in_words():
    spec = _map("SY07", _rows(SY0703=(700_000, None, None)), shapes={})
    assert _areas(spec) == []
    words = _words(spec)
    assert "No boundaries are shipped for Syrian Arab Republic" in words
    assert "seat towns" in words
    assert len(_names(spec)["customdata"]) == len(IDLEB_DISTRICTS)  # at their centres

    nowhere = _kids("SY07").assign(lat=None, lon=None)
    blank = _map("SY07", _rows(), kids=nowhere, shapes={})
    assert blank["data"] == []  # no canvas with dots: words only
    assert re.search(r"No boundaries are shipped .* nothing to draw", _words(blank))
