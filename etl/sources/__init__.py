"""Source connectors: one module per upstream, each a fetch step and a pure mapping."""

from etl.sources import cccm_isimm, dtm, hdx_hapi, hxl, idmc, unhcr
from etl.sources.base import Connector

REGISTRY: dict[str, Connector] = {
    c.name: c
    for c in (
        hxl.CONNECTOR,
        cccm_isimm.CONNECTOR,
        hdx_hapi.CONNECTOR,
        dtm.CONNECTOR,
        unhcr.CONNECTOR,
        idmc.CONNECTOR,
    )
}


def connector(name: str) -> Connector:
    """The connector called `name`; KeyError names the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r} (known: {', '.join(sorted(REGISTRY))})") from None
