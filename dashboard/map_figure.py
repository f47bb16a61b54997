"""The map: a place's parts as areas coloured by a measure, named, with movements as arrows.

Drawn on plain x/y axes (longitude, latitude) from COD-AB shapes: no tiles, no geo bundle,
nothing fetched. A part with no shipped shape (a sub-district, a site, a country whose
boundaries are not shipped) is a point at its seat town, and the map says so in words. A
district's or sub-district's IDP sites are small triangles where CCCM listed them.
"""

import math

import numpy as np
import pandas as pd
from plotly.colors import make_colorscale, sample_colorscale, sequential

from dashboard import frame_rows
from dashboard import sites as sites_layer
from dashboard.boundaries import ATTRIBUTION, DISCLAIMER, Shape
from dashboard.formatting import format_period, format_value, publisher_name
from schemas.codes import group_ids
from schemas.pcodes import country_of, parent_of

# What the map can be coloured by: breakdown column, label, number format of the legend.
MEASURES = {
    "idps": ("People displaced", ",d"),
    "share": ("Share of population", ".0%"),
    "new": ("Newly displaced in range", ",d"),
}
DEFAULT_MEASURE = "idps"
# Cividis, light to dark: ordered in lightness, and read the same with the common forms of
# colour blindness.
COLOURS = make_colorscale(sequential.Cividis[::-1])
NO_FIGURE = "#f0f0f0"
ARROW = "#D55E00"  # the palette's vermilion, as the time series draws flows
MAX_ARROWS = 30
SITE = "#3d3d3d"
PART_COLUMNS = [
    "pcode",
    "name",
    "admin_level",
    "lat",
    "lon",
    "idps",
    "idps_text",
    "new",
    "new_text",
    "share",
]
FLOW_COLUMNS = [
    "origin_pcode",
    "origin_name",
    "origin_lat",
    "origin_lon",
    "pcode",
    "name",
    "lat",
    "lon",
    "value",
    "value_text",
    "text",
    "reports",
]


def measure_of(value: object) -> str:
    """The measure asked for; anything else (forged, missing) is people displaced."""
    return value if isinstance(value, str) and value in MEASURES else DEFAULT_MEASURE


def map_parts(kids: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Every part of the place, with its breakdown figures where it has any.

    `kids`: the gazetteer rows of the parts; `rows`: `rules.breakdown` of the same view.
    """
    places = kids[["pcode", "name", "admin_level", "lat", "lon"]]
    figures = rows.drop(columns=[c for c in ("name", "name_ar") if c in rows], errors="ignore")
    out = places.merge(figures, on="pcode", how="left")
    for column in ("idps_text", "new_text"):
        out[column] = out[column].fillna("–")
    return out[PART_COLUMNS].reset_index(drop=True)


def map_flows(figs: pd.DataFrame, places: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Recommended movement figures with both ends located, one row per origin and destination.

    Several reports of one movement (a cumulative count reported week after week) are one
    arrow: the largest, with the number of reports, never their sum. With `limit`, only that
    many of the largest.
    """
    if figs.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    ends = _located(places)
    # Column by column: a national view has a thousand and more moves, and the arrows are
    # the thirty largest of them, so only those are walked as rows.
    recommended = (figs["role"] == "recommended").to_numpy(dtype=bool, na_value=False)
    keep = (
        recommended
        & figs["origin_pcode"].notna().to_numpy(dtype=bool)
        & figs["origin_pcode"].isin(ends).to_numpy(dtype=bool)
        & figs["pcode"].isin(ends).to_numpy(dtype=bool)
    )
    at = np.flatnonzero(keep)
    # The largest first, then the latest; equals as they came (a stable sort).
    values = figs["value"].to_numpy(dtype="float64", na_value=np.nan)[at]
    days = _days(figs["period_end"])[at]
    at = at[np.lexsort((-days, -values))]
    origins = figs["origin_pcode"].to_numpy(dtype=object)[at]
    heres = figs["pcode"].to_numpy(dtype=object)[at]
    pair = group_ids(origins, heres)
    reports = np.bincount(pair)[pair]
    first = np.sort(np.unique(pair, return_index=True)[1])[:limit]
    chosen = at[first]
    rows = []
    for origin, here, value, qualifier, start, end, publisher, count in zip(
        origins[first].tolist(),
        heres[first].tolist(),
        figs["value"].take(chosen).tolist(),
        figs["qualifier"].take(chosen).tolist(),
        figs["period_start"].take(chosen).tolist(),
        figs["period_end"].take(chosen).tolist(),
        figs["publisher"].take(chosen).tolist(),
        reports[first].tolist(),
        strict=True,
    ):
        origin_name, origin_lat, origin_lon = ends[origin]
        name, lat, lon = ends[here]
        origin_name = origin_name if pd.notna(origin_name) else origin
        name = name if pd.notna(name) else here
        value_text = format_value(value, qualifier)
        more = f"; the largest of {count} reports" if count > 1 else ""
        rows.append(
            {
                "origin_pcode": origin,
                "origin_name": str(origin_name),
                "origin_lat": origin_lat,
                "origin_lon": origin_lon,
                "pcode": here,
                "name": str(name),
                "lat": lat,
                "lon": lon,
                "value": int(value),
                "value_text": value_text,
                "text": (
                    f"{value_text} from {origin_name} to {name}, "
                    f"{format_period(start, end)} "
                    f"({publisher_name(publisher)}){more}"
                ),
                "reports": int(count),
            }
        )
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)


def _located(places: pd.DataFrame) -> dict[str, tuple[object, float, float]]:
    """The name and seat of each place with one, by P-code."""
    placed = places[places["lat"].notna() & places["lon"].notna()]
    return {
        pcode: (name, float(lat), float(lon))
        for pcode, name, lat, lon in zip(
            placed["pcode"].tolist(),
            placed["name"].tolist(),
            placed["lat"].tolist(),
            placed["lon"].tolist(),
            strict=True,
        )
    }


def _days(stamps: pd.Series) -> np.ndarray:
    """Days since 1970 as floats, NaN for none: sortable either way."""
    values = stamps.to_numpy(dtype="datetime64[ns]")
    days = values.astype("datetime64[D]").astype(np.int64).astype("float64")
    return np.where(np.isnat(values), np.nan, days)


def _values(parts: pd.DataFrame, measure: str) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in parts[measure].astype("float")]


def _texts(parts: pd.DataFrame, measure: str) -> list[str]:
    if measure == "share":
        return ["–" if pd.isna(v) else f"{float(v):.0%}" for v in parts["share"]]
    return [str(t) for t in parts[f"{measure}_text"]]


def colour_for(value: float | None, top: float) -> str:
    """The fill of one area: its place on the scale from 0 to `top`; grey with no figure."""
    if value is None or top <= 0:
        return NO_FIGURE
    return sample_colorscale(COLOURS, [min(max(value / top, 0.0), 1.0)])[0]


def _ring_xy(polygons: tuple, xs: list, ys: list) -> None:
    for polygon in polygons:
        for ring in polygon:
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]


def _area(shape: Shape, fill: str, hover: str, hatched: bool, line: str) -> dict:
    xs: list[float | None] = []
    ys: list[float | None] = []
    _ring_xy(shape.polygons, xs, ys)
    trace = {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "lines",
        "fill": "toself",
        "fillcolor": fill,
        "line": {"color": line, "width": 1},
        # Hovering an area names it with its figure: a filled area's hover is its name.
        "name": hover,
        "hoveron": "fills",
        "hoverinfo": "name",
        "hoverlabel": {"namelength": -1},
        "showlegend": False,
    }
    if hatched:
        trace["fillpattern"] = {"shape": "/", "fgcolor": "#bbb", "size": 6, "solidity": 0.15}
    return trace


def _wrapped(text: str, width: int) -> list[str]:
    """A long note in lines of at most `width` characters: plotly does not wrap text."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


NOTE_WIDTH = 56  # characters a line: the notes fit a phone's width at these sizes


def _notes(words: list[str], credits: tuple[str, ...] = ()) -> tuple[dict, int]:
    """Under the map: what it cannot draw, then the attribution (of the shapes, and of any
    other layer drawn) and the UN disclaimer (the COD-AB licence asks for the attribution
    wherever the shapes are shown); and the height in pixels they take."""
    said = [line for w in words for line in _wrapped(w, NOTE_WIDTH)]
    credit = _wrapped(". ".join([ATTRIBUTION, *credits, DISCLAIMER]), NOTE_WIDTH + 8)
    text = "<br>".join(
        [*said, *(f'<span style="font-size:9px;color:#555">{line}</span>' for line in credit)]
    )
    note = {
        "text": text,
        "showarrow": False,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 0,
        "xanchor": "left",
        "yanchor": "top",
        "yshift": -6,
        "align": "left",
        "font": {"size": 12, "color": "#333"},
    }
    # Lines are spaced by the note's own font, whatever the size of a span's text.
    return note, 17 * (len(said) + len(credit)) + 12


def _arrows(flows: pd.DataFrame, ends: dict[str, tuple[float, float]]) -> list[dict]:
    """One arrow per movement, from origin to destination, as wide as its number."""
    top = float(flows["value"].max()) if len(flows) else 1.0
    arrows = []
    for f in frame_rows.rows(flows):
        x0, y0 = ends[f.origin_pcode]
        x1, y1 = ends[f.pcode]
        arrows.append(
            {
                "x": x1,
                "y": y1,
                "ax": x0,
                "ay": y0,
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "text": "",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1,
                "arrowwidth": round(1.5 + 6 * math.sqrt(f.value / top if top else 0), 2),
                "arrowcolor": ARROW,
                "standoff": 4,
                "opacity": 0.85,
            }
        )
    return arrows


def _around(
    pcode: str, areas: pd.DataFrame, points: pd.DataFrame, shapes: dict, sited: bool = False
) -> list[str]:
    """The outlines that say where the parts are: the place's own, or else the nearest unit
    with a shape above each part drawn as a point (above the place itself, for its sites
    when it has no parts); none when the parts are all areas."""
    if not areas.empty and points.empty:
        return []
    if pcode in shapes:
        return [pcode]
    around: list[str] = []
    drawn = set(areas["pcode"])
    below = list(points["pcode"]) or ([pcode] if sited else [])
    for kid in below:
        up = parent_of(str(kid))
        while up and up not in shapes:
            up = parent_of(up)
        if up and up not in around and up not in drawn:
            around.append(up)
    return around


def _names(
    named: list[tuple[str, str, float, float]],
    figure: dict[str, tuple[float | None, str]],
    areas: int,
    label: str,
    number_format: str,
    top: float,
) -> dict:
    """The names on the areas and over the points, with their figures; the colour legend."""
    texts = [
        f"<b>{name}</b><br>{figure[code][1]}" if figure[code][0] is not None else f"<b>{name}</b>"
        for code, name, _, _ in named
    ]
    return {
        "type": "scatter",
        "x": [x for *_, x, _ in named],
        "y": [y for *_, y in named],
        "mode": "markers+text",
        "text": texts,
        "textposition": ["middle center"] * areas + ["top center"] * (len(named) - areas),
        "textfont": {"size": 11, "color": "#1a1a1a", "shadow": "auto"},
        "cliponaxis": False,  # a name at the edge is written whole
        "customdata": [code for code, *_ in named],
        "hovertext": [f"{name}<br>{label}: {figure[code][1]}" for code, name, _, _ in named],
        "hoverinfo": "text",
        # Invisible markers: they carry the legend of the colours, and the hover and click.
        "marker": {
            "size": 8,
            "opacity": 0,
            "color": [figure[code][0] or 0 for code, *_ in named],
            "colorscale": COLOURS,
            "cmin": 0,
            "cmax": top or 1,
            "showscale": top > 0,
            "colorbar": {
                "title": {"text": label, "side": "top", "font": {"size": 11}},
                "tickformat": number_format,
                "tickfont": {"size": 10},
                "nticks": 4,
                "orientation": "h",
                "thickness": 10,
                "len": 0.5,
                "x": 1,
                "xanchor": "right",
                "y": 1.0,
                "yanchor": "bottom",
            },
        },
        "showlegend": False,
    }


def _points(points: pd.DataFrame, figure: dict, top: float) -> dict:
    """Parts with no shape (sub-districts, sites) as circles coloured like the areas; open
    where they have no figure."""
    values = [figure[code][0] for code in points["pcode"]]
    return {
        "type": "scatter",
        "x": points["lon"].astype("float").tolist(),
        "y": points["lat"].astype("float").tolist(),
        "mode": "markers",
        "customdata": points["pcode"].tolist(),
        "hovertext": [
            f"{n}: {figure[c][1]}" for c, n in zip(points["pcode"], points["name"], strict=True)
        ],
        "hoverinfo": "text",
        "marker": {
            "size": 13,
            # An open marker is drawn in its colour: grey, where there is no figure.
            "color": ["#555" if v is None else colour_for(v, top) for v in values],
            "line": {"color": "#555", "width": 1.5},
            "symbol": ["circle-open-dot" if v is None else "circle" for v in values],
        },
        "showlegend": False,
    }


SITE_SLACK = 0.02  # degrees (about 2 km): a site on its district's edge is still inside


def inside_districts(sites: pd.DataFrame, shapes: dict[str, Shape]) -> pd.Series:
    """Whether each site's coordinates fall within its district's bounding box (a site of a
    district with no shape passes): a few listed sites lie tens of kilometres away."""
    boxes = pd.DataFrame(
        [
            shapes[code].bounds if code in shapes else (None,) * 4
            for code in sites["district_pcode"]
        ],
        columns=["west", "south", "east", "north"],
        index=sites.index,
        dtype=float,
    )
    lon, lat = sites["lon"].astype(float), sites["lat"].astype(float)
    within = lon.between(boxes["west"] - SITE_SLACK, boxes["east"] + SITE_SLACK) & lat.between(
        boxes["south"] - SITE_SLACK, boxes["north"] + SITE_SLACK
    )
    return within | boxes["west"].isna()


def _sites(sites: pd.DataFrame) -> dict:
    """IDP sites as small triangles under the parts, each with the people counted in it in
    the month the site list is of."""
    hover = [
        f"{name} ({kind}, {code}): {people:,} people in {sites_layer.LISTED} (ISIMM)"
        if pd.notna(people)
        else f"{name} ({kind}, {code})"
        for name, kind, code, people in zip(
            sites["name"], sites["site_type"], sites["site_code"], sites["people"], strict=True
        )
    ]
    return {
        "type": "scatter",
        "x": sites["lon"].astype("float").tolist(),
        "y": sites["lat"].astype("float").tolist(),
        "mode": "markers",
        "name": f"IDP site (CCCM, {sites_layer.LISTED})",
        "hovertext": hover,
        "hoverinfo": "text",
        "marker": {"size": 6, "color": SITE, "symbol": "triangle-up", "opacity": 0.75},
        "showlegend": False,  # the words under the map say what the triangles are
    }


def _movements(flows: pd.DataFrame, ends: dict[str, tuple[float, float]]) -> list[dict]:
    """The ends of the arrows the map names nowhere else, and each arrow's number at its
    middle (its hover says who counted it, and when)."""
    far: dict[str, tuple[str, float, float]] = {}
    for f in frame_rows.rows(flows):
        for code, name, lon, lat in (
            (f.origin_pcode, f.origin_name, f.origin_lon, f.origin_lat),
            (f.pcode, f.name, f.lon, f.lat),
        ):
            if code not in ends and code not in far:
                far[code] = (name, lon, lat)
    ends |= {code: (lon, lat) for code, (_, lon, lat) in far.items()}
    traces = []
    if far:
        traces.append(
            {
                "type": "scatter",
                "x": [lon for _, lon, _ in far.values()],
                "y": [lat for *_, lat in far.values()],
                "mode": "markers+text",
                "text": [name for name, _, _ in far.values()],
                "textposition": "bottom center",
                "textfont": {"size": 11, "color": "#1a1a1a", "shadow": "auto"},
                "marker": {"size": 7, "color": ARROW},
                "hovertext": [name for name, _, _ in far.values()],
                "hoverinfo": "text",
                "showlegend": False,
            }
        )
    pairs = [(ends[f.origin_pcode], ends[f.pcode]) for f in frame_rows.rows(flows)]
    traces.append(
        {
            "type": "scatter",
            "x": [(a[0] + b[0]) / 2 for a, b in pairs],
            "y": [(a[1] + b[1]) / 2 for a, b in pairs],
            "mode": "text",
            "text": flows["value_text"].tolist(),
            "textfont": {"size": 10, "color": ARROW, "shadow": "auto"},
            "hovertext": flows["text"].tolist(),
            "hoverinfo": "text",
            "showlegend": False,
        }
    )
    return traces


NO_FIGURE_KEY = {
    "type": "scatter",
    "x": [None],
    "y": [None],
    "mode": "markers",
    "name": "No figure",
    "marker": {"symbol": "square", "size": 12, "color": NO_FIGURE, "line": {"color": "#999"}},
    "showlegend": True,
}


def map_spec(
    place: pd.Series,
    parts: pd.DataFrame,
    flows: pd.DataFrame,
    shapes: dict[str, Shape],
    measure: str,
    country_name: str,
    sites: pd.DataFrame | None = None,
) -> dict:
    """The map of one place, as the plain structure the page is sent.

    `parts`: `map_parts`; `flows`: `map_flows`; `shapes`: the boundaries by P-code (only
    those drawn are sent); `measure`: a key of MEASURES; `country_name` for the words said
    when no boundaries are shipped; `sites`: the IDP sites within the place (`sites.within`).
    """
    label, number_format = MEASURES[measure]
    astray = 0
    if sites is not None:
        sites = sites.dropna(subset=["lat", "lon"])
        placed = inside_districts(sites, shapes)
        astray, sites = int((~placed).sum()), sites[placed]
    sited = sites is not None and not sites.empty
    areas = parts[parts["pcode"].isin(shapes)]
    points = parts[~parts["pcode"].isin(shapes)].dropna(subset=["lat", "lon"])
    around = _around(str(place["pcode"]), areas, points, shapes, sited)
    flows = flows.head(MAX_ARROWS)
    words = []
    if areas.empty and not around:
        where = ": its places are drawn at their seat towns." if len(points) else "."
        words.append(f"No boundaries are shipped for {country_name}{where}")
    elif len(points) and (points["admin_level"].fillna(9) <= 2).any():
        words.append(f"{len(points)} places without a shipped boundary are drawn as points.")
    if sited:
        words.append(
            f"{len(sites)} IDP sites are drawn as triangles where CCCM listed them in "
            f"{sites_layer.LISTED}; their people are counted in the figures for their area."
        )
    if astray:
        words.append(
            f"{astray} listed sites whose coordinates lie outside their district are not drawn."
        )
    unlocated = len(parts) - len(areas) - len(points)
    if unlocated:
        words.append(f"{unlocated} places with no boundary or coordinates are not drawn.")
    values = _values(parts, measure)
    known = [v for v in values if v is not None]
    if len(parts) and not known:
        words.append(f"No figure of {label.lower()} for these places in this period.")
    if areas.empty and not around and points.empty and flows.empty and not sited:
        words[0] = f"No boundaries are shipped for {country_name}, and its places here have no "
        words[0] += "coordinates: there is nothing to draw."
        note, _ = _notes(words)
        note |= {"y": 1, "yshift": 0}
        return {
            "data": [],
            "layout": {
                "xaxis": {"visible": False},
                "yaxis": {"visible": False},
                "annotations": [note],
                "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            },
        }
    top = max(known) if known else 0.0
    figure = dict(
        zip(parts["pcode"], zip(values, _texts(parts, measure), strict=True), strict=True)
    )
    traces: list[dict] = [
        _area(shapes[p], "rgba(0,0,0,0)", shapes[p].name or p, False, "#777") for p in around
    ]
    for part in frame_rows.rows(areas):
        value, text = figure[part.pcode]
        hover = f"{part.name}: " + (
            f"{text} ({label.lower()})" if value is not None else f"no figure of {label.lower()}"
        )
        line = "#fff" if value is not None else "#999"
        traces.append(_area(shapes[part.pcode], colour_for(value, top), hover, value is None, line))
    if sited:
        traces.append(_sites(sites))
    if len(points):
        traces.append(_points(points, figure, top))
    named = [(p.pcode, p.name, *shapes[p.pcode].label) for p in frame_rows.rows(areas)]
    named += [(p.pcode, p.name, float(p.lon), float(p.lat)) for p in frame_rows.rows(points)]
    if named:
        traces.append(_names(named, figure, len(areas), label, number_format, top))
    ends = {code: (x, y) for code, _, x, y in named}
    if not flows.empty:
        traces += _movements(flows, ends)
    if known and len(known) < len(values):
        traces.append(NO_FIGURE_KEY)  # says what the grey hatching means
    note, below = _notes(words, (sites_layer.ATTRIBUTION,) if sited else ())
    xs = [x for t in traces for x in t["x"] if x is not None]
    ys = [y for t in traces for y in t["y"] if y is not None]
    pad_x = max((max(xs) - min(xs)) * 0.06, 0.05)
    pad_y = max((max(ys) - min(ys)) * 0.04, 0.05)
    layout = {
        "margin": {"l": 10, "r": 10, "t": 70, "b": below},
        "plot_bgcolor": "white",
        "hovermode": "closest",
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "xaxis": {"visible": False, "range": [min(xs) - pad_x, max(xs) + pad_x]},
        # A degree of longitude is shorter than one of latitude, by the cosine of it.
        "yaxis": {
            "visible": False,
            "scaleanchor": "x",
            "scaleratio": round(1 / math.cos(math.radians((min(ys) + max(ys)) / 2)), 3),
            "range": [min(ys) - pad_y, max(ys) + pad_y],
        },
        "annotations": [note, *(_arrows(flows, ends) if not flows.empty else [])],
    }
    return {"data": traces, "layout": layout}


def country_label(places: pd.DataFrame, pcode: str) -> str:
    """The name of the country a place is in, as the map's words say it."""
    country = country_of(pcode)
    names = places.loc[places["pcode"] == country, "name"]
    return str(names.iloc[0]) if len(names) else country


def map_view(
    places: pd.DataFrame,
    place: pd.Series,
    kids: pd.DataFrame,
    rows: pd.DataFrame,
    moves: pd.DataFrame,
    shapes: dict[str, Shape],
    measure: object,
    sites: pd.DataFrame | None = None,
) -> dict:
    """The map of a view: its parts (`kids`, with their `rules.breakdown` `rows`), the
    movements with an origin (`moves`), coloured by `measure`, and the IDP `sites` within."""
    return map_spec(
        place,
        map_parts(kids, rows),
        map_flows(moves, places, MAX_ARROWS),
        shapes,
        measure_of(measure),
        country_label(places, str(place["pcode"])),
        sites,
    )
