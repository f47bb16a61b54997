"""The pack's charts drawn headless with matplotlib (Agg), from the data the page draws.

Matplotlib (3.11) lays text out with complex-script shaping and bidirectional ordering, so
Arabic labels are given to it as they are, in logical order.
"""

import functools
import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from plotly.colors import sample_colorscale, unlabel_rgb

from dashboard import frame_rows
from dashboard.boundaries import Shape
from dashboard.briefing import wording
from dashboard.briefing.catalogue import text
from dashboard.briefing.model import Pack
from dashboard.charts import PALETTE
from dashboard.map_figure import COLOURS, NO_FIGURE, colour_for

FONTS = Path(__file__).parent / "fonts"
# Wide enough for a slide, small enough that a pack of four stays well under a megabyte.
SIZE = (10, 4.6)
DPI = 110


@functools.cache
def _families() -> list[str]:
    """Register the shipped font once: one family for Latin and Arabic."""
    for path in sorted(FONTS.glob("*.ttf")):
        font_manager.fontManager.addfont(str(path))
    return ["Briefing Sans"]


def _figure(height: float = SIZE[1]) -> tuple[plt.Figure, plt.Axes]:
    plt.rcParams["font.family"] = _families()
    fig, ax = plt.subplots(figsize=(SIZE[0], height), dpi=DPI)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _png(fig: plt.Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight")
    plt.close(fig)
    return out.getvalue()


def _message(message: str) -> bytes:
    fig, ax = _figure()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=14, color="#333")
    return _png(fig)


def _grouped(value: float, _pos: object = None) -> str:
    return f"{int(value):,}"


def timeseries(pack: Pack, lang: str) -> bytes:
    """Stocks as lines, flows as bars spanning their periods, events as dotted lines."""
    if not pack.lines:
        return _message(text(lang, "no_figures"))
    fig, ax = _figure()
    colours: dict[str, str] = {}
    for line in pack.lines:
        colour = colours.setdefault(line.org, PALETTE[len(colours) % len(PALETTE)])
        label = wording.series_name(line, lang)
        if line.kind == "flow":
            for start, end, value in zip(line.starts, line.ends, line.values, strict=True):
                width = (end - start).days + 1
                ax.bar(
                    mdates.date2num(start) + width / 2,
                    value,
                    width=width,
                    color=colour,
                    alpha=0.45 if line.triangulation else 0.75,
                    label=label,
                )
                label = "_nolegend_"
        else:
            style = ":" if line.triangulation else ("--" if line.kind == "cumulative" else "-")
            ax.plot(
                [mdates.date2num(t) for t in line.ends],
                line.values,
                linestyle=style,
                marker="o",
                markersize=3,
                color=colour,
                label=label,
                drawstyle="steps-post" if line.kind == "stock" else "default",
            )
    for when, _title in pack.events:
        ax.axvline(mdates.date2num(when), color="#888", linewidth=0.8, linestyle=":")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.yaxis.set_major_formatter(_grouped)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return _png(fig)


def breakdown(pack: Pack, lang: str) -> bytes:
    """The places within, as horizontal bars: people displaced and newly displaced."""
    rows = pack.breakdown
    if rows.empty:
        return _message(text(lang, "no_figures"))
    rows = rows.sort_values("idps", na_position="first")
    # As on the page: the chart grows with the places it lists.
    fig, ax = _figure(min(SIZE[1], 1.4 + 0.5 * len(rows)))
    names = [pack.place_name(str(p), lang) for p in rows["pcode"]]
    y = range(len(rows))
    for offset, column, texts, key, colour in (
        (-0.2, "idps", "idps_text", "bar_idps", PALETTE[0]),
        (0.2, "new", "new_text", "bar_new", PALETTE[1]),
    ):
        values = rows[column].astype("float").fillna(0).tolist()
        bars = ax.barh(
            [i + offset for i in y],
            values,
            height=0.4,
            color=colour,
            label=text(lang, key),
        )
        ax.bar_label(bars, labels=rows[texts].tolist(), fontsize=8, padding=2)
    ax.set_yticks(list(y), names)
    ax.xaxis.set_major_formatter(_grouped)
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def _rgb(colour: str) -> tuple[float, float, float]:
    """A plotly "rgb(r, g, b)" (or "#rrggbb") colour as matplotlib's fractions."""
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
    r, g, b = unlabel_rgb(colour)
    return r / 255, g / 255, b / 255


def _outline(shape: Shape) -> MplPath:
    """A shape's polygons, holes and all, as one path."""
    paths = [MplPath(ring, closed=True) for polygon in shape.polygons for ring in polygon]
    return MplPath.make_compound_path(*paths)


def _ink(fill: tuple[float, float, float]) -> str:
    """Text that reads on the fill: dark on light areas, white on dark ones."""
    r, g, b = fill
    return "#1a1a1a" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def map_figure(pack: Pack, lang: str) -> plt.Figure:
    """The places within as the page's map draws them: their COD-AB areas coloured by people
    displaced on the page's scale and named; places without an outline at their coordinates;
    the legend, the attribution and the UN disclaimer under it."""
    if not pack.areas:
        return _point_map(pack, lang)
    rows = pack.breakdown.set_index("pcode")
    values = {
        p: None if p not in rows.index or pd.isna(rows.at[p, "idps"]) else float(rows.at[p, "idps"])
        for p in pack.areas
    }
    top = max((v for v in values.values() if v is not None), default=0.0)
    fig, ax = _figure(SIZE[1] + 0.9)
    for pcode, shape in pack.areas.items():
        fill = _rgb(colour_for(values[pcode], top))
        ax.add_patch(PathPatch(_outline(shape), facecolor=fill, edgecolor="white", linewidth=0.8))
        value = rows.at[pcode, "idps_text"] if values[pcode] is not None else ""
        label = pack.place_name(pcode, lang) + (f"\n{value}" if value else "")
        ax.text(*shape.label, label, ha="center", va="center", fontsize=8, color=_ink(fill))
    # Places within that have no outline but a seat town: points, as on the page.
    loose = pack.points[~pack.points["pcode"].isin(list(pack.areas))]
    if not loose.empty:
        ax.scatter(loose["lon"].astype("float"), loose["lat"].astype("float"), color=PALETTE[0])
    ax.autoscale_view()
    south, north = ax.get_ylim()
    # Degrees of longitude shrink towards the poles: the map keeps its shapes' proportions.
    ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    ax.axis("off")
    scale = LinearSegmentedColormap.from_list(
        "displaced", [_rgb(c) for c in sample_colorscale(COLOURS, [i / 10 for i in range(11)])]
    )
    bar = fig.colorbar(
        ScalarMappable(Normalize(0, top or 1), scale), ax=ax, shrink=0.6, format=_grouped
    )
    bar.set_label(text(lang, "bar_idps"), fontsize=8)
    bar.ax.tick_params(labelsize=7)
    ax.legend(
        handles=[
            Patch(facecolor=_rgb(NO_FIGURE), edgecolor="#999", label=text(lang, "map_no_figure"))
        ],
        loc="lower left" if lang != "ar" else "lower right",
        fontsize=7,
        frameon=False,
    )
    fig.text(
        0.99 if lang == "ar" else 0.01,
        0.01,
        text(lang, "map_attribution") + "\n" + text(lang, "map_disclaimer"),
        ha="right" if lang == "ar" else "left",
        va="bottom",
        fontsize=6.5,
        color="#555",
        wrap=True,
    )
    return fig


def _point_map(pack: Pack, lang: str) -> plt.Figure:
    """The places within at their coordinates, sized by people displaced: where the shipped
    boundaries have none of them."""
    points = pack.points
    fig, ax = _figure()
    size = points["idps"].astype("float").fillna(points["new"].astype("float")).fillna(0)
    scale = float(size.max()) or 1.0
    ax.scatter(
        points["lon"].astype("float"),
        points["lat"].astype("float"),
        s=(40 + 900 * (size / scale) ** 0.5).tolist(),
        color=PALETTE[0],
        alpha=0.7,
        edgecolors="white",
    )
    for row in frame_rows.rows(points):
        ax.annotate(
            pack.place_name(str(row.pcode), lang),
            (float(row.lon), float(row.lat)),
            textcoords="offset points",
            xytext=(0, 10),
            ha="center",
            fontsize=9,
        )
    ax.set_aspect(1.2)
    ax.axis("off")
    return fig


def place_map(pack: Pack, lang: str) -> bytes:
    """`map_figure` as PNG."""
    return _png(map_figure(pack, lang))


DRAW = {"timeseries": timeseries, "breakdown": breakdown, "map": place_map}


def draw(pack: Pack, doc: wording.Document) -> dict[str, bytes]:
    """Every chart the document shows, as PNG bytes by its key."""
    return {s.chart: DRAW[s.chart](pack, doc.lang) for s in doc.sections if s.chart}
