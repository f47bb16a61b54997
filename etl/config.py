"""The sources config file: which sources a refresh pulls, and for which countries."""

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from etl.errors import InputError
from etl.sources import REGISTRY
from etl.sources.base import SourceConfig

DEFAULT_CONFIG = Path(__file__).with_name("sources.toml")


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"{where}: since = {value!r} is not an ISO date") from exc


def load_sources(path: Path | None, data_dir: Path) -> dict[str, SourceConfig]:
    """Every known source with its section of the config (disabled when it has none)."""
    target = path or DEFAULT_CONFIG
    try:
        doc = tomllib.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{target}: no such sources config file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{target}: not valid TOML ({exc})") from exc
    defaults = doc.pop("defaults", {})
    unknown = sorted(set(doc) - set(REGISTRY))
    if unknown:
        raise InputError(f"{target}: unknown source section(s) {', '.join(unknown)}")
    configs = {}
    for name in REGISTRY:
        section = dict(doc.get(name, {}))
        countries = section.pop("countries", defaults.get("countries", []))
        configs[name] = SourceConfig(
            name=name,
            enabled=bool(section.pop("enabled", False)),
            countries=tuple(str(c).upper() for c in countries),
            since=_date(section.pop("since", defaults.get("since")), f"{target} [{name}]"),
            options={"base_dir": str(data_dir), **section},
        )
    return configs
