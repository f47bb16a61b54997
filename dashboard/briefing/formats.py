"""Numbers and dates as the pack writes them, for its language (babel's locale data)."""

import datetime as dt

import pandas as pd
from babel.dates import format_date as babel_date
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from dashboard.briefing.catalogue import text
from schemas.enums import Qualifier

# Day, month in words, year: "1 December 2019", "1 ديسمبر 2019".
DATE_PATTERN = "d MMMM y"
_SYMBOLS = {
    Qualifier.MORE_THAN: "{n}+",
    Qualifier.APPROXIMATELY: "~{n}",
    Qualifier.LESS_THAN: "<{n}",
}


def number(value: int, lang: str) -> str:
    """A whole number with the locale's grouping ("948,000")."""
    return format_decimal(int(value), locale=lang)


def qualified(value: int, qualifier: str, lang: str) -> str:
    """A number with its qualifier in words ("more than 948,000", "أكثر من 948,000")."""
    key = qualifier if qualifier in Qualifier.__members__.values() else Qualifier.EXACT.value
    return text(lang, key, n=number(value, lang))


def as_published(value: int, qualifier: str, lang: str) -> str:
    """A card's number: "1,000+" and "~3,000,000" as published in English; in Arabic the
    qualifier is written in words, since a sign beside a number reads ambiguously right to
    left."""
    if lang == "en" and qualifier in _SYMBOLS:
        return _SYMBOLS[Qualifier(qualifier)].format(n=number(value, lang))
    return qualified(value, qualifier, lang)


def share(value: float, exact: bool, lang: str) -> str:
    """A share of the population, with "~" (or "about") when either number is not exact."""
    shown = format_percent(value, locale=lang) if value >= 0.01 else "<1%"
    if exact:
        return shown
    return f"~{shown}" if lang == "en" else text(lang, "approximately", n=shown)


def change(value: float, since: pd.Timestamp, lang: str) -> str:
    """A stock's change since a report, as the page writes it ("+12% since 31 January 2020");
    in Arabic the direction is a word, as signs read ambiguously right to left."""
    key = "change_down" if value < 0 else "change_up"
    return text(lang, key, change=f"{abs(value):.0%}", date=date(since, lang))


def date(value: dt.date | pd.Timestamp, lang: str) -> str:
    """A date with the month in words."""
    return babel_date(pd.Timestamp(value).date(), format=DATE_PATTERN, locale=lang)


def moment(value: dt.datetime, lang: str) -> str:
    """A date and time in UTC."""
    return format_datetime(value, format=f"{DATE_PATTERN} HH:mm 'UTC'", tzinfo=dt.UTC, locale=lang)


def period(start: pd.Timestamp, end: pd.Timestamp, lang: str) -> str:
    """One date for a stock, "start – end" for a flow."""
    if pd.Timestamp(start) == pd.Timestamp(end):
        return date(end, lang)
    return text(lang, "period", start=date(start, lang), end=date(end, lang))
