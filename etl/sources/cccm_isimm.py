"""CCCM Cluster ISIMM: monthly IDP-site monitoring for north-west Syria, one CSV a month.

Sites are summed to people in sites per district and governorate, as of the month's end,
with sex and age from girls/boys/women/men. Place names go through a table of known
spellings; a site without a district, or with a name that matches nothing, is a rejection.
"""

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from etl.errors import SourceFormatError
from etl.figure_ids import figure_id
from etl.frames import to_figure_frame
from etl.sources.base import (
    Connector,
    Credentials,
    Fetched,
    MapContext,
    MappedFigures,
    SourceConfig,
)
from etl.transport import HttpClient
from schemas.enums import AgeGroup, Cause, Metric, Qualifier, Role, Sex, Unit
from schemas.pcodes import admin_level_of
from schemas.raw.cccm_isimm import COUNT_COLUMNS, IsimmSiteModel
from schemas.runs import Rejection

NAME = "cccm-isimm"
DEFAULT_BASE = "https://raw.githubusercontent.com/unhcr-xborder-turkey/ISIMM/gh-pages/data/"
PUBLISHER = "CCCM Cluster (Syria cross-border), IDP Sites Integrated Monitoring Matrix (ISIMM)"
SPELLINGS = Path(__file__).with_name("cccm_isimm_names.csv")
_FILE_MONTH = re.compile(r"ISIMM_(\d{4})_?([A-Za-z]{3})[A-Za-z]*", re.I)
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_GROUPS = {
    "girls": (Sex.FEMALE, AgeGroup.CHILDREN),
    "boys": (Sex.MALE, AgeGroup.CHILDREN),
    "women": (Sex.FEMALE, AgeGroup.ADULTS),
    "men": (Sex.MALE, AgeGroup.ADULTS),
    "individual": (None, None),
}


def month_end(name: str) -> dt.date:
    """The last day of the month a file is for, from its name (ISIMM_2020Jan.csv)."""
    match = _FILE_MONTH.search(name)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if not match or month is None:
        raise SourceFormatError(f"{NAME}: {name}: no month in the file name (ISIMM_<year><month>)")
    year = int(match.group(1))
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower()) if isinstance(text, str) else ""


def spellings(path: Path = SPELLINGS) -> dict[tuple[str, str], str]:
    """Known spellings: (governorate, district) as normalised text -> P-code."""
    with path.open(encoding="utf-8") as handle:
        return {
            (_key(r["governorate"]), _key(r["district"])): r["pcode"]
            for r in csv.DictReader(handle)
        }


def fetch(client: HttpClient, cfg: SourceConfig, _credentials: Credentials) -> Iterator[Fetched]:
    """The configured monthly files from the upstream repository."""
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/") + "/"
    for name in cfg.options.get("files", []):
        if cfg.since and month_end(str(name)) < cfg.since:
            continue
        response = client.get(NAME, base + str(name))
        yield Fetched(str(name), response.content, response.url, dt.datetime.now(dt.UTC))


def _decode(body: bytes, name: str) -> str:
    if body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{NAME}: {name}: HTML where a CSV was expected")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older months carry Arabic site names in Windows-1256.
        return body.decode("cp1256", errors="replace")


def read(fetched: Fetched) -> pd.DataFrame:
    """The site rows of one monthly file, checked against what the upstream publishes."""
    month_end(fetched.name)
    text = _decode(fetched.body, fetched.name)
    frame = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False, na_values=[""])
    missing = [c for c in IsimmSiteModel.to_schema().columns if c not in frame.columns]
    if missing:
        raise SourceFormatError(f"{NAME}: {fetched.name}: field(s) {', '.join(missing)} missing")
    if frame.empty:
        raise SourceFormatError(f"{NAME}: {fetched.name}: no site rows")
    try:
        IsimmSiteModel.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        raise SourceFormatError(
            f"{NAME}: {fetched.name}: field {first['column']}: {first['check']}"
        ) from exc
    frame.index = range(2, len(frame) + 2)  # the file's line numbers, header on line 1
    frame.attrs["month_end"] = month_end(fetched.name)
    return frame


def _place(row: pd.Series, known: dict[tuple[str, str], str]) -> tuple[str | None, str | None, str]:
    """(governorate P-code, district P-code, problem) for one site row."""
    gov, dist = _key(row["governorate"]), _key(row["district"])
    if not dist:
        return None, None, "no district"
    governorate = known.get((gov, ""))
    district = known.get((gov, dist))
    if governorate is None:
        return None, None, f"governorate {row['governorate']!r} matches no known spelling"
    if district is None:
        return None, None, f"district {row['district']!r} matches no known spelling"
    return governorate, district, ""


def to_figures(raw: pd.DataFrame, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """People in sites per district and governorate as of the month's end."""
    known = spellings()
    as_of = pd.Timestamp(raw.attrs.get("month_end") or month_end(ctx.dataset))
    rejections: list[Rejection] = []
    accepted: list[tuple[str, str, str, dict[str, int | None]]] = []
    for number, row in raw.iterrows():
        record = {
            k: (None if pd.isna(v) else v) for k, v in row.items() if isinstance(k, str) and k
        }
        governorate, district, problem = _place(row, known)
        if problem:
            column = "district" if "district" in problem else "governorate"
            rejections.append(Rejection(int(number), column, "place_match", problem, None, record))
            continue
        counts: dict[str, int | None] = {}
        for col in COUNT_COLUMNS:
            cell = row[col]
            if pd.isna(cell) or not str(cell).strip():
                counts[col] = None
            elif str(cell).strip().isdigit():
                counts[col] = int(str(cell).strip())
            else:
                counts[col] = -1
        bad = [c for c, v in counts.items() if v == -1]
        if bad or counts["individual"] is None:
            reason = f"not a whole number in {', '.join(bad)}" if bad else "no count of people"
            rejections.append(
                Rejection(
                    int(number),
                    bad[0] if bad else "individual",
                    "number_format",
                    reason,
                    None,
                    record,
                )
            )
            continue
        accepted.append((governorate, district, str(row["PCODE"] or ""), counts))  # type: ignore[arg-type]
    records: list[dict[str, object]] = []
    rows: list[int] = []
    for level in (0, 1):  # 0: governorate, 1: district
        groups: dict[str, list[tuple[str, dict[str, int | None]]]] = {}
        for gov, dist, site, counts in accepted:
            groups.setdefault(dist if level else gov, []).append((site, counts))
        for pcode, sites in sorted(groups.items()):
            records += _group_figures(pcode, sites, as_of, ctx)
            rows += [0] * (len(records) - len(rows))
    return MappedFigures(to_figure_frame(records), rows, rejections, [], len(raw))


def _group_figures(
    pcode: str, sites: list[tuple[str, dict[str, int | None]]], as_of: pd.Timestamp, ctx: MapContext
) -> list[dict[str, object]]:
    codes = sorted(s for s, _ in sites if s)
    out = []
    for column, (sex, age) in _GROUPS.items():
        values = [c[column] for _, c in sites]
        if any(v is None for v in values):
            continue  # a partial sum would undercount: leave this disaggregation out
        record: dict[str, object] = {
            "source": ctx.source,
            "dataset": ctx.dataset,
            "source_record_id": ";".join(codes),
            "publisher": PUBLISHER,
            "metric": Metric.IDPS.value,
            "pcode": pcode,
            "admin_level": admin_level_of(pcode),
            "origin_pcode": None,
            "period_start": as_of,
            "period_end": as_of,
            "value": sum(v for v in values if v is not None),
            "qualifier": Qualifier.EXACT.value,
            "cause": Cause.CONFLICT.value,
            "sex": sex.value if sex else None,
            "age_group": age.value if age else None,
            "unit": Unit.PEOPLE.value,
            "role": Role.RECOMMENDED.value,
            "excerpt": f"{column} in {len(sites)} IDP sites, {as_of:%B %Y}",
            "source_url": ctx.source_url or DEFAULT_BASE + ctx.dataset,
            "retrieved_at": ctx.retrieved_at,
            "run_id": ctx.run_id,
        }
        record["figure_id"] = figure_id(record)
        out.append(record)
    return out


CONNECTOR = Connector(
    name=NAME,
    title="CCCM Cluster ISIMM: people in IDP sites in north-west Syria, monthly",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    dataset_of=lambda fetched: fetched.name,
)
