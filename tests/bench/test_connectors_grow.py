"""The connectors benchmark grows real files in their own format, readable as published."""

import datetime as dt

import pytest

from bench.connectors import REAL_FILES, floor, grow
from etl.sources import REGISTRY
from etl.sources.base import Fetched
from tests.factories import SHARED_DATA, shared_file

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("source", "relative"), REAL_FILES, ids=[r for _, r in REAL_FILES])
def test_a_grown_real_file_reads_as_its_connector_reads_the_original(
    source: str, relative: str
) -> None:
    path = shared_file(SHARED_DATA / relative)
    original = REGISTRY[source].read(Fetched(path.name, path.read_bytes(), None, NOW))
    body, count = grow(path.read_bytes(), path.name, 3 * len(original.frame))
    grown = REGISTRY[source].read(Fetched(path.name, body, None, NOW))
    assert count == 3 * len(original.frame) == len(grown.frame)
    assert list(grown.frame.columns) == list(original.frame.columns)
    assert floor(body, path.name) >= count


def test_a_csv_keeps_its_bytes_its_line_ends_and_one_hashtag_row() -> None:
    hapi = shared_file(SHARED_DATA / "real" / "hapi" / "hapi_idps_TCD_slice.csv").read_bytes()
    body, _count = grow(hapi, "hapi_idps_TCD_slice.csv", 1000)
    assert body.startswith(hapi.split(b"\r\n", 1)[0] + b"\r\n")  # the BOM and the header
    assert body.count(b"\r\n") == body.count(b"\n")
    gidd = shared_file(SHARED_DATA / "real" / "hxl" / "idmc_gidd_hdx_displacement_data.csv")
    body, _count = grow(gidd.read_bytes(), gidd.name, 5000)
    assert body.count(b"#country+code") == 1
