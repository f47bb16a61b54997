"""cProfile summaries: the functions that take the most cumulative time, wrappers left out."""

import pstats
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Entry points of the profiled runs themselves: they account for everything by definition.
_ENTRY = {"_profiled", "<module>", "run_profiled"}


def _label(func: tuple[str, int, str], stats: pstats.Stats | None = None) -> str:
    filename, line, name = func
    if name.startswith("<") and stats is not None:
        # A comprehension: name the function it runs in.
        callers = stats.stats[func][4]  # type: ignore[attr-defined]
        if len(callers) == 1:
            name = f"{next(iter(callers))[2]}.{name}"
    if filename == "~":
        return name
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        shown = "/".join(parts[parts.index("site-packages") + 1 :])
    else:
        try:
            shown = str(path.resolve().relative_to(ROOT))
        except ValueError:
            shown = path.name
    return f"{shown}:{line}({name})"


def _is_wrapper(stats: pstats.Stats, func: tuple, cumulative: float, own: float) -> bool:
    """A function that only hands its work to one callee: little own time, one heavy callee."""
    if func[2] in _ENTRY or func[2].startswith("<built-in method builtins.exec"):
        return True
    if cumulative <= 0:
        return True
    callees = stats.all_callees.get(func, {})  # type: ignore[attr-defined]
    heaviest = max((c[3] for c in callees.values()), default=0.0)
    return own < 0.02 * cumulative and heaviest >= 0.9 * cumulative


def top_functions(profile: Path, count: int = 3) -> list[dict]:
    """The `count` functions with the most cumulative time that are not trivial wrappers.

    Left out: functions that only hand their work to one callee, and those that hold (nearly)
    the whole run (the entry point, the web framework's dispatch): they say nothing new.
    """
    stats = pstats.Stats(str(profile))
    stats.calc_callees()
    total = max((v[3] for v in stats.stats.values()), default=0.0)  # type: ignore[attr-defined]
    rows = []
    for func, (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if cumulative >= 0.9 * total or _is_wrapper(stats, func, cumulative, own):
            continue
        ours = any(f"/{pkg}/" in func[0] for pkg in ("etl", "dashboard", "schemas"))
        ours = ours and "site-packages" not in func[0]
        rows.append(
            {
                "function": _label(func, stats),
                "cumulative_s": round(cumulative, 3),
                "own_s": round(own, 3),
                "calls": calls,
                "share": round(cumulative / total, 3) if total else None,
                "ours": ours,
            }
        )
    rows.sort(key=lambda r: r["cumulative_s"], reverse=True)
    return rows[:count]


def describe(rows: list[dict]) -> str:
    """One line for a Markdown cell."""
    return "; ".join(
        f"`{r['function']}` {r['cumulative_s']:.2f} s cum ({(r['share'] or 0):.0%}), "
        f"{r['calls']:,} calls"
        for r in rows
    )
