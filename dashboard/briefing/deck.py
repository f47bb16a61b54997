"""The pack as a PowerPoint deck (python-pptx): one slide per section, 16:9.

Accessible as the page is: every picture has its alternative text (`descr`), shapes are
added in reading order (title first), the Arabic deck's paragraphs run right to left, and
text is dark on white (the page's contrast).
"""

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from dashboard.briefing.wording import Document, Section

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
INK = RGBColor(0x1A, 0x1A, 0x1A)
MUTED = RGBColor(0x44, 0x44, 0x44)
LINK = RGBColor(0x00, 0x5A, 0x9C)
CARD_FILL = RGBColor(0xF2, 0xF5, 0xF8)
# Named, not embedded: PowerPoint and LibreOffice shape Arabic themselves with these.
LATIN_FONT = "Noto Sans"
ARABIC_FONT = "Noto Sans Arabic"
LANG_TAGS = {"en": "en-GB", "ar": "ar-SY"}
# What fits on one slide at the body size.
PARAGRAPHS_PER_SLIDE = 5
LINKS_PER_SLIDE = 10


def _style_run(run, doc: Document, size: int, colour: RGBColor, bold: bool = False) -> None:
    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = colour
    font.name = LATIN_FONT
    props = run._r.get_or_add_rPr()
    props.set("lang", LANG_TAGS[doc.lang])
    # Complex-script runs (Arabic) take the `cs` typeface.
    for tag, face in (("a:cs", ARABIC_FONT),):
        element = props.find(qn(tag))
        if element is None:
            element = props.makeelement(qn(tag), {})
            props.append(element)
        element.set("typeface", face)


def _direction(paragraph, doc: Document) -> None:
    if doc.rtl:
        paragraph._p.get_or_add_pPr().set("rtl", "1")
        paragraph.alignment = PP_ALIGN.RIGHT
    else:
        paragraph.alignment = PP_ALIGN.LEFT


def _text_box(slide, doc: Document, left, top, width, height, name: str):
    box = slide.shapes.add_textbox(left, top, width, height)
    box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    return frame


def _paragraph(
    frame,
    doc: Document,
    value: str,
    size: int,
    colour: RGBColor = INK,
    *,
    first: bool = False,
    bold: bool = False,
    url: str | None = None,
) -> None:
    paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
    _direction(paragraph, doc)
    paragraph.space_after = Pt(8)
    run = paragraph.add_run()
    run.text = value
    _style_run(run, doc, size, LINK if url else colour, bold)
    if url:
        run.hyperlink.address = url


def _slide(prs: Presentation, doc: Document, heading: str):
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank: the title is ours, first
    frame = _text_box(slide, doc, MARGIN, Inches(0.35), WIDTH - 2 * MARGIN, Inches(0.9), "Title")
    _paragraph(frame, doc, heading, 28, first=True, bold=True)
    return slide


def _body(slide, doc: Document, name: str = "Body"):
    return _text_box(
        slide, doc, MARGIN, Inches(1.4), WIDTH - 2 * MARGIN, HEIGHT - Inches(2.0), name
    )


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _paragraph_slides(prs: Presentation, doc: Document, section: Section) -> None:
    for chunk in _chunks(section.paragraphs, PARAGRAPHS_PER_SLIDE):
        slide = _slide(prs, doc, section.heading)
        frame = _body(slide, doc)
        for i, value in enumerate(chunk):
            _paragraph(frame, doc, value, 18 if section.key != "title" else 20, first=i == 0)


def _card_slide(prs: Presentation, doc: Document, section: Section) -> None:
    slide = _slide(prs, doc, section.heading)
    gap = Inches(0.3)
    width = Emu(int((WIDTH - 2 * MARGIN - gap * (len(section.cards) - 1)) / len(section.cards)))
    order = list(enumerate(section.cards))
    for i, card in order:
        # Right to left, the first card stands at the right.
        column = len(section.cards) - 1 - i if doc.rtl else i
        left = MARGIN + column * (width + gap)
        box = slide.shapes.add_shape(1, left, Inches(1.6), width, Inches(4.2))
        box.name = f"Card {i + 1}: {card.label}"
        box.fill.solid()
        box.fill.fore_color.rgb = CARD_FILL
        box.line.color.rgb = RGBColor(0xCC, 0xD3, 0xDA)
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.TOP
        _paragraph(frame, doc, card.label, 16, MUTED, first=True)
        _paragraph(frame, doc, card.value, 32, bold=True)
        _paragraph(frame, doc, card.detail, 14, MUTED)
        if card.source:
            _paragraph(frame, doc, card.source, 12, MUTED)


def _chart_slide(prs: Presentation, doc: Document, section: Section, png: bytes) -> None:
    slide = _slide(prs, doc, section.heading)
    picture = slide.shapes.add_picture(io.BytesIO(png), MARGIN, Inches(1.3), height=Inches(5.2))
    if picture.width > WIDTH - 2 * MARGIN:
        ratio = (WIDTH - 2 * MARGIN) / picture.width
        picture.width = int(picture.width * ratio)
        picture.height = int(picture.height * ratio)
    picture.left = int((WIDTH - picture.width) / 2)
    picture.name = section.heading
    # The alternative text screen readers announce for the picture.
    picture._element.nvPicPr.cNvPr.set("descr", section.alt)


def _sources_slides(prs: Presentation, doc: Document, section: Section) -> None:
    if not section.links:
        _paragraph_slides(prs, doc, section)
        return
    for chunk in _chunks(section.links, LINKS_PER_SLIDE):
        slide = _slide(prs, doc, section.heading)
        frame = _body(slide, doc)
        for i, (title, url) in enumerate(chunk):
            _paragraph(frame, doc, title, 13, first=i == 0, url=url)


def render(doc: Document, pictures: dict[str, bytes]) -> bytes:
    """The deck's bytes."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = doc.title
    prs.core_properties.language = LANG_TAGS[doc.lang]
    prs.core_properties.author = "Displacement dashboard"
    for section in doc.sections:
        if section.cards:
            _card_slide(prs, doc, section)
        elif section.chart:
            _chart_slide(prs, doc, section, pictures[section.chart])
        elif section.key == "sources":
            _sources_slides(prs, doc, section)
        else:
            _paragraph_slides(prs, doc, section)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
