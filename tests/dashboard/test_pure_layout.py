"""The page's pure pieces: place options and labels, a headline card, the freshness line."""

import datetime as dt

import pandas as pd
from dash import html

from dashboard import layout
from dashboard.headline import Card
from etl.store import Store, reads, writes
from tests.dashboard.pure_factories import make_places, make_reference


def _walk(component: object):
    """Every component in a tree, the root first."""
    yield component
    if isinstance(component, str):
        return
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            yield from _walk(child)
    elif children is not None:
        yield from _walk(children)


def _text(component: object) -> str:
    return "".join(c for c in _walk(component) if isinstance(c, str))


def test_place_options_are_the_country_governorates_and_areas() -> None:
    options = layout.place_options(make_reference())
    assert [o["value"] for o in options] == ["SY", "SY02", "SY07", "SY-NW", "SY-NW-OPP"]
    assert [o["label"] for o in options] == [
        "Syria · سوريا",
        "Aleppo · حلب",
        "Idleb · إدلب",
        "Area: North-west Syria · شمال غرب سوريا",
        "Area: Opposition-held north-west Syria",
    ]


def test_place_options_leave_districts_out() -> None:
    values = {o["value"] for o in layout.place_options(make_reference())}
    assert not values & {"SY0700", "SY0702", "SY070003", "SY070200"}


def test_district_options_of_a_governorate() -> None:
    options = layout.district_options(make_reference(), "SY07", None)
    assert options == [
        {"label": "Al Ma'ra · المعرة", "value": "SY0702"},
        {"label": "Idleb · إدلب", "value": "SY0700"},
    ]


def test_district_options_open_the_chosen_district() -> None:
    options = layout.district_options(make_reference(), "SY07", "SY0702")
    assert [o["value"] for o in options] == ["SY0702", "SY070200", "SY0700"]
    assert options[1]["label"] == "— Ma'arrat An Nu'man · معرة النعمان"


def test_an_area_or_a_district_has_no_district_options() -> None:
    assert layout.district_options(make_reference(), "SY-NW-OPP", None) == []


def test_place_label_with_and_without_an_arabic_name() -> None:
    places = make_places().set_index("pcode", drop=False)
    assert layout.place_label(places.loc["SY07"]) == "Idleb · إدلب"
    assert layout.place_label(places.loc["SY-NW-OPP"]) == "Opposition-held north-west Syria"
    assert layout.place_label(pd.Series({"name": "Harim", "name_ar": ""})) == "Harim"


def test_a_card_shows_the_number_as_published_and_links_its_source() -> None:
    c = Card(
        "idps", "People displaced", "1,500,000+", "as of 2020-01-28", "OCHA", "https://x.org/r"
    )
    div = layout.card(c)
    assert isinstance(div, html.Div)
    assert div.id == "card-idps"
    value = next(d for d in _walk(div) if getattr(d, "id", None) == "card-idps-value")
    assert value.children == "1,500,000+"
    links = [d for d in _walk(div) if isinstance(d, html.A)]
    assert len(links) == 1
    assert (links[0].href, links[0].target, links[0].children) == (
        "https://x.org/r",
        "_blank",
        "OCHA",
    )
    assert "noopener" in links[0].rel
    assert "People displaced" in _text(div) and "as of 2020-01-28" in _text(div)


def test_a_card_without_a_source_has_no_link() -> None:
    div = layout.card(Card("share", "Share of population displaced", "–", "needs both figures"))
    assert not [d for d in _walk(div) if isinstance(d, html.A)]
    value = next(d for d in _walk(div) if getattr(d, "id", None) == "card-share-value")
    assert value.children == "–"


def test_freshness_line_names_each_source() -> None:
    loads = pd.DataFrame(
        {
            "source": ["dtm", "hxl"],
            "last_loaded": [dt.datetime(2020, 2, 1, 12, 5), dt.datetime(2020, 3, 1, 6, 0)],
            "last_failed": [None, None],
        }
    )
    assert layout.freshness_line(loads) == (
        "Data: dtm: last loaded 2020-02-01 12:05 UTC; hxl: last loaded 2020-03-01 06:00 UTC"
    )


def test_freshness_line_when_no_source_ever_loaded() -> None:
    loads = pd.DataFrame(
        {"source": ["hxl"], "last_loaded": [None], "last_failed": [dt.datetime(2020, 2, 1)]}
    )
    assert layout.freshness_line(loads) == "Data: hxl: last loaded never"


def test_freshness_line_with_nothing_loaded() -> None:
    empty = pd.DataFrame(columns=["source", "last_loaded", "last_failed"])
    assert layout.freshness_line(empty).startswith("No data loaded yet")


def test_freshness_line_with_a_source_that_only_ever_failed(store: Store) -> None:
    """As etl.store.reads.last_loads returns it: one source loaded, another only failed."""
    for run_id, source, status in (("r1", "hxl", "loaded"), ("r2", "dtm", "failed")):
        writes.start_run(store.engine, run_id, source, None)
        writes.finish_run(
            store.engine,
            run_id,
            source,
            status=status,
            rows_fetched=0,
            rows_loaded=0,
            rejections=[],
            message="",
        )
    line = layout.freshness_line(reads.last_loads(store.engine))
    assert line.startswith("Data: dtm: last loaded never; hxl: last loaded ")
    assert line.endswith(" UTC")
