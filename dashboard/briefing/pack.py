"""One call from a view to the pack's bytes, in a format and a language."""

import datetime as dt
from pathlib import PurePath

from dashboard.briefing import deck, model, pictures, wording
from dashboard.briefing.catalogue import language
from dashboard.state import ViewState
from etl.store import Store

FORMATS = {".pptx": "pptx", ".pdf": "pdf"}
MEDIA_TYPES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}


def render(pack: model.Pack, fmt: str, lang: str) -> bytes:
    """The pack's bytes as a deck (`pptx`) or a PDF (`pdf`), in `lang`."""
    doc = wording.document(pack, language(lang))
    images = pictures.draw(pack, doc)
    if fmt == "pptx":
        return deck.render(doc, images)
    if fmt == "pdf":
        from dashboard.briefing import pdf

        return pdf.render(doc, images)
    raise model.BriefError(f"unknown format {fmt!r}: use pptx or pdf")


def format_of(path: str) -> str:
    """The format a file name asks for, by its extension."""
    suffix = PurePath(path).suffix.lower()
    if suffix not in FORMATS:
        raise model.BriefError(f"{path}: the file must end in .pptx or .pdf")
    return FORMATS[suffix]


def file_name(state: ViewState, lang: str, fmt: str) -> str:
    """The file name: place, dates, language ("briefing_SY07_2019-12-01_2020-03-05_en.pptx")."""
    start = state.date_from.isoformat() if state.date_from else "start"
    end = state.date_to.isoformat() if state.date_to else "end"
    return f"briefing_{state.selected}_{start}_{end}_{lang}.{fmt}"


def make(
    store: Store,
    state: ViewState,
    fmt: str,
    lang: str,
    threshold: float,
    now: dt.datetime | None = None,
    table_query: str = "",
) -> bytes:
    """Read the view, build its pack and render it; `model.BriefError` for a bad request."""
    try:
        language(lang)
    except ValueError as exc:
        raise model.BriefError(str(exc)) from None
    pack = model.load(store, state, threshold, now or dt.datetime.now(dt.UTC), table_query)
    return render(pack, fmt, lang)
