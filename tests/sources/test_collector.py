"""A connector reads and maps with the cycle collector paused, and it runs again afterwards,
whatever happens."""

import datetime as dt
import gc
from collections.abc import Iterator

import pandas as pd
import pytest

from etl.errors import SourceFormatError
from etl.sources import hdx_hapi
from etl.sources.base import Connector, Fetched, MapContext, MappedFigures, Records
from etl.sources.collector import collector_paused

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def collector_running() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_running")
def test_the_collector_is_paused_inside_and_runs_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_running")
def test_a_failed_parse_resumes_the_collector() -> None:
    broken = Fetched("idps.csv", b"\xef\xbb\xbfa,b\r\n1,2,3\r\n", None, NOW)
    with pytest.raises(SourceFormatError, match="line 2 has 3 cells"):
        hdx_hapi.CONNECTOR.read(broken)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_running")
def test_a_connector_reads_and_maps_with_the_collector_paused() -> None:
    seen: list[bool] = []

    def read(fetched: Fetched) -> Records:
        seen.append(gc.isenabled())
        return Records(pd.DataFrame(), "d", fetched.name)

    def to_figures(served: Records, ctx: MapContext, places: pd.DataFrame) -> MappedFigures:
        seen.append(gc.isenabled())
        return MappedFigures(pd.DataFrame(), [], [])

    connector = Connector("x", "X", fetch=lambda *_: iter(()), read=read, to_figures=to_figures)
    served = connector.read(Fetched("page", b"", None, NOW))
    connector.to_figures(served, MapContext("x", "d", "run", NOW), pd.DataFrame())
    assert seen == [False, False]
    assert gc.isenabled()
