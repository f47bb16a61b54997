"""Read the numbers a pack writes and hold each to the store: value, qualifier, citation."""

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from babel.dates import get_month_names

from dashboard import data, rules
from dashboard.briefing.catalogue import STRINGS
from dashboard.briefing.model import publication_title
from dashboard.state import ViewState
from etl.store import Store, reads
from schemas.figures import organisation

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩٬٫", "0123456789,.")
PCODE = re.compile(r"\b[A-Z]{2}\d{2,}\b")
NUMBER = re.compile(r"(~|<)?(\d{1,3}(?:,\d{3})+|\d+)(\+)?(%)?")


@dataclass(frozen=True)
class Written:
    """One number found in a block of text."""

    value: int
    qualifier: str
    percent: bool
    block: str


@dataclass
class ViewFigures:
    """What the store holds for a view: its figures and the totals the page shows."""

    figures: pd.DataFrame
    publications: list[str]
    # (value, qualifier) -> the publications that published it.
    published: dict[tuple[int, str], set[str]]
    shares: set[str]

    def citations(self, value: int, qualifier: str) -> set[str]:
        """The titles that may follow this number."""
        return {publication_title(p) for p in self.published.get((value, qualifier), set())}


def view_figures(store: Store, state: ViewState, threshold: float = 0.10) -> ViewFigures:
    """Every stored figure of the view's place and its children, at any date, and the
    totals the page's headline cards show for it."""
    ref = data.reference(store)
    place, kids = data.selected(ref, state)
    figs = reads.figures(store.engine, pcodes=[str(place["pcode"]), *kids["pcode"]])
    published: dict[tuple[int, str], set[str]] = {}
    for r in figs.itertuples(index=False):
        published.setdefault((int(r.value), str(r.qualifier)), set()).add(str(r.publisher))
    v = data.view(store, ref, state, threshold)
    shares = set()
    for total, metric in (
        (rules.flow_total(v.own, "new_displacements", state.date_from, state.date_to), None),
        (rules.latest_stock(v.own, "idps", state.date_to), None),
        (rules.latest_stock(v.own, "population", state.date_to), None),
    ):
        del metric
        if total is not None:
            # A sum of one publisher's reports is what the page's card shows: it counts.
            published.setdefault((total.value, total.qualifier), set()).add(str(total.publisher))
    # A part's flows of the range, one publisher's reports summed, as a card lists them.
    for kid in kids["pcode"]:
        mine = figs[figs["pcode"] == kid]
        flows = rules.flow_total(mine, "new_displacements", state.date_from, state.date_to)
        if flows is not None:
            published.setdefault((flows.value, flows.qualifier), set()).add(str(flows.publisher))
    idps = rules.latest_stock(v.own, "idps", state.date_to)
    population = rules.latest_stock(v.own, "population", state.date_to)
    if idps and population and population.value:
        shares.add(f"{idps.value / population.value:.0%}")
    # A stock card's change since the same organisation's previous report of that stock.
    for total, metric in ((idps, "idps"), (population, "population")):
        if total is not None:
            shares |= _changes(v.own, metric, total)
    # The one sum the page allows, computed here from the stored figures of the units: one
    # publication's counted figures of the children for one period, added up.
    for (publisher, _metric, _end), value, qualifiers in _unit_sums(figs, kids["pcode"]):
        # Exact only if every part is; one kind of inexact part gives its kind, several "about".
        kinds = set(qualifiers) - {"exact"}
        qualifier = "exact" if not kinds else kinds.pop() if len(kinds) == 1 else "approximately"
        published.setdefault((value, qualifier), set()).add(publisher)
    publications = sorted({str(p) for p in figs["publisher"].dropna()}, key=len, reverse=True)
    return ViewFigures(figs, publications, published, shares)


def _changes(own: pd.DataFrame, metric: str, total: rules.Total) -> set[str]:
    """The change since the previous report of the card's organisation, as a per cent."""
    org = organisation(total.publisher)
    rows = own[
        (own["metric"] == metric)
        & (own["role"] == "recommended")
        & (own["unit"] == "people")
        & own["sex"].isna()
        & own["age_group"].isna()
        & (own["period_end"] < total.end)
        & (own["publisher"].map(organisation) == org)
    ]
    if rows.empty:
        return set()
    before = int(rows.sort_values("period_end").iloc[-1]["value"])
    return {f"{abs(total.value - before) / before:.0%}"} if before else set()


def _unit_sums(
    figs: pd.DataFrame, kids: pd.Series
) -> list[tuple[tuple[str, str, pd.Timestamp], int, list[str]]]:
    """Per publisher, metric and date: the sum of the children's counted figures."""
    counted = figs[
        figs["pcode"].isin(set(kids))
        & (figs["role"] == "recommended")
        & (figs["unit"] == "people")
        & figs["sex"].isna()
        & figs["age_group"].isna()
        & figs["origin_pcode"].isna()
    ]
    out = []
    for key, rows in counted.groupby(["publisher", "metric", "period_end"]):
        if rows["pcode"].nunique() >= 2:
            out.append((key, int(rows["value"].sum()), list(rows["qualifier"])))
    return out


def _words(key: str, lang: str) -> str:
    return STRINGS[key][lang].split("{n}")[0].strip()


def _dates_pattern(lang: str) -> re.Pattern[str]:
    months = "|".join(re.escape(m) for m in get_month_names("wide", locale=lang).values())
    # Day, month, year; or, as a PDF's right-to-left lines come out, year, month and day.
    return re.compile(
        rf"\d{{1,2}} ?(?:{months}) ?\d{{4}}|\d{{4}} +(?:{months}) ?\d{{1,2}}"
        rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{2}}:\d{{2}}"
    )


def _without_citations(block: str, publications: list[str]) -> str:
    # Whole provenance strings first, then their titles: both may follow a number.
    for publication in publications:
        block = block.replace(publication, " ")
    for publication in publications:
        block = block.replace(publication_title(publication), " ")
    return block


def numbers(
    block: str, lang: str, publications: list[str], *, visual: bool = False
) -> list[Written]:
    """The numbers of a block, with the qualifier each is written with; dates, times,
    report counts and publication titles are not numbers of the view.

    `visual`: the block comes out of a PDF's right-to-left lines in visual order: a
    qualifier's words may stand on either side of its number (each is given to the number
    nearest it on its line), a per cent sign before it, and a title broken over lines
    leaves its own numbers behind (they are taken out too).
    """
    if visual:
        return [n for line in block.splitlines() for n in _numbers(line, lang, publications, True)]
    return _numbers(" ".join(block.split()), lang, publications, False)


def _numbers(block: str, lang: str, publications: list[str], visual: bool) -> list[Written]:
    text = _without_citations(block.translate(ARABIC_DIGITS), publications)
    text = _dates_pattern(lang).sub(" ", text)
    # A P-code names a place; its digits are no number of the view.
    text = PCODE.sub(" ", text)
    # Counts of reports, units and parts are not figures of the view.
    for counted in ("reports", "sum_of_units", "more_parts"):
        phrase = re.escape(STRINGS[counted][lang].split("{units}")[0])
        text = re.sub(phrase.replace(re.escape("{count}"), r"\d+"), " ", text)
    words = {q: _words(q, lang) for q in ("more_than", "less_than", "approximately")}
    matches = list(NUMBER.finditer(text))
    if visual:
        title_numbers = {d for p in publications for d in re.findall(r"\d+", p)}
        matches = [m for m in matches if m.group(2).replace(",", "") not in title_numbers]
    qualifiers: dict[int, str] = {}
    if visual and matches:
        for key, word in words.items():
            for found in re.finditer(re.escape(word), text):
                nearest = min(
                    range(len(matches)),
                    key=lambda i: min(
                        abs(matches[i].start() - found.end()), abs(found.start() - matches[i].end())
                    ),
                )
                qualifiers[nearest] = key
    out = []
    for i, match in enumerate(matches):
        sign, digits, plus, percent = match.groups()
        before = text[: match.start()].rstrip()
        qualifier = qualifiers.get(i, "exact")
        if plus:
            qualifier = "more_than"
        elif sign == "~":
            qualifier = "approximately"
        elif sign == "<":
            qualifier = "less_than"
        elif not visual:
            for key, word in words.items():
                if before.endswith(word):
                    qualifier = key
        # Read back in visual order, a per cent sign may stand apart from its number on the
        # line; the pack writes no other small bare number there.
        percent = percent or (visual and "%" in text and len(digits) <= 3)
        out.append(Written(int(digits.replace(",", "")), qualifier, bool(percent), block))
    return out


def problems(blocks: list[str], lang: str, held: ViewFigures, *, visual: bool = False) -> list[str]:
    """Every number of the blocks that the store does not hold as written, or whose
    publication does not follow it in its block; empty when all are traceable.

    `visual` (a right-to-left PDF page, see `numbers`): the publisher named on the page is
    the citation that can be read back.
    """
    out = []
    for block in blocks:
        flat = " ".join(block.split())
        for n in numbers(block, lang, held.publications, visual=visual):
            if n.percent:
                if f"{n.value}%" not in held.shares:
                    out.append(f"{n.value}% is no share the page shows: {block!r}")
                continue
            titles = held.citations(n.value, n.qualifier)
            if visual:
                titles = {organisation(p) for p in held.published.get((n.value, n.qualifier), ())}
            if not titles:
                out.append(f"{n.value:,} ({n.qualifier}) is no stored figure: {block!r}")
            elif not any(t in flat for t in titles):
                out.append(f"{n.value:,} ({n.qualifier}) is not followed by {titles}: {block!r}")
    return out


def state(place: str, start: dt.date, end: dt.date) -> ViewState:
    """The page's state of a governorate or area view."""
    return ViewState(place, None, start, end)
