"""UNHCR Refugee Statistics API: refugees by origin and asylum, IDPs and returned IDPs, by year.

`population/` gives UNHCR's own year-end stocks; `idmc/` republishes IDMC's IDP stocks, kept
as triangulation beside UNHCR's. Country level only: figures sit on admin 0 P-codes. Counts
come as numbers or strings, and "-" means not applicable (not an error).
"""

import datetime as dt
import json
from collections.abc import Iterator

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
from schemas.countries import ISO3_TO_PCODE
from schemas.enums import Cause, Metric, Qualifier, Role, Unit
from schemas.places import PLACE_COLUMNS
from schemas.raw.unhcr import COUNTS, UnhcrItemModel
from schemas.runs import Rejection

NAME = "unhcr"
DEFAULT_BASE = "https://api.unhcr.org/population/v1"
PUBLISHERS = {
    "population": "UNHCR, Refugee Data Finder (population statistics)",
    "idmc": "IDMC via UNHCR Refugee Data Finder",
}
METRICS = {
    "refugees": Metric.REFUGEES,
    "idps": Metric.IDPS,
    "returned_idps": Metric.RETURNEES,
    "total": Metric.IDPS,
}


def fetch(client: HttpClient, cfg: SourceConfig, _credentials: Credentials) -> Iterator[Fetched]:
    """Every page of `population/` and `idmc/` for each configured country of origin."""
    base = str(cfg.options.get("base_url", DEFAULT_BASE)).rstrip("/")
    first = cfg.since.year if cfg.since else int(cfg.options.get("year_from", 2015))
    last = int(cfg.options.get("year_to", dt.date.today().year))
    for country in cfg.countries:
        for endpoint in cfg.options.get("endpoints", ["population", "idmc"]):
            page, pages = 1, 1
            while page <= pages:
                params = {
                    "yearFrom": first,
                    "yearTo": last,
                    "coo": country,
                    "cf_type": "ISO",
                    "limit": int(cfg.options.get("limit", 1000)),
                    "page": page,
                }
                if endpoint == "population":
                    params["coa_all"] = "true"  # refugees per asylum country; IDPs where coa = coo
                response = client.get(NAME, f"{base}/{endpoint}/", params=params)
                fetched = Fetched(
                    f"{endpoint}?coo={country}&page={page}",
                    response.content,
                    response.url,
                    dt.datetime.now(dt.UTC),
                )
                pages = _max_pages(fetched)
                yield fetched
                page += 1


def _envelope(fetched: Fetched) -> dict:
    if fetched.body.lstrip()[:1] == b"<":
        raise SourceFormatError(f"{NAME}: {fetched.name}: HTML where JSON was expected")
    try:
        doc = json.loads(fetched.body)
    except ValueError as exc:
        raise SourceFormatError(f"{NAME}: {fetched.name}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'items' missing from the envelope")
    return doc


def _max_pages(fetched: Fetched) -> int:
    pages = _envelope(fetched).get("maxPages", 1)
    if not isinstance(pages, int) or pages < 1:
        raise SourceFormatError(f"{NAME}: {fetched.name}: field 'maxPages' is not a page count")
    return pages


def dataset_of(fetched: Fetched) -> str:
    """The endpoint: `population` or `idmc`."""
    return fetched.name.split("?", 1)[0].split("/")[-1].removesuffix(".json")


def read(fetched: Fetched) -> pd.DataFrame:
    """The items of one page, checked against what the API promises."""
    items = _envelope(fetched)["items"]
    endpoint = dataset_of(fetched)
    if endpoint not in COUNTS:
        raise SourceFormatError(f"{NAME}: {fetched.name}: unknown endpoint {endpoint!r}")
    frame = pd.DataFrame(items)
    needed = [*UnhcrItemModel.to_schema().columns, *COUNTS[endpoint]]
    missing = [c for c in needed if c not in frame.columns]
    if missing and items:
        raise SourceFormatError(f"{NAME}: {fetched.name}: field(s) {', '.join(missing)} missing")
    if not items:
        return pd.DataFrame(columns=needed)
    for col in ("coo_iso", "coa_iso", "coo_name", "coa_name"):
        frame[col] = frame[col].astype("str")
    try:
        UnhcrItemModel.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        raise SourceFormatError(
            f"{NAME}: {fetched.name}: field {first['column']}: {first['check']}"
        ) from None
    frame.index = range(1, len(frame) + 1)  # the item's place in the page
    return frame


def _count(value: object) -> int | str | None:
    """A count as the API gives it: int, numeric string, or "-" (None); else the bad text."""
    if value is None or value == "-" or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def to_figures(raw: pd.DataFrame, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
    """Year-end stocks on admin 0 P-codes; the countries named become places if missing."""
    endpoint = ctx.dataset
    known = set(places["pcode"]) if "pcode" in places else set()
    records: list[dict[str, object]] = []
    rows: list[int] = []
    rejections: list[Rejection] = []
    countries: dict[str, str] = {}
    for number, item in raw.iterrows():
        origin, asylum = item["coo_iso"], item["coa_iso"]
        where = asylum if asylum in ISO3_TO_PCODE else origin
        if where not in ISO3_TO_PCODE:
            record = {k: str(v) for k, v in item.items()}
            rejections.append(
                Rejection(int(number), "coa_iso", "country_code", "no ISO3 country", where, record)
            )
            continue
        for name, code in ((item["coo_name"], origin), (item["coa_name"], asylum)):
            if code in ISO3_TO_PCODE:
                countries.setdefault(ISO3_TO_PCODE[code], str(name))
        as_of = pd.Timestamp(dt.date(int(item["year"]), 12, 31))
        for column in COUNTS[endpoint]:
            value = _count(item[column])
            if value is None or (value == 0 and column != "refugees"):
                continue
            if isinstance(value, str):
                record = {k: str(v) for k, v in item.items()}
                rejections.append(
                    Rejection(
                        int(number), column, "number_format", "not a whole number", value, record
                    )
                )
                continue
            metric = METRICS[column]
            moved = metric == Metric.REFUGEES and origin != asylum and origin in ISO3_TO_PCODE
            if (metric == Metric.REFUGEES) == (origin == asylum):
                continue  # refugees are abroad; IDPs and returned IDPs in their own country
            pcode = ISO3_TO_PCODE[where]
            figure: dict[str, object] = {
                "source": ctx.source,
                "dataset": endpoint,
                "source_record_id": f"{endpoint}/{item['year']}/{origin}-{asylum}/{column}",
                "publisher": PUBLISHERS[endpoint],
                "metric": metric.value,
                "pcode": pcode,
                "admin_level": 0,
                "origin_pcode": ISO3_TO_PCODE[origin] if moved else None,
                "period_start": as_of,
                "period_end": as_of,
                "value": value,
                "qualifier": Qualifier.EXACT.value,
                "cause": Cause.CONFLICT.value if endpoint == "idmc" else None,
                "sex": None,
                "age_group": None,
                "unit": Unit.PEOPLE.value,
                "role": (Role.TRIANGULATION if endpoint == "idmc" else Role.RECOMMENDED).value,
                "excerpt": f"{column} {item['year']}: {item['coo_name']} -> {item['coa_name']}",
                "source_url": ctx.source_url,
                "retrieved_at": ctx.retrieved_at,
                "run_id": ctx.run_id,
            }
            figure["figure_id"] = figure_id(figure)
            records.append(figure)
            rows.append(int(number))
    new = [
        {"pcode": code, "kind": "admin", "name": name, "name_ar": None, "admin_level": 0,
         "parent_pcode": None, "lat": None, "lon": None}
        for code, name in sorted(countries.items())
        if code not in known
    ]  # fmt: skip
    new_places = pd.DataFrame(new, columns=PLACE_COLUMNS)
    new_places["admin_level"] = new_places["admin_level"].astype("Int64")
    return MappedFigures(to_figure_frame(records), rows, rejections, [], len(raw), new_places)


CONNECTOR = Connector(
    name=NAME,
    title="UNHCR Refugee Statistics API: refugees by origin and asylum, IDPs, returnees, yearly",
    fetch=fetch,
    read=read,
    to_figures=to_figures,
    dataset_of=dataset_of,
)
