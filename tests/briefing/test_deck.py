"""The deck: every number it writes is a stored figure with its qualifier and its citation."""

import dataclasses
import datetime as dt
import io

import pytest
from pptx import Presentation

from dashboard import data, headline
from dashboard.briefing import model, pack
from dashboard.state import ViewState
from tests.briefing.conftest import IDLEB, NOW
from tests.briefing.extract import deck_blocks, pictures
from tests.briefing.numbers import numbers, problems, state, view_figures

NORTH_WEST = ("SY-NW", dt.date(2019, 12, 1), dt.date(2020, 3, 5))


def _deck(store, where, lang="en") -> bytes:
    return pack.make(store, state(*where), "pptx", lang, 0.10, now=NOW)


@pytest.mark.parametrize("where", [IDLEB, NORTH_WEST], ids=["idleb", "north-west"])
def test_every_number_is_a_stored_figure_followed_by_its_publication(
    bundled_store, artifacts, where
):
    body = _deck(bundled_store, where)
    (artifacts / f"{where[0]}_en.pptx").write_bytes(body)
    blocks = [b for slide in deck_blocks(body) for b in slide]
    held = view_figures(bundled_store, state(*where))
    written = [n for b in blocks for n in numbers(b, "en", held.publications)]
    assert len(written) >= 4, blocks
    assert problems(blocks, "en", held) == []


def test_the_idleb_deck_says_what_the_page_says(bundled_store):
    body = _deck(bundled_store, IDLEB)
    text = "\n".join(b for slide in deck_blocks(body) for b in slide)
    ref = data.reference(bundled_store)
    v = data.view(bundled_store, ref, state(*IDLEB), 0.10)
    for card in headline.headline_cards(v.own, IDLEB[1], IDLEB[2]):
        assert card.text in text
    assert (
        "OCHA reported about 560,000 people newly displaced in Idleb between 1 December 2019 "
        "and 5 March 2020 (Recent Developments in Northwest Syria - Flash Update (2020-03-05))."
    ) in text
    # Idleb's people displaced are ISIMM's people in sites as of the month before the end,
    # and the card says how far they moved since ISIMM's month before, as the page's does.
    page = {c.key: c for c in headline.headline_cards(v.own, IDLEB[1], IDLEB[2])}
    assert page["idps"].detail == "as of 2020-02-29 · +22% since 2020-01-31"
    assert "People displaced\n928,298\nas of 29 February 2020 · +22% since 31 January 2020" in text


SYRIA_APRIL = ("SY", dt.date(2020, 4, 1), dt.date(2020, 4, 30))


def test_a_place_without_its_own_figure_shows_the_one_sum_the_page_allows(bundled_store):
    body = _deck(bundled_store, SYRIA_APRIL)
    blocks = [b for slide in deck_blocks(body) for b in slide]
    text = "\n".join(blocks)
    ref = data.reference(bundled_store)
    v = data.view(bundled_store, ref, state(*SYRIA_APRIL), 0.10)
    page = {c.key: c for c in data.cards(v, state(*SYRIA_APRIL))}
    # The page's card and the pack's say the same: ISIMM's two governorates added up.
    assert "sum of 2 governorates" in page["idps"].detail
    assert (
        f"People displaced\n{page['idps'].text}\nno figure of its own; sum of 2 governorates"
        in text
    )
    held = view_figures(bundled_store, state(*SYRIA_APRIL))
    assert problems(blocks, "en", held) == []
    # The sum is accepted because the store's units add up to it, and only that sum.
    total = int(page["idps"].text.replace(",", ""))
    assert problems([f"{total + 1:,} (IDP Sites Integrated Monitoring Matrix (ISIMM))"], "en", held)
    # Never in a sentence about the country as if it were Syria's own figure.
    assert not any("reported" in b and page["idps"].text in b for b in blocks)


def test_a_number_the_store_lacks_is_caught_and_never_written(bundled_store):
    held = view_figures(bundled_store, state(*IDLEB))
    # The checker catches an invented number, a changed qualifier and a missing citation.
    assert problems(["OCHA reported 123,456 people newly displaced (Flash Update)."], "en", held)
    assert problems(
        ["OCHA reported 560,000 people newly displaced (Flash Update (2020-03-05))."], "en", held
    )
    assert problems(["OCHA reported about 560,000 people newly displaced."], "en", held)
    # A sum the dashboard would not show (population and flow of two publishers) is not in the
    # deck; nor is anything but the stored figures.
    body = _deck(bundled_store, IDLEB)
    slides = deck_blocks(body)
    text = "\n".join(b for slide in slides for b in slide)
    assert "3,560,000" not in text
    # The figures table's rows are stored figures one by one (checked above); the rest of the
    # deck writes only these.
    rest = [b for slide in slides if slide[0] != "Figures and their sources" for b in slide]
    values = {n.value for b in rest for n in numbers(b, "en", held.publications)}
    # OCHA's flow, the population, ISIMM's people in sites, the share of the two stocks and
    # how far ISIMM's count moved since its previous month.
    assert values == {560_000, 3_000_000, 928_298, 31, 22}


def test_a_forged_figure_in_the_pack_would_be_caught(bundled_store):
    """The check above can fail: a pack whose card value is changed is refused by it."""
    ref = data.reference(bundled_store)
    loaded = model.load(bundled_store, state(*IDLEB), 0.10, NOW)
    forged = dataclasses.replace(loaded.cards.new, value=561_000)
    loaded.cards = dataclasses.replace(loaded.cards, new=forged)
    body = pack.render(loaded, "pptx", "en")
    blocks = [b for slide in deck_blocks(body) for b in slide]
    found = problems(blocks, "en", view_figures(bundled_store, state(*IDLEB)))
    assert any("561,000" in p for p in found), found
    del ref


def test_every_picture_has_alternative_text_and_the_title_is_read_first(bundled_store):
    body = _deck(bundled_store, NORTH_WEST)
    found = pictures(body)
    assert {name for _, name, _ in found} >= {"Over time · North-west Syria"}
    for number, name, alt in found:
        assert len(alt) > 40, (number, name, alt)
    for slide in Presentation(io.BytesIO(body)).slides:
        assert slide.shapes[0].name == "Title"


def test_a_view_with_no_figures_gives_a_pack_that_says_so(bundled_store):
    body = pack.make(
        bundled_store,
        ViewState("SY01", None, dt.date(2019, 12, 1), dt.date(2020, 3, 5)),
        "pptx",
        "en",
        0.1,
        now=NOW,
    )
    text = "\n".join(b for slide in deck_blocks(body) for b in slide)
    assert "No figures for this place and period." in text
    assert (
        "No figures were published for Damascus between 1 December 2019 and 5 March 2020." in text
    )
    assert (
        problems(
            text.split("\n"), "en", view_figures(bundled_store, state("SY01", IDLEB[1], IDLEB[2]))
        )
        == []
    )


@pytest.mark.parametrize(
    ("place", "start", "end", "message"),
    [
        ("XX99", dt.date(2019, 12, 1), dt.date(2020, 3, 5), "unknown place 'XX99'"),
        ("SY07", dt.date(2020, 3, 5), dt.date(2019, 12, 1), "the dates are reversed"),
    ],
)
def test_a_bad_request_is_refused_in_words(bundled_store, place, start, end, message):
    with pytest.raises(model.BriefError, match=message):
        pack.make(bundled_store, ViewState(place, None, start, end), "pptx", "en", 0.1, now=NOW)


def test_an_unknown_language_or_format_is_refused_in_words(bundled_store):
    with pytest.raises(model.BriefError, match="unknown language"):
        pack.make(bundled_store, state(*IDLEB), "pptx", "fr", 0.1, now=NOW)
    with pytest.raises(model.BriefError, match=r"\.pptx or \.pdf"):
        pack.format_of("idleb.docx")


@pytest.mark.parametrize("where", [IDLEB, NORTH_WEST], ids=["idleb", "north-west"])
def test_the_arabic_deck_cites_every_number_and_runs_right_to_left(bundled_store, artifacts, where):
    body = _deck(bundled_store, where, "ar")
    (artifacts / f"{where[0]}_ar.pptx").write_bytes(body)
    blocks = [b for slide in deck_blocks(body) for b in slide]
    held = view_figures(bundled_store, state(*where))
    assert len([n for b in blocks for n in numbers(b, "ar", held.publications)]) >= 4
    assert problems(blocks, "ar", held) == []
    prs = Presentation(io.BytesIO(body))
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    assert paragraph._p.pPr.get("rtl") == "1"
    assert prs.core_properties.language == "ar-SY"


def test_the_arabic_deck_names_places_from_the_gazetteer(bundled_store):
    text = "\n".join(b for slide in deck_blocks(_deck(bundled_store, IDLEB, "ar")) for b in slide)
    assert "إحاطة حول النزوح: إدلب" in text
    assert "أفادت OCHA بنزوح نحو 560,000 شخص حديثاً في إدلب بين 1 ديسمبر 2019 و5 مارس 2020" in text
    assert "Idleb" not in text


NORTH_WEST_JANUARY = ("SY-NW", dt.date(2020, 1, 1), dt.date(2020, 1, 31))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_place_without_a_figure_or_a_sum_lists_what_its_parts_report(bundled_store, lang):
    where = NORTH_WEST_JANUARY
    v = data.view(bundled_store, data.reference(bundled_store), state(*where), 0.10)
    page = {c.key: c for c in data.cards(v, state(*where))}
    assert "no area-wide figure; its member units report: Harim 602,517" in page["idps"].detail
    blocks = [b for slide in deck_blocks(_deck(bundled_store, where, lang)) for b in slide]
    text = "\n".join(blocks)
    if lang == "en":
        # A'zaz the sub-district counts only the sites CCCM's site list places there: "more than".
        assert (
            "People displaced\n–\nno figure of its own; its member units report: Harim 602,517; "
            "A'zaz 139,810+; Idleb 118,139 (CCCM Cluster (Syria cross-border), IDP Sites "
            "Integrated Monitoring Matrix (ISIMM), 31 January 2020); +8 more"
        ) in text
    else:
        assert (
            "ما تفيد به الوحدات الأعضاء التابعة لها: حارم 602,517؛ مركز اعزاز أكثر من 139,810؛ "
            "مركز إدلب 118,139"
        ) in text
    # Each part's number is its own stored figure, followed by its publication.
    assert problems(blocks, lang, view_figures(bundled_store, state(*where))) == []


def test_the_table_s_filter_narrows_the_figures_the_pack_lists(bundled_store):
    query = "{publisher} contains OCHA"
    everything = model.load(bundled_store, state(*IDLEB), 0.10, NOW)
    ocha = model.load(bundled_store, state(*IDLEB), 0.10, NOW, query)
    assert len({c.org for c in everything.table}) > 1
    assert {c.org for c in ocha.table} == {"OCHA"}
    assert 0 < ocha.table_count < everything.table_count
    body = pack.make(bundled_store, state(*IDLEB), "pptx", "en", 0.10, NOW, query)
    slides = deck_blocks(body)
    listed = next(s for s in slides if s[0] == "Figures and their sources")
    assert (
        listed[1]
        == "The newest figures that match the table's filter; the CSV export holds them all."
    )
    assert all("OCHA" in row for row in listed[2:]) and len(listed) > 2
    text = "\n".join(b for slide in slides for b in slide)
    assert f"Table filter: {query}" in text
    held = view_figures(bundled_store, state(*IDLEB))
    assert problems([b for slide in slides for b in slide], "en", held) == []


def test_the_figures_listed_say_where_and_for_whom_as_the_table_does(bundled_store):
    slides = deck_blocks(_deck(bundled_store, IDLEB))
    listed = [r for s in slides if s[0] == "Figures and their sources" for r in s[1:]]
    assert listed[0].startswith("The newest figures of this view")
    rows = listed[1:]
    assert len(rows) == model.TABLE_ROWS
    assert any(r.startswith("Idleb (SY0700) · people displaced (IDPs), women · ") for r in rows)
    assert any(r.startswith("Idleb (SY07) · newly displaced · ~560,000 · ") for r in rows)
