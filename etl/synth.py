"""Synthetic displacement data for benchmarks: a HXL CSV and the gazetteer that goes with it.

Everything is fictional. The country prefix `XS` is not an ISO 3166 code, so synthetic P-codes
(XS, XS01, XS0101, XS010101) never collide with real data; publishers, names and URLs
(example.org) are made up. The generator is pure and deterministic for a seed: `generate`
returns frames, `write_synth` writes them in the formats `etl.sources.hxl` and
`etl.reference` read.

Shape of the data (close to the bundled north-west Syria file, at any size):
- a tree of admin units like Syria's (about 14 governorates : 62 districts : 272 sub-districts)
  and one response area over the districts of the first governorates;
- stocks (IDPs, with some sex-disaggregated, returnees, population) as of a date, and flows
  (new displacements, some from a named origin, returns) over a week, a month, or cumulative
  since the start of a crisis ("displaced since ..."), over several years;
- cells as published: "12,000+" (more than), "~3,000" (approximately), "<50", plain numbers;
- several publishers reporting the same place and period with slightly different numbers:
  exactly one row of each (place, period, origin) is `recommended`, the others
  `triangulation`. No two figures share a natural key (schemas.figures.NATURAL_KEY), so every
  figure loads.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

COUNTRY = "XS"
AREA = f"{COUNTRY}-NW"
COUNTRY_NAME = "Xanthe Sylvania (synthetic)"
HXL_TITLES = [
    "Start date",
    "End date",
    "As of",
    "Governorate",
    "District",
    "Sub-district",
    "Area",
    "Origin sub-district",
    "Place (as published)",
    "IDPs",
    "IDPs (women and girls)",
    "IDPs (men and boys)",
    "Newly displaced",
    "Returns",
    "Returnees",
    "Population",
    "Cause",
    "Role",
    "Source",
    "URL",
    "Record id",
    "Excerpt",
]
HXL_TAGS = [
    "#date+start",
    "#date+end",
    "#date+reported",
    "#adm1+code",
    "#adm2+code",
    "#adm3+code",
    "#loc+code",
    "#adm3+code+origin",
    "#loc+name",
    "#affected+idps",
    "#affected+idps+f",
    "#affected+idps+m",
    "#affected+idps+new",
    "#affected+returns+new",
    "#affected+returnees",
    "#population",
    "#meta+cause",
    "#meta+role",
    "#meta+source",
    "#meta+url",
    "#meta+id",
    "#meta+excerpt",
]
# The value columns, in the order a slot's metric flags are laid out below.
VALUE_TAGS = HXL_TAGS[9:16]
PLACE_FILE_COLUMNS = [
    "pcode",
    "kind",
    "name",
    "name_ar",
    "admin_level",
    "parent_pcode",
    "lat",
    "lon",
    "coords_source",
]
PUBLISHERS = [
    "Relief Coordination Office",
    "Displacement Tracking Unit",
    "Camp Management Cluster",
    "Needs Assessment Programme",
    "Shelter Cluster",
    "Protection Monitoring Network",
    "Red Crescent Society",
    "Returns Working Group",
    "Local Councils Forum",
    "Health Directorate",
]
_REPORTS = ["Situation Report", "Flash Update", "Mobility Snapshot", "Fact Sheet", "Dashboard"]
_SYLLABLES = [
    "al", "bar", "dan", "far", "ham", "jis", "kar", "lat", "ma", "nab", "qa", "ras",
    "sar", "tal", "um", "wad", "zab", "mir", "kun", "sha", "dur", "bis", "han", "rum",
]  # fmt: skip
_SYLLABLES_AR = ["ال", "بر", "دا", "فر", "حم", "جس", "كر", "لط", "ما", "نب", "قا", "رس"]
_EVENTS = [
    "Fighting reported near {name}",
    "Floods displace families in {name}",
    "Ceasefire announced for {name}",
    "Road to {name} reopens",
    "Camp expansion opens in {name}",
    "Shelling of {name} markets",
]
_PUBLISHERS_PER_LEVEL = {0: 0.5, 1: 0.35, 2: 0.2, 3: 0.08, -1: 0.5}  # -1: the response area


@dataclass
class SynthData:
    """A synthetic dataset: HXL rows and the gazetteer they refer to."""

    rows: pd.DataFrame  # the cells below the hashtag row, one column per HXL_TAGS, "" for empty
    places: pd.DataFrame  # data/places.csv format
    members: pd.DataFrame  # data/place_members.csv format
    events: pd.DataFrame  # data/events.csv format
    figures: int  # how many figures the rows give (non-empty value cells)


# --- the gazetteer ---------------------------------------------------------------------------


def _level_sizes(places: int) -> tuple[int, int, int]:
    """Governorates, districts, sub-districts for `places` admin units (the country included)."""
    below = places - 1
    n1 = max(1, min(99, round(below * 14 / 350), below // 3))
    rest = below - n1
    n2 = min(max(n1, round(rest * 62 / 334)), rest // 2, 99 * n1)
    n3 = rest - n2
    if n3 > 99 * n2:
        raise ValueError(f"{places} places do not fit a P-code tree (at most 99 units per parent)")
    return n1, n2, n3


def _spread(rng: np.random.Generator, items: int, parents: int) -> np.ndarray:
    """How many children each parent gets: as even as possible, in a random order."""
    counts = np.full(parents, items // parents)
    counts[: items % parents] += 1
    rng.shuffle(counts)
    return counts


def _names(rng: np.random.Generator, count: int) -> tuple[list[str], list[str]]:
    parts = rng.integers(0, len(_SYLLABLES), size=(count, 3))
    two_words = rng.random(count) < 0.25
    arabic = rng.integers(0, len(_SYLLABLES_AR), size=(count, 2))
    names = []
    for i in range(count):
        a, b, c = (_SYLLABLES[j] for j in parts[i])
        name = (a + b).capitalize()
        names.append(f"{name} {c.capitalize()}{a}" if two_words[i] else name + c)
    names_ar = ["".join(_SYLLABLES_AR[j] for j in arabic[i]) for i in range(count)]
    return names, names_ar


def make_gazetteer(
    rng: np.random.Generator, places: int
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Admin units 0-3 in a tree, one response area, and each place's baseline population."""
    if places < 4:
        raise ValueError("--places must be at least 4 (one unit per admin level 0-3)")
    n1, n2, n3 = _level_sizes(places)
    codes, levels, parents = [COUNTRY], [0], [""]
    adm1 = [f"{COUNTRY}{i:02d}" for i in range(1, n1 + 1)]
    codes += adm1
    levels += [1] * n1
    parents += [COUNTRY] * n1
    adm2: list[str] = []
    for parent, count in zip(adm1, _spread(rng, n2, n1), strict=True):
        kids = [f"{parent}{i:02d}" for i in range(1, int(count) + 1)]
        adm2 += kids
        parents += [parent] * len(kids)
    codes += adm2
    levels += [2] * n2
    for parent, count in zip(adm2, _spread(rng, n3, n2), strict=True):
        kids = [f"{parent}{i:02d}" for i in range(1, int(count) + 1)]
        codes += kids
        parents += [parent] * len(kids)
    levels += [3] * n3
    names, names_ar = _names(rng, len(codes))
    names[0], names_ar[0] = COUNTRY_NAME, "إكسانثي"
    # Seats scattered around a fictional centre; children near their parent.
    lat = np.empty(len(codes))
    lon = np.empty(len(codes))
    where = {c: i for i, c in enumerate(codes)}
    lat[0], lon[0] = 35.0, 38.0
    spread = {1: 1.5, 2: 0.4, 3: 0.1}
    jitter = rng.normal(size=(len(codes), 2))
    for i in range(1, len(codes)):
        p = where[parents[i]]
        lat[i] = lat[p] + jitter[i, 0] * spread[levels[i]]
        lon[i] = lon[p] + jitter[i, 1] * spread[levels[i]]
    frame = pd.DataFrame(
        {
            "pcode": codes,
            "kind": "admin",
            "name": names,
            "name_ar": names_ar,
            "admin_level": levels,
            "parent_pcode": parents,
            "lat": np.round(np.clip(lat, -89, 89), 4),
            "lon": np.round(np.clip(lon, -179, 179), 4),
            "coords_source": "synthetic",
        }
    )
    # Sub-districts carry the people; every unit above is the sum of its children.
    population = np.zeros(len(codes))
    level3 = np.asarray(levels) == 3
    population[level3] = rng.lognormal(np.log(30_000), 0.8, size=int(level3.sum()))
    for i in range(len(codes) - 1, 0, -1):
        population[where[parents[i]]] += population[i]
    # The response area: the districts of the first governorates.
    first = set(adm1[: max(1, min(2, n1 - 1))])
    members = [c for c in adm2 if c[:4] in first]
    area_population = sum(population[where[c]] for c in members)
    area = {
        "pcode": AREA,
        "kind": "area",
        "name": "North-west response area (synthetic)",
        "name_ar": "الشمال الغربي",
        "admin_level": pd.NA,
        "parent_pcode": "",
        "lat": round(float(lat[where[adm1[0]]]), 4),
        "lon": round(float(lon[where[adm1[0]]]), 4),
        "coords_source": "synthetic display point",
    }
    frame = pd.concat([frame, pd.DataFrame([area])], ignore_index=True)
    frame["admin_level"] = frame["admin_level"].astype("Int64")
    population = np.append(population, area_population)
    member_frame = pd.DataFrame({"area_pcode": AREA, "member_pcode": members})
    return frame, member_frame, population


def make_events(
    rng: np.random.Generator, places: pd.DataFrame, first: dt.date, days: int
) -> pd.DataFrame:
    """About one dated event every six weeks, on a governorate or district."""
    pool = places[places["admin_level"].isin([1, 2])].reset_index(drop=True)
    count = max(1, min(200, days // 45))
    picks = rng.integers(0, len(pool), size=count)
    offsets = np.sort(rng.choice(days, size=count, replace=False))
    kinds = rng.integers(0, len(_EVENTS), size=count)
    return pd.DataFrame(
        {
            "date": [(first + dt.timedelta(days=int(o))).isoformat() for o in offsets],
            "pcode": pool["pcode"].to_numpy()[picks],
            "title": [
                _EVENTS[k].format(name=pool["name"].iloc[p])[:120]
                for k, p in zip(kinds, picks, strict=True)
            ],
            "source_url": [f"https://example.org/xs/events/{i + 1}" for i in range(count)],
        }
    )


# --- the figures -----------------------------------------------------------------------------
# A slot is one place, period (and origin) that 1..S publishers report, each in its own row,
# with the same value columns filled: exactly one of those rows is recommended.


def _candidate_slots(
    rng: np.random.Generator,
    size: int,
    place_levels: np.ndarray,
    adm3: np.ndarray,
    days: int,
    months: np.ndarray,
    crises: np.ndarray,
) -> pd.DataFrame:
    place = rng.integers(0, len(place_levels), size=size)
    stock = rng.random(size) < 0.55
    day = rng.integers(0, days, size=size)
    start = day.copy()
    end = day.copy()
    variant = rng.choice(3, size=size, p=[0.3, 0.45, 0.25])
    flow = ~stock
    weekly = flow & (variant == 0)
    start[weekly] = np.maximum(day[weekly] - 6, 0)
    end[weekly] = start[weekly] + 6
    monthly = flow & (variant == 1)
    month = rng.integers(0, len(months) - 1, size=size)
    start[monthly] = months[month[monthly]]
    end[monthly] = months[month[monthly] + 1] - 1
    cumulative = flow & (variant == 2)
    crisis = crises[rng.integers(0, len(crises), size=size)]
    start[cumulative] = crisis[cumulative]
    end[cumulative] = np.minimum(crisis + rng.integers(3, 180, size=size), days - 1)[cumulative]
    # Some new displacements are counted by where people came from.
    origin = np.full(size, -1)
    with_origin = flow & (rng.random(size) < 0.12) & (place_levels[place] != 0)
    origin[with_origin] = adm3[rng.integers(0, len(adm3), size=int(with_origin.sum()))]
    origin[origin == place] = -1
    return pd.DataFrame(
        {"place": place, "stock": stock, "start": start, "end": end, "origin": origin}
    )


def _metric_flags(rng: np.random.Generator, slots: pd.DataFrame) -> np.ndarray:
    """Which of VALUE_TAGS each slot fills: idps, idps+f, idps+m, new, returns, returnees, pop."""
    n = len(slots)
    stock = slots["stock"].to_numpy()
    flags = np.zeros((n, len(VALUE_TAGS)), dtype=bool)
    flags[:, 0] = stock
    sexes = stock & (rng.random(n) < 0.1)
    flags[:, 1] = sexes
    flags[:, 2] = sexes
    flags[:, 3] = ~stock
    flags[:, 4] = ~stock & (slots["origin"].to_numpy() < 0) & (rng.random(n) < 0.2)
    flags[:, 5] = stock & (rng.random(n) < 0.15)
    flags[:, 6] = stock & (rng.random(n) < 0.12)
    return flags


def _slots(
    rng: np.random.Generator,
    figures: int,
    sources: int,
    place_levels: np.ndarray,
    days: int,
    first: dt.date,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct slots whose publisher rows hold exactly `figures` value cells."""
    adm3 = np.flatnonzero(place_levels == 3)
    month_starts = pd.date_range(first, periods=days // 28 + 2, freq="MS")
    months = np.asarray((month_starts.date - first) // dt.timedelta(days=1), dtype=np.int64)
    months = months[months <= days]
    crises = months[months < days - 30][::8]
    p_level = np.array([_PUBLISHERS_PER_LEVEL[int(lv)] for lv in place_levels])
    key = ["place", "stock", "start", "end", "origin"]
    slots = pd.DataFrame({c: np.zeros(0, dtype=bool if c == "stock" else np.int64) for c in key})
    flags = np.zeros((0, len(VALUE_TAGS)), dtype=bool)
    publishers = np.zeros(0, dtype=np.int64)
    for _attempt in range(30):
        # Whole slots up to the count, then single-figure slots for the remainder.
        total = np.cumsum(flags.sum(axis=1) * publishers)
        whole = int(np.searchsorted(total, figures, side="right"))
        remainder = figures - (int(total[whole - 1]) if whole else 0)
        if whole + remainder <= len(slots):
            break
        missing = figures - (int(total[-1]) if len(total) else 0)
        wanted = max(64, int(max(missing, 0) / 1.5) + sources * len(VALUE_TAGS))
        fresh = _candidate_slots(rng, wanted, place_levels, adm3, days, months, crises)
        fresh_flags = _metric_flags(rng, fresh)
        fresh_pubs = 1 + rng.binomial(sources - 1, p_level[fresh["place"].to_numpy()])
        merged = pd.concat([slots, fresh[key]], ignore_index=True)
        keep = ~merged.duplicated(key).to_numpy()
        slots = merged[keep].reset_index(drop=True)
        flags = np.concatenate([flags, fresh_flags])[keep]
        publishers = np.concatenate([publishers, fresh_pubs])[keep]
    else:
        raise ValueError(
            f"{figures:,} figures do not fit {len(place_levels)} places over {days} days "
            "without repeating a figure: ask for more places or years"
        )
    tail = np.arange(whole, whole + remainder)
    publishers[tail] = 1
    first_metric = flags[tail].argmax(axis=1)
    flags[tail] = False
    flags[tail, first_metric] = True
    chosen = np.arange(whole + remainder)
    slots = slots.iloc[chosen].reset_index(drop=True)
    slots["publishers"] = publishers[chosen]
    return slots, flags[chosen]


def _cell_texts(rng: np.random.Generator, values: np.ndarray) -> list[str]:
    """Numbers as published: plain, grouped, "12,000+", "~3,000", "<50"."""
    pick = rng.random(len(values))
    out = []
    for v, p in zip(values.tolist(), pick.tolist(), strict=True):
        if p < 0.35:
            out.append(str(v))
        elif p < 0.70:
            out.append(f"{v:,}")
        else:
            digits = max(len(str(v)) - 2, 0)
            rounded = max((v // 10**digits) * 10**digits, 1)
            if p < 0.82:
                out.append(f"{rounded:,}+")
            elif p < 0.97:
                out.append(f"~{rounded:,}")
            else:
                out.append(f"<{rounded + 10**digits:,}")
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def publisher_names(sources: int) -> list[str]:
    """The organisations of a dataset with `sources` publishers."""
    return [
        PUBLISHERS[i] if i < len(PUBLISHERS) else f"Partner Agency {i + 1}" for i in range(sources)
    ]


def generate(
    figures: int,
    places: int,
    sources: int,
    *,
    seed: int = 0,
    first: dt.date = dt.date(2019, 1, 1),
    years: int = 5,
) -> SynthData:
    """A synthetic HXL dataset of exactly `figures` figures over `places` admin units."""
    if figures < 1:
        raise ValueError("--figures must be at least 1")
    if sources < 1:
        raise ValueError("--sources must be at least 1")
    if years < 1:
        raise ValueError("--years must be at least 1")
    rng = np.random.default_rng(seed)
    gazetteer, members, population = make_gazetteer(rng, places)
    days = (dt.date(first.year + years, first.month, first.day) - first).days
    events = make_events(rng, gazetteer, first, days)
    levels = gazetteer["admin_level"].fillna(-1).to_numpy(dtype=np.int64)
    slots, flags = _slots(rng, figures, sources, levels, days, first)
    n = len(slots)

    # Each slot's own numbers, then one row per publisher with a little disagreement.
    place = slots["place"].to_numpy()
    start = slots["start"].to_numpy(dtype=np.int64)
    end = slots["end"].to_numpy(dtype=np.int64)
    pop = population[place]
    share = rng.beta(2, 8, size=len(population))[place]
    season = 0.7 + 0.3 * np.sin(end / 365 * 2 * np.pi + place)
    idps = pop * share * season
    length = end - start + 1
    base = np.stack(
        [
            idps,
            idps * 0.52,
            idps * 0.48,
            pop * share * 0.002 * length,
            pop * share * 0.0006 * length,
            idps * 0.3,
            pop * (1 + 0.02 * end / 365),
        ],
        axis=1,
    ) * rng.lognormal(0, 0.15, size=(n, 1))
    causes = np.array(["conflict", "disaster", "other"])[rng.choice(3, size=n, p=[0.85, 0.1, 0.05])]

    pubs = slots["publishers"].to_numpy()
    row_slot = np.repeat(np.arange(n), pubs)
    rank = np.arange(len(row_slot)) - np.repeat(np.cumsum(pubs) - pubs, pubs)
    order = np.argsort(rng.random((n, sources)), axis=1)
    org = order[row_slot, rank]
    noise = np.where(rank[:, None] == 0, 1.0, rng.normal(1, 0.08, size=(len(row_slot), 1)))
    values = np.maximum(np.rint(base[row_slot] * noise), 1).astype(np.int64)
    cell_flags = flags[row_slot]

    dates = np.array(
        [(first + dt.timedelta(days=d)).isoformat() for d in range(days + 1)], dtype=object
    )
    stock = slots["stock"].to_numpy()[row_slot]
    rs, re_ = start[row_slot], end[row_slot]
    codes = gazetteer["pcode"].to_numpy(dtype=object)
    rlevel = levels[place[row_slot]]
    rcode = codes[place[row_slot]]
    empty = np.full(len(row_slot), "", dtype=object)

    def prefix(chars: int, at_least: int) -> np.ndarray:
        return np.where(rlevel >= at_least, [c[:chars] for c in rcode], empty)

    origin = slots["origin"].to_numpy()[row_slot]
    names = gazetteer["name"].to_numpy(dtype=object)
    orgs = np.array(publisher_names(sources), dtype=object)
    report = np.array(_REPORTS, dtype=object)[org % len(_REPORTS)]
    number = rng.integers(1, 400, size=len(row_slot))
    end_text = dates[re_]
    sources_text = [
        f"{o}, {r} No. {k} ({d})"
        for o, r, k, d in zip(orgs[org], report, number, end_text, strict=True)
    ]
    slugs = np.array([_slug(o) for o in orgs], dtype=object)[org]
    urls = [
        f"https://example.org/xs/{s}/{d[:4]}/{k}"
        for s, d, k in zip(slugs, end_text, number, strict=True)
    ]
    columns: dict[str, object] = {
        "#date+start": np.where(stock, empty, dates[rs]),
        "#date+end": np.where(stock, empty, end_text),
        "#date+reported": np.where(stock, end_text, empty),
        "#adm1+code": prefix(4, 1),
        "#adm2+code": prefix(6, 2),
        "#adm3+code": prefix(8, 3),
        "#loc+code": np.where(rlevel <= 0, rcode, empty),
        "#adm3+code+origin": np.where(origin >= 0, codes[np.maximum(origin, 0)], empty),
        "#loc+name": names[place[row_slot]],
    }
    filled = cell_flags.ravel()
    texts = np.full(filled.shape, "", dtype=object)
    texts[filled] = _cell_texts(rng, values.ravel()[filled])
    texts = texts.reshape(cell_flags.shape)
    for j, tag in enumerate(VALUE_TAGS):
        columns[tag] = texts[:, j]
    with_excerpt = rng.random(len(row_slot)) < 0.1
    first_text = texts[np.arange(len(row_slot)), cell_flags.argmax(axis=1)]
    columns |= {
        "#meta+cause": causes[row_slot],
        "#meta+role": np.where(rank == 0, "recommended", "triangulation"),
        "#meta+source": sources_text,
        "#meta+url": urls,
        "#meta+id": [f"{s}-{i + 1}" for i, s in enumerate(slugs)],
        "#meta+excerpt": np.where(
            with_excerpt,
            [
                f"some {t} people in {p}"
                for t, p in zip(first_text, columns["#loc+name"], strict=True)
            ],
            empty,
        ),
    }
    rows = pd.DataFrame(columns, columns=HXL_TAGS)
    # A log of reports: by the date they speak of, then place.
    rows = rows.iloc[np.lexsort((place[row_slot], re_))].reset_index(drop=True)
    return SynthData(rows, gazetteer, members, events, int(cell_flags.sum()))


# --- files -----------------------------------------------------------------------------------

GAZETTEER_FILES = ("places.csv", "place_members.csv", "events.csv")


def _is_synthetic(path: Path) -> bool:
    """True when `path` is missing or a gazetteer file this module wrote."""
    if not path.exists():
        return True
    with path.open(encoding="utf-8") as handle:
        handle.readline()
        first = handle.readline()
    return first.startswith((f"{COUNTRY},", f"{AREA},")) or "/xs/events/" in first


def write_synth(data: SynthData, path: Path) -> list[Path]:
    """Write the HXL CSV at `path` and places/place_members/events.csv next to it.

    Refuses to overwrite a gazetteer it did not write (for example data/places.csv).
    """
    folder = path.parent
    targets = [folder / name for name in GAZETTEER_FILES]
    foreign = [t for t in targets if not _is_synthetic(t)]
    if foreign:
        raise FileExistsError(
            f"{foreign[0]} holds a real gazetteer; write the synthetic data to another folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        pd.DataFrame([HXL_TITLES, HXL_TAGS]).to_csv(handle, header=False, index=False)
        data.rows.to_csv(handle, header=False, index=False)
    places = data.places.copy()
    places["parent_pcode"] = places["parent_pcode"].replace("", None)
    places[PLACE_FILE_COLUMNS].to_csv(targets[0], index=False)
    data.members.to_csv(targets[1], index=False)
    data.events.to_csv(targets[2], index=False)
    return [path, *targets]
