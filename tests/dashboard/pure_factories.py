"""Factories for the tests of the dashboard's pure functions: canonical figures, places, events.

Plain functions (tests/dashboard/conftest.py belongs to other tests): `make_figures(*dicts)`
fills every canonical column and adds the place names that etl.store.reads.figures joins in.
"""

import datetime as dt
from typing import Any

import pandas as pd

from dashboard.data import Reference
from etl.figure_ids import figure_id
from etl.frames import to_figure_frame

RETRIEVED_AT = dt.datetime(2020, 2, 1, 12, 0, tzinfo=dt.UTC)

# A small gazetteer, as etl.store.reads.places returns it.
PLACE_ROWS = [
    ("SY", "admin", "Syria", "سوريا", 0, None),
    ("SY02", "admin", "Aleppo", "حلب", 1, "SY"),
    ("SY07", "admin", "Idleb", "إدلب", 1, "SY"),
    ("SY0700", "admin", "Idleb", "إدلب", 2, "SY07"),
    ("SY0702", "admin", "Al Ma'ra", "المعرة", 2, "SY07"),
    ("SY070003", "admin", "Saraqab", "سراقب", 3, "SY0700"),
    ("SY070200", "admin", "Ma'arrat An Nu'man", "معرة النعمان", 3, "SY0702"),
    ("SY-NW", "area", "North-west Syria", "شمال غرب سوريا", None, None),
    ("SY-NW-OPP", "area", "Opposition-held north-west Syria", None, None, None),
]
MEMBER_ROWS = [("SY-NW", "SY07"), ("SY-NW", "SY02"), ("SY-NW-OPP", "SY07")]
NAMES = {row[0]: (row[2], row[3]) for row in PLACE_ROWS}

DATE_FROM = dt.date(2019, 12, 1)
DATE_TO = dt.date(2020, 3, 31)


def _admin_level(pcode: str) -> int | None:
    if not pcode[2:].isdigit():
        return None
    return {2: 0, 4: 1, 6: 2, 8: 3}.get(len(pcode))


def figure(**fields: Any) -> dict[str, object]:
    """One canonical figure record: an exact idps stock in Idleb unless `fields` say otherwise."""
    record: dict[str, object] = {
        "source": "hxl",
        "dataset": "t.csv",
        "source_record_id": None,
        "publisher": "OCHA",
        "metric": "idps",
        "pcode": "SY07",
        "origin_pcode": None,
        "period_end": "2020-01-28",
        "value": 1000,
        "qualifier": "exact",
        "cause": None,
        "sex": None,
        "age_group": None,
        "unit": "people",
        "role": "recommended",
        "excerpt": None,
        "source_url": "https://example.org/report",
        "retrieved_at": RETRIEVED_AT,
        "run_id": "run-1",
    }
    record.update(fields)
    record.setdefault("period_start", record["period_end"])
    record.setdefault("admin_level", _admin_level(str(record["pcode"])))
    for col in ("period_start", "period_end"):
        record[col] = pd.Timestamp(record[col])  # type: ignore[arg-type]
    record.setdefault("figure_id", figure_id(record))
    return record


def make_figures(*records: dict[str, Any]) -> pd.DataFrame:
    """Canonical figures with place names, as etl.store.reads.figures returns them.

    Each dict gives only what differs from the defaults of `figure`; a stock needs only
    `period_end` (its `period_start` is the same date).
    """
    frame = to_figure_frame([figure(**r) for r in records])
    return frame.assign(
        place_name=frame["pcode"].map(lambda p: NAMES.get(p, (None, None))[0]),
        place_name_ar=frame["pcode"].map(lambda p: NAMES.get(p, (None, None))[1]),
        origin_name=frame["origin_pcode"].map(lambda p: NAMES.get(p, (None, None))[0]),
    )


def make_places() -> pd.DataFrame:
    """The small gazetteer, as etl.store.reads.places returns it."""
    frame = pd.DataFrame(
        PLACE_ROWS, columns=["pcode", "kind", "name", "name_ar", "admin_level", "parent_pcode"]
    )
    frame["admin_level"] = frame["admin_level"].astype("Int64")
    return frame.assign(lat=None, lon=None)


def make_members() -> pd.DataFrame:
    """The members of the response areas, as etl.store.reads.place_members returns them."""
    return pd.DataFrame(MEMBER_ROWS, columns=["area_pcode", "member_pcode"])


def make_events(*rows: dict[str, Any]) -> pd.DataFrame:
    """Events (date, pcode, title, source_url), dates as datetime64."""
    frame = pd.DataFrame(list(rows), columns=["date", "pcode", "title", "source_url"])
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[us]")
    return frame


def make_reference() -> Reference:
    """The gazetteer as the page needs it, for the bundled date range."""
    return Reference(make_places(), make_members(), DATE_FROM, DATE_TO)
