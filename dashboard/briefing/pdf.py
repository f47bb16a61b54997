"""The pack as a PDF (fpdf2): no browser, Arabic shaped by HarfBuzz (uharfbuzz).

fpdf2 orders mixed Arabic and Latin text by the Unicode bidirectional algorithm and shapes
each run with HarfBuzz, so letters join as they should; it embeds subsets of the shipped
Noto fonts. Pictures carry their alternative text, the document its language and title,
and content is written in reading order.
"""

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from dashboard.briefing.wording import CardText, Document, Section

FONTS = Path(__file__).parent / "fonts"
INK = (26, 26, 26)
MUTED = (68, 68, 68)
LINK = (0, 90, 156)
CARD_FILL = (242, 245, 248)
CARD_LINE = (204, 211, 218)
LANG_TAGS = {"en": "en-GB", "ar": "ar-SY"}
MARGIN = 15.0
FAMILY = "briefing-sans"
LINE = 6.0


class _Pdf(FPDF):
    """An A4 page with the pack's fonts, shaping and direction."""

    def __init__(self, doc: Document) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        # One font for both scripts: with a fallback font for Latin, fpdf2 drew the brackets
        # that close an Arabic sentence with wrong glyphs.
        self.add_font(FAMILY, "", FONTS / "BriefingSans-Regular.ttf")
        self.add_font(FAMILY, "B", FONTS / "BriefingSans-Bold.ttf")
        self.main = FAMILY
        self.set_text_shaping(use_shaping_engine=True, direction="rtl" if doc.rtl else "ltr")
        self.set_lang(LANG_TAGS[doc.lang])
        self.set_title(doc.title)
        self.set_author("Displacement dashboard")
        self.set_creator("displacement-dashboard briefing pack")

    @property
    def align(self) -> str:
        return "R" if self.doc.rtl else "L"

    def write_text(
        self,
        value: str,
        size: float,
        colour: tuple[int, int, int] = INK,
        *,
        bold: bool = False,
        width: float = 0,
        url: str | None = None,
        gap: float = 2.0,
    ) -> None:
        self.set_font(self.main, "B" if bold else "", size)
        self.set_text_color(*(LINK if url else colour))
        self.multi_cell(
            width,
            size * 0.5,
            value,
            align=self.align,
            link=url or None,
            new_x=XPos.LMARGIN if not width else XPos.LEFT,
            new_y=YPos.NEXT,
        )
        self.ln(gap)


def _heading(pdf: _Pdf, section: Section, size: float = 16) -> None:
    pdf.write_text(section.heading, size, bold=True, gap=3)


def _cards(pdf: _Pdf, cards: list[CardText]) -> None:
    columns = 2
    gap = 5.0
    width = (pdf.epw - gap) / columns
    height = 46.0
    top = pdf.get_y()
    for i, card in enumerate(cards):
        row, column = divmod(i, columns)
        if pdf.doc.rtl:
            column = columns - 1 - column
        x = pdf.l_margin + column * (width + gap)
        y = top + row * (height + gap)
        pdf.set_fill_color(*CARD_FILL)
        pdf.set_draw_color(*CARD_LINE)
        pdf.rect(x, y, width, height, style="DF")
        pdf.set_xy(x + 3, y + 3)
        for value, size, colour, bold in (
            (card.label, 10, MUTED, False),
            (card.value, 20, INK, True),
            (card.detail, 9, MUTED, False),
            (card.source, 8, MUTED, False),
        ):
            if value:
                pdf.write_text(value, size, colour, bold=bold, width=width - 6, gap=1)
                pdf.set_x(x + 3)
    pdf.set_xy(pdf.l_margin, top + 2 * (height + gap))


# Room a chart's heading takes above it, in mm.
HEADING_MM = 20


def _chart(pdf: _Pdf, section: Section, png: bytes) -> None:
    # A picture keeps its proportions (a map is as tall as its places are spread) and stays
    # whole under its heading: narrower when it would be taller than a page.
    with Image.open(io.BytesIO(png)) as picture:
        ratio = picture.height / picture.width
    width = min(pdf.epw, (pdf.eph - HEADING_MM) / ratio)
    needed = width * ratio + HEADING_MM
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    _heading(pdf, section, 14)
    x = pdf.l_margin + (pdf.epw - width) / 2
    pdf.image(png, x=x, w=width, alt_text=section.alt, title=section.heading)
    pdf.ln(4)


def render(doc: Document, pictures: dict[str, bytes]) -> bytes:
    """The PDF's bytes."""
    pdf = _Pdf(doc)
    pdf.add_page()
    for section in doc.sections:
        if section.key == "title":
            pdf.write_text(section.heading, 22, bold=True, gap=4)
            for value in section.paragraphs:
                pdf.write_text(value, 11, MUTED)
            pdf.ln(4)
            continue
        if section.chart:
            _chart(pdf, section, pictures[section.chart])
            continue
        if section.cards:
            if pdf.get_y() + 110 > pdf.h - pdf.b_margin:
                pdf.add_page()
            _heading(pdf, section)
            _cards(pdf, section.cards)
            continue
        if pdf.get_y() + 30 > pdf.h - pdf.b_margin:
            pdf.add_page()
        _heading(pdf, section)
        for value in section.paragraphs:
            pdf.write_text(value, 11, gap=3)
        for title, url in section.links:
            pdf.write_text(title, 9, url=url, gap=1.5)
        pdf.ln(3)
    return bytes(pdf.output())
