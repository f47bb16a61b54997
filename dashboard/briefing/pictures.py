"""The pack's charts drawn headless with matplotlib (Agg), from the data the page draws.

Matplotlib (3.11) lays text out with complex-script shaping and bidirectional ordering, so
Arabic labels are given to it as they are, in logical order.
"""

import functools
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib import font_manager

from dashboard.briefing import wording
from dashboard.briefing.catalogue import text
from dashboard.briefing.model import Pack
from dashboard.charts import PALETTE

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


def place_map(pack: Pack, lang: str) -> bytes:
    """The places within at their coordinates, sized by people displaced."""
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
    for row in points.itertuples(index=False):
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
    return _png(fig)


DRAW = {"timeseries": timeseries, "breakdown": breakdown, "map": place_map}


def draw(pack: Pack, doc: wording.Document) -> dict[str, bytes]:
    """Every chart the document shows, as PNG bytes by its key."""
    return {s.chart: DRAW[s.chart](pack, doc.lang) for s in doc.sections if s.chart}
