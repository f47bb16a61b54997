"""Talking to Dash apps over HTTP on 127.0.0.1: servers, callback payloads, filter changes."""

import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

HOST = "127.0.0.1"
# What Chromium and Firefox send, less zstd (no package here reads it). A server that
# compresses answers them with Brotli, not with requests' default gzip at level 6, which
# costs the series callback's answer (260 kB of JSON) 4.3 ms against Brotli's 1.7 ms.
BROWSER_ENCODINGS = "gzip, deflate, br"


def browser_session() -> requests.Session:
    """A session that asks for compressed answers as a browser does."""
    session = requests.Session()
    session.headers["Accept-Encoding"] = BROWSER_ENCODINGS
    return session


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    args: list[str], log: Path, *, env: dict[str, str] | None = None, ready: str = "/"
) -> Iterator[str]:
    """Run a server (`python <args> --port P`) on 127.0.0.1; yield its base URL; stop it."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, *args, "--port", str(port)],
            env={**os.environ, **(env or {})},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"server {args} exited with {proc.returncode}:\n{tail}")
                try:
                    if requests.get(base + ready, timeout=30).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server {args} not ready after 120 s")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


# --- callback payloads -------------------------------------------------------------------------


def dependencies(session: requests.Session, base: str) -> list[dict[str, Any]]:
    """The app's callbacks as /_dash-dependencies describes them."""
    response = session.get(base + "/_dash-dependencies", timeout=60)
    response.raise_for_status()
    return response.json()


def layout_values(session: requests.Session, base: str) -> dict[str, Any]:
    """Every property of every component with an id in the initial layout, as "id.prop"."""
    response = session.get(base + "/_dash-layout", timeout=120)
    response.raise_for_status()
    found: dict[str, Any] = {}
    stack = [response.json()]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and "props" in node:
            props = node["props"]
            ident = props.get("id")
            for key, value in props.items():
                if isinstance(ident, str) and key != "children":
                    found[f"{ident}.{key}"] = value
                if isinstance(value, dict | list):
                    stack.append(value)
    return found


def callback(deps: list[dict[str, Any]], output: str) -> dict[str, Any]:
    """The callback whose output names `output` (e.g. "cards.children")."""
    found = [d for d in deps if output in d["output"]]
    if len(found) != 1:
        raise LookupError(f"{len(found)} callbacks output {output}")
    return found[0]


def _prop(spec: str) -> dict[str, str]:
    ident, prop = spec.rsplit(".", 1)
    return {"id": ident, "property": prop}


def payload(dep: dict[str, Any], values: dict[str, Any], changed: list[str]) -> dict[str, Any]:
    """The body the Dash renderer POSTs to /_dash-update-component for one callback."""
    output = dep["output"]
    multi = output.startswith("..")
    outs = [_prop(o) for o in output.strip(".").split("...")] if multi else _prop(output)
    return {
        "output": output,
        "outputs": outs,
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "changedPropIds": changed,
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]],
    }


# --- a session of filter changes ---------------------------------------------------------------


def filter_changes(
    places: list[dict[str, Any]], first: str, last: str, count: int, seed: int
) -> list[dict[str, Any]]:
    """`count` filter changes as a user makes them: place, district or one of the dates.

    Each item holds the inputs of the page after the change and the property that changed.
    `places` are rows of the gazetteer (pcode, kind, admin_level, parent_pcode).
    """
    rng = random.Random(seed)
    top = [p["pcode"] for p in places if p["kind"] == "area" or p["admin_level"] in (0, 1)]
    children: dict[str, list[str]] = {}
    for p in places:
        if p.get("parent_pcode"):
            children.setdefault(p["parent_pcode"], []).append(p["pcode"])
    span = (time_days(last) - time_days(first)) or 1
    state = {"place": top[0], "district": None, "start": first, "end": last}
    out = []
    for _ in range(count):
        roll = rng.random()
        options = children.get(state["place"], [])
        if state["district"]:
            options = options + children.get(state["district"], [])
        if roll < 0.25:
            state = {**state, "place": rng.choice([t for t in top if t != state["place"]])}
            state["district"] = None
            changed = "filter-place.value"
        elif roll < 0.6 and options:
            pick = None if rng.random() < 0.15 else rng.choice(options)
            state = {**state, "district": pick}
            changed = "filter-district.value"
        else:
            a = rng.randrange(span)
            b = rng.randrange(span)
            lo, hi = sorted((a, b))
            hi = max(hi, lo + 7)
            if rng.random() < 0.5:
                state = {**state, "start": day_text(first, lo)}
                changed = "filter-dates.start_date"
            else:
                state = {**state, "end": day_text(first, min(hi, span))}
                changed = "filter-dates.end_date"
            if state["start"] > state["end"]:
                state["start"], state["end"] = state["end"], state["start"]
        out.append({**state, "changed": changed})
    return out


def time_days(text: str) -> int:
    """Days since 1970 of an ISO date."""
    return (dt.date.fromisoformat(text) - dt.date(1970, 1, 1)).days


def day_text(first: str, offset: int) -> str:
    """The ISO date `offset` days after `first`."""
    return (dt.date.fromisoformat(first) + dt.timedelta(days=offset)).isoformat()


def render_values(state: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The dashboard's inputs for a state: the filters set, anything else as first laid out."""
    return (defaults or {}) | {
        "filter-place.value": state["place"],
        "filter-district.value": state["district"],
        "filter-dates.start_date": state["start"],
        "filter-dates.end_date": state["end"],
        "url.search": None,
        "breakdown.clickData": None,
    }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_posts(
    session: requests.Session,
    base: str,
    bodies: list[dict[str, Any]],
    *,
    budget_s: float,
    progress: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """POST each body to /_dash-update-component in turn; latency statistics in ms.

    Stops early when `budget_s` is spent (the count measured is reported).
    """
    url = base + "/_dash-update-component"
    headers = {"Accept-Encoding": "gzip", "Content-Type": "application/json"}
    times, sizes, errors = [], [], 0
    started = time.monotonic()
    for i, body in enumerate(bodies):
        if time.monotonic() - started > budget_s:
            break
        t = time.perf_counter()
        response = session.post(url, json=body, headers=headers, timeout=300)
        content = response.content
        times.append((time.perf_counter() - t) * 1000)
        if response.status_code not in (200, 204):
            errors += 1
        sizes.append(int(response.headers.get("Content-Length", len(content))))
        if progress and (i + 1) % 20 == 0:
            progress(i + 1, time.monotonic() - started)
    return {
        "n": len(times),
        "requested": len(bodies),
        "errors": errors,
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times) if times else float("nan"),
        "mean_ms": statistics.fmean(times) if times else float("nan"),
        "median_bytes": statistics.median(sizes) if sizes else 0,
        "max_bytes": max(sizes) if sizes else 0,
        "times_ms": [round(t, 2) for t in times],
    }
