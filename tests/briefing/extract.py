"""Text out of the pack's files, as a reader's software sees it."""

import io

from pptx import Presentation


def deck_blocks(body: bytes) -> list[list[str]]:
    """Per slide, its text blocks: a card whole, any other shape paragraph by paragraph."""
    slides = []
    for slide in Presentation(io.BytesIO(body)).slides:
        blocks = []
        for shape in slide.shapes:
            if not shape.has_text_frame:
                continue
            if shape.name.startswith("Card"):
                blocks.append(shape.text_frame.text)
            else:
                blocks += [p.text for p in shape.text_frame.paragraphs if p.text]
        slides.append(blocks)
    return slides


def pictures(body: bytes) -> list[tuple[int, str, str]]:
    """(slide number, picture name, alternative text) of every picture."""
    found = []
    for number, slide in enumerate(Presentation(io.BytesIO(body)).slides, start=1):
        for shape in slide.shapes:
            if shape.shape_type == 13:  # MSO_SHAPE_TYPE.PICTURE
                found.append((number, shape.name, shape._element.nvPicPr.cNvPr.get("descr", "")))
    return found
