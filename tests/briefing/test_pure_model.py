"""The pack model's rules are the page's: disagreements, cards, the sentences built on them."""

import datetime as dt
import string

import pandas as pd

from dashboard import headline, rules
from dashboard.briefing import formats, model, wording
from dashboard.briefing.catalogue import LANGUAGES, STRINGS
from tests.dashboard.conftest import make_figures


def _flow(start: str, end: str, value: int, **fields: object) -> dict:
    return {
        "metric": "new_displacements",
        "period_start": start,
        "period_end": end,
        "value": value,
        **fields,
    }


DISPUTED = [
    _flow("2019-12-01", "2020-01-27", 390_000, qualifier="approximately"),
    _flow("2019-12-01", "2020-01-27", 500_000, publisher="Example NGO", role="triangulation"),
    _flow("2020-02-01", "2020-02-29", 742_109, publisher="HNAP, m"),
    _flow("2020-02-01", "2020-02-29", 752_131, publisher="OCHA, x", role="triangulation"),
]


def test_the_pack_lists_the_disagreements_the_page_lists_with_each_figure_cited():
    figs = make_figures(*DISPUTED)
    page = rules.disagreements(figs, threshold=0.10)
    found = model.disputes(figs, 0.10, rules.DISAGREEMENTS_SHOWN)
    assert len(found) == len(page) == 1
    dispute = found[0]
    assert [(f.org, f.value, f.qualifier) for f in dispute.figures] == [
        ("Example NGO", 500_000, "exact"),
        ("OCHA", 390_000, "approximately"),
    ]
    assert dispute.triangulation == (True, False)
    pack = model.Pack(
        "SY07", "Idleb", "إدلب", None, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), [], "",
        model.Cards(None, None, None, None), [], [], pd.DataFrame(), pd.DataFrame(),
        found, [], 4, names={"SY07": ("Idleb", "إدلب")},
    )  # fmt: skip
    assert wording.dispute_sentence(pack, dispute, "en") == (
        "Publishers disagree on newly displaced in Idleb for 1 December 2019 – 27 January 2020: "
        "Example NGO 500,000 (Example NGO); OCHA about 390,000 (Sitrep)."
    )
    assert "في إدلب" in wording.dispute_sentence(pack, dispute, "ar")


def test_the_cards_rest_on_the_page_rules():
    figs = make_figures(
        {"metric": "population", "value": 3_000_000, "qualifier": "approximately"},
        {"metric": "idps", "value": 1_500_000, "qualifier": "exact"},
    )
    cards = model.cards(figs, None, None)
    page = {c.key: c for c in headline.headline_cards(figs, None, None)}
    assert (
        formats.as_published(cards.population.value, "approximately", "en")
        == page["population"].text
    )
    assert formats.share(cards.share.value, cards.share.exact, "en") == page["share"].text
    assert cards.new is None


def test_numbers_and_dates_are_written_for_the_language():
    assert formats.qualified(948_000, "more_than", "en") == "more than 948,000"
    assert formats.qualified(948_000, "more_than", "ar") == "أكثر من 948,000"
    assert formats.as_published(1_000, "more_than", "en") == "1,000+"
    assert formats.date(dt.date(2020, 2, 23), "en") == "23 February 2020"
    assert formats.date(dt.date(2020, 2, 23), "ar") == "23 فبراير 2020"


def test_every_fixed_string_is_in_both_languages():
    for key, texts in STRINGS.items():
        assert set(texts) == set(LANGUAGES), key
        fields = {lang: list(string.Formatter().parse(t)) for lang, t in texts.items()}
        names = {lang: {f[1] for f in parsed if f[1]} for lang, parsed in fields.items()}
        assert names["en"] == names["ar"], key
