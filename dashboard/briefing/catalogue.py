"""Every fixed string of the briefing pack, in English and Arabic: one catalogue.

Templates take named fields; numbers and dates arrive already formatted for the language.
"""

LANGUAGES = ("en", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})

STRINGS: dict[str, dict[str, str]] = {
    "title": {"en": "Displacement briefing: {place}", "ar": "إحاطة حول النزوح: {place}"},
    "dates": {"en": "{start} to {end}", "ar": "من {start} إلى {end}"},
    "as_of": {"en": "As of {date}", "ar": "حتى تاريخ {date}"},
    "loaded": {"en": "Data last loaded: {sources}", "ar": "آخر تحميل للبيانات: {sources}"},
    "loaded_one": {"en": "{source} on {date}", "ar": "{source} في {date}"},
    "never_loaded": {"en": "Data never loaded", "ar": "لم تُحمَّل أي بيانات"},
    "table_filter": {"en": "Table filter: {filter}", "ar": "مرشح الجدول: {filter}"},
    "promise": {
        "en": "Every number is a published figure, written as published and followed by its "
        "source. Stocks and flows are never added together.",
        "ar": "كل رقم هنا رقم منشور، مكتوب كما نُشر ويتبعه مصدره. لا تُجمع أعداد "
        "المقيمين مع أعداد الحركة أبداً.",
    },
    "cards": {"en": "Headline figures", "ar": "الأرقام الرئيسية"},
    "card_population": {"en": "Population", "ar": "عدد السكان"},
    "card_idps": {"en": "People displaced", "ar": "النازحون"},
    "card_new": {"en": "Newly displaced in range", "ar": "النازحون حديثاً خلال الفترة"},
    "card_share": {"en": "Share of population displaced", "ar": "نسبة النازحين من السكان"},
    "no_stock": {"en": "no report as of this date", "ar": "لا يوجد تقرير حتى هذا التاريخ"},
    "no_flow": {"en": "no report in this period", "ar": "لا يوجد تقرير في هذه الفترة"},
    "no_share": {"en": "needs both figures", "ar": "يتطلب الرقمين معاً"},
    "as_of_date": {"en": "as of {date}", "ar": "حتى {date}"},
    "period": {"en": "{start} – {end}", "ar": "{start} – {end}"},
    "reports": {"en": "in {count} reports", "ar": "في {count} تقارير"},
    "sum_of_units": {
        "en": "no figure of its own; sum of {count} {units},",
        "ar": "لا يوجد رقم خاص بها؛ مجموع {count} من {units}،",
    },
    "change_up": {"en": "+{change} since {date}", "ar": "بزيادة {change} منذ {date}"},
    "change_down": {"en": "-{change} since {date}", "ar": "بانخفاض {change} منذ {date}"},
    "parts_report": {
        "en": "no figure of its own; its {units} report:",
        "ar": "لا يوجد رقم خاص بها؛ ما تفيد به {units} التابعة لها:",
    },
    "part_value": {"en": "{place} {value}", "ar": "{place} {value}"},
    "part_reports": {"en": "{values} ({title}, {when})", "ar": "{values} ({title}، {when})"},
    "more_parts": {"en": "+{count} more", "ar": "و{count} أخرى"},
    "units_members": {"en": "member units", "ar": "الوحدات الأعضاء"},
    # In English the level's name comes from `parts.level_name`, as on the page.
    "units_sy_1": {"en": "governorates", "ar": "المحافظات"},
    "units_sy_2": {"en": "districts", "ar": "المناطق"},
    "units_sy_3": {"en": "sub-districts", "ar": "النواحي"},
    "units_level": {"en": "admin {level} units", "ar": "وحدات المستوى الإداري {level}"},
    "share_of": {"en": "people displaced over population", "ar": "النازحون مقسومون على السكان"},
    "source": {"en": "Source: {title}", "ar": "المصدر: {title}"},
    "messages": {"en": "Key messages", "ar": "الرسائل الرئيسية"},
    "msg_new": {
        "en": "{org} reported {value} people newly displaced in {place} between {start} and "
        "{end} ({title}).",
        "ar": "أفادت {org} بنزوح {value} شخص حديثاً في {place} بين {start} و{end} ({title}).",
    },
    "msg_new_sum": {
        "en": "{org} reported {value} people newly displaced in {place} between {start} and "
        "{end}, {reports} (latest: {title}).",
        "ar": "أفادت {org} بنزوح {value} شخص حديثاً في {place} بين {start} و{end}، {reports} "
        "(آخرها: {title}).",
    },
    "msg_idps": {
        "en": "{org} reported {value} people displaced in {place} as of {date} ({title}).",
        "ar": "أفادت {org} بوجود {value} نازح في {place} حتى {date} ({title}).",
    },
    "msg_population": {
        "en": "{org} put the population of {place} at {value} as of {date} ({title}).",
        "ar": "قدّرت {org} عدد سكان {place} بـ{value} حتى {date} ({title}).",
    },
    "msg_share": {
        "en": "People displaced are {share} of the population of {place}, from the two "
        "figures above.",
        "ar": "يشكّل النازحون {share} من سكان {place}، بحسب الرقمين أعلاه.",
    },
    "msg_dispute": {
        "en": "Publishers disagree on {metric} in {place} for {period}: {values}.",
        "ar": "تختلف الجهات الناشرة حول {metric} في {place} للفترة {period}: {values}.",
    },
    "dispute_value": {"en": "{org} {value} ({title})", "ar": "{org} {value} ({title})"},
    "msg_none": {
        "en": "No figures were published for {place} between {start} and {end}.",
        "ar": "لم تُنشر أي أرقام عن {place} بين {start} و{end}.",
    },
    "no_figures": {
        "en": "No figures for this place and period.",
        "ar": "لا توجد أرقام لهذا المكان وهذه الفترة.",
    },
    "timeseries": {"en": "Over time", "ar": "عبر الزمن"},
    "breakdown": {"en": "Within {place}", "ar": "داخل {place}"},
    "map": {"en": "Map of {place}", "ar": "خريطة {place}"},
    "figures_heading": {"en": "Figures and their sources", "ar": "الأرقام ومصادرها"},
    "figures_listed": {
        "en": "The newest figures of this view, as the table lists them; the CSV export holds "
        "them all.",
        "ar": "أحدث أرقام هذا العرض كما يدرجها الجدول؛ ويضمها تصدير CSV كلها.",
    },
    "figures_matched": {
        "en": "The newest figures that match the table's filter; the CSV export holds them all.",
        "ar": "أحدث الأرقام المطابقة لمرشح الجدول؛ ويضمها تصدير CSV كلها.",
    },
    # In Arabic the publication (Latin script, often long) opens the row: a right-to-left
    # line then never breaks a publisher's name around the Arabic words.
    "figure_row": {
        "en": "{place} ({pcode}) · {metric} · {value} · {when} · {publication}",
        "ar": "{publication} · {place} ({pcode}) · {metric} · {value} · {when}",
    },
    "who_f_children": {"en": "girls", "ar": "الفتيات"},
    "who_m_children": {"en": "boys", "ar": "الفتيان"},
    "who_f_adults": {"en": "women", "ar": "النساء"},
    "who_m_adults": {"en": "men", "ar": "الرجال"},
    "who_f_elderly": {"en": "older women", "ar": "المسنّات"},
    "who_m_elderly": {"en": "older men", "ar": "المسنّون"},
    "who_f": {"en": "female", "ar": "الإناث"},
    "who_m": {"en": "male", "ar": "الذكور"},
    "who_children": {"en": "children", "ar": "الأطفال"},
    "who_adults": {"en": "adults", "ar": "البالغون"},
    "who_elderly": {"en": "older people", "ar": "كبار السن"},
    "metric_of": {"en": "{metric}, {who}", "ar": "{metric}، {who}"},
    "map_no_figure": {"en": "no figure", "ar": "لا يوجد رقم"},
    "map_attribution": {
        "en": "Boundaries: OCHA, UN Cartographic Section (COD-AB, CC BY-IGO 3.0)",
        "ar": "الحدود: مكتب الأمم المتحدة لتنسيق الشؤون الإنسانية وقسم الخرائط في الأمم المتحدة "
        "(COD-AB، CC BY-IGO 3.0)",
    },
    "map_disclaimer": {
        "en": "The boundaries and names shown and the designations used on this map do not "
        "imply official endorsement or acceptance by the United Nations.",
        "ar": "الحدود والأسماء المبيّنة والتسميات المستخدمة في هذه الخريطة لا تعني إقراراً أو "
        "قبولاً رسمياً من جانب الأمم المتحدة.",
    },
    "bar_idps": {"en": "People displaced (latest)", "ar": "النازحون (آخر رقم)"},
    "bar_new": {"en": "Newly displaced in range", "ar": "النازحون حديثاً خلال الفترة"},
    "alt_timeseries": {
        "en": "Chart of the figures for {place} over time, {dates}: {series}.",
        "ar": "رسم بياني لأرقام {place} عبر الزمن، {dates}: {series}.",
    },
    "alt_series": {
        "en": "{name}, {count} reports to {end}",
        "ar": "{name}، {count} تقارير حتى {end}",
    },
    "alt_breakdown": {
        "en": "Bar chart of the places within {place}, {dates}: {places}.",
        "ar": "رسم بالأعمدة للأماكن داخل {place}، {dates}: {places}.",
    },
    "alt_map": {
        "en": "Map of the places within {place} with figures, {dates}: {places}.",
        "ar": "خريطة الأماكن ذات الأرقام داخل {place}، {dates}: {places}.",
    },
    "alt_series_one": {"en": "{name}, one report on {end}", "ar": "{name}، تقرير واحد في {end}"},
    "empty_within": {
        "en": "No figures for the places within {place} in this period.",
        "ar": "لا توجد أرقام عن الأماكن داخل {place} في هذه الفترة.",
    },
    "cumulative": {
        "en": "{metric} since {start} (cumulative)",
        "ar": "{metric} منذ {start} (تراكمي)",
    },
    "triangulation": {"en": "{name} (triangulation)", "ar": "{name} (للمقارنة)"},
    "series_name": {"en": "{metric} — {org}", "ar": "{metric} — {org}"},
    "disputes": {"en": "Where publishers disagree", "ar": "حيث تختلف الجهات الناشرة"},
    "no_disputes": {
        "en": "No two publishers disagree on the figures of this view.",
        "ar": "لا خلاف بين الجهات الناشرة على أرقام هذا العرض.",
    },
    "sources": {"en": "Sources", "ar": "المصادر"},
    "no_sources": {"en": "No publication is used.", "ar": "لا توجد منشورات مستخدمة."},
    "metric_idps": {"en": "people displaced (IDPs)", "ar": "النازحون داخلياً"},
    "metric_new_displacements": {"en": "newly displaced", "ar": "النازحون حديثاً"},
    "metric_returns": {"en": "returns", "ar": "حركات العودة"},
    "metric_returnees": {"en": "returnees", "ar": "العائدون"},
    "metric_refugees": {"en": "refugees", "ar": "اللاجئون"},
    "metric_population": {"en": "population", "ar": "عدد السكان"},
    "from_origin": {"en": "{metric} from {origin}", "ar": "{metric} من {origin}"},
    "more_than": {"en": "more than {n}", "ar": "أكثر من {n}"},
    "less_than": {"en": "fewer than {n}", "ar": "أقل من {n}"},
    "approximately": {"en": "about {n}", "ar": "نحو {n}"},
    "exact": {"en": "{n}", "ar": "{n}"},
    "list_sep": {"en": "; ", "ar": "؛ "},
    "comma": {"en": ", ", "ar": "، "},
}


def text(lang: str, key: str, **fields: object) -> str:
    """The catalogue's string `key` in `lang`, its fields filled in."""
    return STRINGS[key][lang].format(**fields)


def language(lang: object) -> str:
    """A language the catalogue has, or ValueError naming those it has."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use {' or '.join(LANGUAGES)}")
    return str(lang)
