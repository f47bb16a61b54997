"""What every connector hands on: typed `Records` from `read`, never facts in `frame.attrs`.

pandas drops a frame's `attrs` in many operations (a concat, a merge, many copies); the facts
a mapping needs (DTM's admin level, HAPI's endpoint, IDMC's countries, ISIMM's month) travel
in `Records`, so a mapping given the same records in a frame without `attrs` gives the same
figures.
"""

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from etl.sources import REGISTRY
from etl.sources.base import Fetched, MapContext, Records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NO_PLACES = pd.DataFrame({"pcode": pd.Series(dtype="str")})
HXL = b"Place,Date,IDPs\n#adm1+code,#date+reported,#affected+idps\nSY02,2024-03-31,1200\n"
NOT_RESPONSES = {"README.md", "error.json"}


def _responses() -> list[tuple[str, Fetched]]:
    out = [("hxl", Fetched("idps.csv", HXL, None, NOW))]
    for source in REGISTRY:
        folder = FIXTURES / source
        if folder.is_dir():
            out += [
                (source, Fetched.from_file(path))
                for path in sorted(folder.iterdir())
                if path.name not in NOT_RESPONSES
            ]
    return out


RESPONSES = _responses()


def test_every_connector_has_a_response_to_read() -> None:
    assert {source for source, _ in RESPONSES} == set(REGISTRY)


@pytest.mark.parametrize(("source", "fetched"), RESPONSES, ids=lambda v: getattr(v, "name", v))
def test_a_mapping_needs_nothing_but_the_records_it_is_given(source: str, fetched: Fetched) -> None:
    connector = REGISTRY[source]
    served = connector.read(fetched)
    assert isinstance(served, Records) and served.dataset and served.name == fetched.name
    assert served.frame.attrs == {}  # nothing rides on the frame
    ctx = MapContext(source, served.dataset, "run-1", NOW, fetched.url)
    mapped = connector.to_figures(served, ctx, NO_PLACES)
    # The same records in a new frame, as a concat or a copy would make: the same figures.
    rebuilt = pd.concat([served.frame.iloc[:0], served.frame])
    again = connector.to_figures(dataclasses.replace(served, frame=rebuilt), ctx, NO_PLACES)
    pd.testing.assert_frame_equal(mapped.figures, again.figures)
    assert mapped.rejections == again.rejections
    assert (
        len(mapped.figures) + len(mapped.rejections) > 0
        or served.frame.empty
        or (
            source == "hdx-hapi" and served.dataset in ("admin1", "admin2")  # places, no figures
        )
    )


def test_isimm_names_the_month_it_publishes_not_the_file() -> None:
    connector = REGISTRY["cccm-isimm"]
    path = FIXTURES / "cccm-isimm" / "ISIMM_2019November1.csv"
    served = connector.read(Fetched.from_file(path))
    assert served.dataset == "ISIMM 2019-11"
    assert served.supersedes == ("ISIMM_2019November1.csv",)
    assert served.as_of == dt.date(2019, 11, 30)
