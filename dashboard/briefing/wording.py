"""The pack in words: its sections, cards and sentences in one language, from the catalogue."""

from dataclasses import dataclass, field

from dashboard import parts
from dashboard.briefing import formats
from dashboard.briefing.catalogue import RIGHT_TO_LEFT, STRINGS, text
from dashboard.briefing.model import Cited, Dispute, Line, Pack, PartReports


@dataclass(frozen=True)
class CardText:
    """One headline card in words."""

    label: str
    value: str
    detail: str
    source: str


@dataclass
class Section:
    """One slide or page: a heading, then cards, paragraphs, a chart or links."""

    key: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    cards: list[CardText] = field(default_factory=list)
    # (text, url) rows of the sources list.
    links: list[tuple[str, str | None]] = field(default_factory=list)
    # A chart's key (`pictures`) and its alternative text.
    chart: str | None = None
    alt: str = ""


@dataclass
class Document:
    """The whole pack in one language."""

    lang: str
    title: str
    sections: list[Section]

    @property
    def rtl(self) -> bool:
        """Whether the pack reads right to left."""
        return self.lang in RIGHT_TO_LEFT


def _dates(pack: Pack, lang: str) -> str:
    start = formats.date(pack.date_from, lang) if pack.date_from else "–"
    end = formats.date(pack.date_to, lang) if pack.date_to else "–"
    return text(lang, "dates", start=start, end=end)


def _units(pcode: str, level: int | None, lang: str) -> str:
    """What units of `level` below `pcode` are called ("districts"); an area's members when
    the level is None."""
    if level is None:
        return text(lang, "units_members")
    if lang == "en":
        return parts.level_name(pcode, level, plural=True)
    if pcode.startswith("SY") and 1 <= level <= 3:
        return text(lang, f"units_sy_{level}")  # Syria's names for its levels, as in English
    return text(lang, "units_level", level=level)


def summed(figure: Cited, lang: str) -> str:
    """What a card's number is when the place has no figure of its own: a sum of units."""
    if not figure.units:
        return ""
    level = figure.units_level if figure.units_level is not None else 0
    units = _units(figure.units_of or "", level, lang)
    return text(lang, "sum_of_units", count=figure.units, units=units)


def listed(pack: Pack, reports: PartReports, lang: str) -> str:
    """A card's detail when the place has no figure of its own and no sum: what its largest
    parts report, each group of one publication and date followed by that citation, and how
    many more parts report."""
    stock = reports.figures[0].metric != "new_displacements"
    groups: dict[tuple[str, str], list[str]] = {}
    for c in reports.figures:
        when = formats.date(c.end, lang) if stock else formats.period(c.start, c.end, lang)
        value = formats.as_published(c.value, c.qualifier, lang)
        groups.setdefault((f"{c.org}, {c.title}", when), []).append(
            text(lang, "part_value", place=pack.place_name(c.units_of or "", lang), value=value)
        )
    separator = "؛ " if lang == "ar" else "; "
    items = [
        text(lang, "part_reports", values=separator.join(values), title=title, when=when)
        for (title, when), values in groups.items()
    ]
    more = reports.reporting - len(reports.figures)
    if more > 0:
        items.append(text(lang, "more_parts", count=more))
    head = text(lang, "parts_report", units=_units(reports.place, reports.level, lang))
    return head + " " + separator.join(items)


def _stock_card(
    key: str, figure: Cited | None, lang: str, detail_if_none: str | None = None
) -> CardText:
    label = text(lang, f"card_{key}")
    if figure is None:
        return CardText(label, "–", detail_if_none or text(lang, "no_stock"), "")
    detail = text(lang, "as_of_date", date=formats.date(figure.end, lang))
    if figure.change is not None and figure.change_since is not None:
        detail += " · " + formats.change(figure.change, figure.change_since, lang)
    if figure.units:
        detail = summed(figure, lang) + " " + detail
    return CardText(
        label,
        formats.as_published(figure.value, figure.qualifier, lang),
        detail,
        text(lang, "source", title=f"{figure.org}, {figure.title}"),
    )


def _new_card(figure: Cited | None, lang: str, detail_if_none: str | None = None) -> CardText:
    label = text(lang, "card_new")
    if figure is None:
        return CardText(label, "–", detail_if_none or text(lang, "no_flow"), "")
    detail = formats.period(figure.start, figure.end, lang)
    if figure.units:
        detail = summed(figure, lang) + " " + detail
    if figure.reports > 1:
        detail += " " + text(lang, "reports", count=figure.reports)
    return CardText(
        label,
        formats.as_published(figure.value, figure.qualifier, lang),
        detail,
        text(lang, "source", title=f"{figure.org}, {figure.title}"),
    )


def card_texts(pack: Pack, lang: str) -> list[CardText]:
    """The four headline cards, as the page shows them, in the language."""
    c = pack.cards
    share = CardText(text(lang, "card_share"), "–", text(lang, "no_share"), "")
    if c.share is not None:
        share = CardText(
            text(lang, "card_share"),
            formats.share(c.share.value, c.share.exact, lang),
            text(lang, "share_of"),
            "",
        )
    instead = {metric: listed(pack, reports, lang) for metric, reports in c.parts.items()}
    return [
        _stock_card("population", c.population, lang, instead.get("population")),
        _stock_card("idps", c.idps, lang, instead.get("idps")),
        _new_card(c.new, lang, instead.get("new_displacements")),
        share,
    ]


def _metric(metric: str, lang: str) -> str:
    return text(lang, f"metric_{metric}") if f"metric_{metric}" in _METRICS else metric


_METRICS = {
    f"metric_{m}"
    for m in ("idps", "new_displacements", "returns", "returnees", "refugees", "population")
}


def messages(pack: Pack, lang: str) -> list[str]:
    """The key messages: sentences from templates, each number qualified and cited."""
    place = pack.place_name(pack.pcode, lang)
    c = pack.cards
    out = []
    if c.new is not None and not c.new.units:
        fields = {
            "org": c.new.org,
            "value": formats.qualified(c.new.value, c.new.qualifier, lang),
            "place": place,
            "start": formats.date(c.new.start, lang),
            "end": formats.date(c.new.end, lang),
            "title": c.new.title,
        }
        if c.new.reports > 1:
            out.append(
                text(
                    lang,
                    "msg_new_sum",
                    reports=text(lang, "reports", count=c.new.reports),
                    **fields,
                )
            )
        else:
            out.append(text(lang, "msg_new", **fields))
    for key, figure in (("msg_idps", c.idps), ("msg_population", c.population)):
        if figure is not None and not figure.units:
            out.append(
                text(
                    lang,
                    key,
                    org=figure.org,
                    value=formats.qualified(figure.value, figure.qualifier, lang),
                    place=place,
                    date=formats.date(figure.end, lang),
                    title=figure.title,
                )
            )
    if c.share is not None:
        out.append(
            text(
                lang,
                "msg_share",
                share=formats.share(c.share.value, c.share.exact, lang),
                place=place,
            )
        )
    out += [dispute_sentence(pack, d, lang) for d in pack.disputes[:3]]
    if not out:
        out.append(
            text(
                lang,
                "msg_none",
                place=place,
                start=formats.date(pack.date_from, lang) if pack.date_from else "–",
                end=formats.date(pack.date_to, lang) if pack.date_to else "–",
            )
        )
    return out


def dispute_sentence(pack: Pack, dispute: Dispute, lang: str) -> str:
    """One disagreement: the place, metric and period, then each publisher's figure, cited."""
    metric = _metric(dispute.metric, lang)
    if dispute.origin_pcode:
        metric = text(
            lang, "from_origin", metric=metric, origin=pack.place_name(dispute.origin_pcode, lang)
        )
    first = dispute.figures[0]
    values = text(lang, "list_sep").join(
        text(
            lang,
            "dispute_value",
            org=f.org,
            value=formats.qualified(f.value, f.qualifier, lang),
            title=f.title,
        )
        for f in dispute.figures
    )
    return text(
        lang,
        "msg_dispute",
        metric=metric,
        place=pack.place_name(dispute.pcode, lang),
        period=formats.period(first.start, first.end, lang),
        values=values,
    )


def series_name(line: Line, lang: str) -> str:
    """A drawn series' legend entry in the language."""
    metric = _metric(line.metric, lang)
    if line.kind == "cumulative" and line.run_start is not None:
        metric = text(lang, "cumulative", metric=metric, start=formats.date(line.run_start, lang))
    name = text(lang, "series_name", metric=metric, org=line.org)
    return text(lang, "triangulation", name=name) if line.triangulation else name


def _alt_timeseries(pack: Pack, lang: str) -> str:
    place = pack.place_name(pack.pcode, lang)
    series = text(lang, "list_sep").join(
        text(
            lang,
            "alt_series" if len(line.values) > 1 else "alt_series_one",
            name=series_name(line, lang),
            count=len(line.values),
            end=formats.date(max(line.ends), lang),
        )
        for line in pack.lines
    )
    return text(lang, "alt_timeseries", place=place, dates=_dates(pack, lang), series=series)


def _alt_places(pack: Pack, lang: str, key: str) -> str:
    place = pack.place_name(pack.pcode, lang)
    rows = pack.breakdown if key == "alt_breakdown" or pack.areas else pack.points
    sep = text(lang, "comma")
    names = sep.join(pack.place_name(str(p), lang) for p in rows["pcode"])
    return text(lang, key, place=place, dates=_dates(pack, lang), places=names)


def _who(figure: Cited, lang: str) -> str:
    """A disaggregated figure's people in words ("women"); "" for everyone."""
    parts_ = [p for p in (figure.sex, figure.age_group) if p]
    key = "who_" + "_".join(parts_)
    return text(lang, key) if parts_ and key in STRINGS else "_".join(parts_)


def _metric_of(figure: Cited, lang: str) -> str:
    who = _who(figure, lang)
    metric = _metric(figure.metric, lang)
    return text(lang, "metric_of", metric=metric, who=who) if who else metric


def table_paragraphs(pack: Pack, lang: str) -> list[str]:
    """The figures table's newest rows, each number followed by its publication, under a line
    that says what they are."""
    head = text(lang, "figures_matched" if pack.table_filter else "figures_listed")
    rows = [
        text(
            lang,
            "figure_row",
            place=pack.place_name(c.units_of or "", lang),
            # Names repeat across levels (Idleb the governorate, Idleb the district).
            pcode=c.units_of or "",
            metric=_metric_of(c, lang),
            value=formats.as_published(c.value, c.qualifier, lang),
            when=formats.period(c.start, c.end, lang),
            publication=c.publication or c.org,
        )
        for c in pack.table
    ]
    return [head, *rows]


def document(pack: Pack, lang: str) -> Document:
    """The pack in `lang`: title, cards, key messages, charts, disagreements, sources."""
    place = pack.place_name(pack.pcode, lang)
    loads = [
        text(lang, "loaded_one", source=source, date=formats.date(when, lang))
        for source, when in pack.loads
        if when is not None
    ]
    front = [
        _dates(pack, lang),
        text(lang, "as_of", date=formats.moment(pack.generated, lang)),
        text(lang, "loaded", sources=text(lang, "comma").join(loads))
        if loads
        else text(lang, "never_loaded"),
    ]
    if pack.table_filter:
        front.append(text(lang, "table_filter", filter=pack.table_filter))
    if pack.empty:
        front.append(text(lang, "no_figures"))
    front.append(text(lang, "promise"))
    sections = [
        Section("title", text(lang, "title", place=place), paragraphs=front),
        Section("messages", text(lang, "messages"), paragraphs=messages(pack, lang)),
        Section("cards", text(lang, "cards"), cards=card_texts(pack, lang)),
        Section(
            "timeseries",
            text(lang, "timeseries") + " · " + place,
            **(
                {"chart": "timeseries", "alt": _alt_timeseries(pack, lang)}
                if pack.lines
                else {"paragraphs": [text(lang, "no_figures")]}
            ),
        ),
        Section(
            "breakdown",
            text(lang, "breakdown", place=place),
            **(
                {"chart": "breakdown", "alt": _alt_places(pack, lang, "alt_breakdown")}
                if not pack.breakdown.empty
                else {"paragraphs": [text(lang, "empty_within", place=place)]}
            ),
        ),
    ]
    if pack.areas or not pack.points.empty:
        sections.append(
            Section(
                "map",
                text(lang, "map", place=place),
                chart="map",
                alt=_alt_places(pack, lang, "alt_map"),
            )
        )
    if pack.table_count:
        sections.append(
            Section(
                "figures", text(lang, "figures_heading"), paragraphs=table_paragraphs(pack, lang)
            )
        )
    sections.append(
        Section(
            "disputes",
            text(lang, "disputes"),
            paragraphs=[dispute_sentence(pack, d, lang) for d in pack.disputes[:8]]
            or [text(lang, "no_disputes")],
        )
    )
    sections.append(
        Section(
            "sources",
            text(lang, "sources"),
            links=[(s.publication, s.url) for s in pack.sources],
            paragraphs=[] if pack.sources else [text(lang, "no_sources")],
        )
    )
    return Document(lang, text(lang, "title", place=place), sections)
