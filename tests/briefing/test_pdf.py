"""The PDF: the same numbers as the deck, read back with pypdf; its pages as PNG; Arabic
shaped (joined letters), right to left."""

import io
import subprocess
import unicodedata

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from dashboard.briefing import pack
from tests.briefing.conftest import IDLEB, NOW
from tests.briefing.numbers import numbers, problems, state, view_figures
from tests.briefing.test_deck import NORTH_WEST


def _pdf(store, where, lang) -> bytes:
    return pack.make(store, state(*where), "pdf", lang, 0.10, now=NOW)


def _pages(body: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("where", [IDLEB, NORTH_WEST], ids=["idleb", "north-west"])
def test_every_number_in_the_pdf_is_a_stored_figure_with_its_qualifier_and_source(
    bundled_store, artifacts, where, lang
):
    body = _pdf(bundled_store, where, lang)
    assert body.startswith(b"%PDF")
    name = f"{where[0]}_{lang}"
    (artifacts / f"{name}.pdf").write_bytes(body)
    pages = _pages(body)
    held = view_figures(bundled_store, state(*where))
    visual = lang == "ar"
    written = [n for p in pages for n in numbers(p, lang, held.publications, visual=visual)]
    assert len(written) >= 4, pages
    assert problems(pages, lang, held, visual=visual) == []
    # Each page as a picture, for a reader to look at (none left from an earlier run).
    for old in artifacts.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(artifacts / f"{name}.pdf"), str(artifacts / name)],
        check=True,
        timeout=120,
    )
    assert len(list(artifacts.glob(f"{name}-*.png"))) == len(pages)


def _embedded_glyphs(body: bytes, family: str) -> set[str]:
    """The glyph names of the embedded subsets of one font family: what the pages draw."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(body)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if family not in str(font["/BaseFont"]):
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            data = descriptor.get_object()["/FontFile2"].get_object().get_data()
            names |= set(TTFont(io.BytesIO(data)).getGlyphOrder())
    return names


def _form(name: str) -> str:
    return unicodedata.name(chr(int(name[3:], 16)), "") if name.startswith("uniFE") else ""


def test_the_arabic_pdf_writes_joined_arabic_right_to_left(bundled_store):
    """Joined, checked two ways: the text read back holds the gazetteer's Arabic name as one
    word, and the glyphs drawn are the letters' joining forms. Unshaped text would draw
    only isolated letters (U+0621..U+064A) and never, say, LAM INITIAL FORM."""
    body = _pdf(bundled_store, IDLEB, "ar")
    text = "\n".join(_pages(body))
    assert "إدلب" in text.split() or "إدلب:" in text.split()
    assert "عبر الزمن" in text
    glyphs = _embedded_glyphs(body, "BriefingSans")
    forms = {_form(g) for g in glyphs} - {""}
    # إدلب joined: alef with hamza below and dal stand alone, lam starts and beh ends a join.
    assert {"ARABIC LETTER LAM INITIAL FORM", "ARABIC LETTER BEH FINAL FORM"} <= forms
    assert sum(f.endswith(("INITIAL FORM", "MEDIAL FORM")) for f in forms) >= 10
    english = _pdf(bundled_store, IDLEB, "en")
    assert not {_form(g) for g in _embedded_glyphs(english, "BriefingSans")} - {""}


def test_the_pdf_says_what_it_is_in_its_own_language(bundled_store):
    reader = PdfReader(io.BytesIO(_pdf(bundled_store, IDLEB, "ar")))
    assert reader.metadata.title == "إحاطة حول النزوح: إدلب"
    assert reader.trailer["/Root"]["/Lang"] == "ar-SY"
