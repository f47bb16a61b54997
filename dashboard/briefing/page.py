"""The page's "Briefing pack" control: the download a click asks for, or why there is none."""

import datetime as dt

from dash import dcc, html, no_update

from dashboard import ids
from dashboard.briefing.catalogue import LANGUAGES
from dashboard.state import ViewState
from etl.store import Store, StoreError

LANGUAGE_NAMES = {"en": "English", "ar": "العربية"}


# (button id, format, language, label): a button per file, so nothing needs choosing first.
BUTTONS = [
    (ids.brief_button(fmt, lang), fmt, lang, f"{label} ({LANGUAGE_NAMES[lang]})")
    for fmt, label in (("pptx", "Slides"), ("pdf", "PDF"))
    for lang in LANGUAGES
]


def control() -> html.Div:
    """The briefing pack's buttons, beside the CSV downloads."""
    return html.Div(
        [
            html.Span("Briefing pack", id=ids.BRIEF_LABEL, className="brief-label"),
            *[
                html.Button(label, id=key, className="button secondary", lang=lang)
                for key, _fmt, lang, label in BUTTONS
            ],
            html.Span(id=ids.BRIEF_MESSAGE, role="status", className="count"),
            dcc.Download(id=ids.BRIEF_DOWNLOAD),
        ],
        className="brief",
        role="group",
        **{"aria-labelledby": ids.BRIEF_LABEL},
    )


def chosen(button: object) -> tuple[str, str]:
    """(format, language) of the button pressed; the English deck for anything else."""
    for key, fmt, lang, _label in BUTTONS:
        if button == key:
            return fmt, lang
    return "pptx", "en"


def download(
    store: Store,
    state: ViewState,
    fmt: str,
    lang: object,
    query: object,
    threshold: float,
    now: dt.datetime | None = None,
) -> tuple[object, str]:
    """(what the Download receives, the message beside the buttons) for one click.

    A bad or forged request (unknown place, dates reversed, a language or format the pack
    does not have) gets a message and no file, never a traceback.
    """
    # Imported on the first click: the charts' libraries need not load with every page.
    from dashboard.briefing import pack
    from dashboard.briefing.model import BriefError

    try:
        body = pack.make(
            store,
            state,
            fmt,
            str(lang) if isinstance(lang, str) else "",
            threshold,
            now,
            query if isinstance(query, str) else "",
        )
    except BriefError as exc:
        return no_update, f"Briefing pack not made: {exc}."
    except StoreError:
        return no_update, "Briefing pack not made: the data is temporarily unavailable."
    name = pack.file_name(state, str(lang), fmt)
    return dcc.send_bytes(body, filename=name, type=pack.MEDIA_TYPES[fmt]), f"{name} ready"
