"""Date-range cuts of a place's figures: the one home of these rules.

A place's figures are fetched once (per data version) whatever the dates; every range a
coordinator then picks is cut from them here, in memory, instead of asking the store again.
Frames keep the store's order (`reads.figure_select`), so a cut lists its rows as the
store's own query of that range would; the tests hold each cut to such a query
(`tests/oracles.py`).
"""

import datetime as dt

import numpy as np
import pandas as pd

from schemas.enums import FLOW_METRICS
from schemas.figures import organisation

_FLOWS = sorted(m.value for m in FLOW_METRICS)
# Stocks reported before a range that a view of the range still needs: the latest (the
# stock as of the range) and the one before it (the change since the previous report).
EARLIER_STOCKS = 2
# A series of stock reports: one place, metric, organisation, role and disaggregation.
_SERIES = ["pcode", "metric", "org", "role", "sex", "age_group", "unit"]


def _starts_by(figs: pd.DataFrame, date_to: dt.date | None) -> np.ndarray:
    if date_to is None:
        return np.ones(len(figs), dtype=bool)
    return (figs["period_start"] <= pd.Timestamp(date_to)).to_numpy()


def reaching(
    figs: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None
) -> pd.DataFrame:
    """Figures whose period reaches into [date_from, date_to]: what a view lists."""
    keep = _starts_by(figs, date_to)
    if date_from is not None:
        keep = keep & (figs["period_end"] >= pd.Timestamp(date_from)).to_numpy()
    return figs[keep]


def inside(figs: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None) -> pd.DataFrame:
    """Figures whose whole period lies within [date_from, date_to]: the flows a view adds."""
    keep = np.ones(len(figs), dtype=bool)
    if date_from is not None:
        keep = keep & (figs["period_start"] >= pd.Timestamp(date_from)).to_numpy()
    if date_to is not None:
        keep = keep & (figs["period_end"] <= pd.Timestamp(date_to)).to_numpy()
    return figs[keep]


def with_earlier_stocks(
    figs: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None, earlier: int
) -> pd.DataFrame:
    """Figures reaching into the range, and the `earlier` latest reports of each stock series
    that ended before it: what a view needs to say how many are displaced as of the range."""
    if date_from is None:
        return reaching(figs, date_from, date_to)
    starts = _starts_by(figs, date_to)
    ends = (figs["period_end"] >= pd.Timestamp(date_from)).to_numpy()
    before = starts & ~ends & ~figs["metric"].isin(_FLOWS).to_numpy()
    if before.any():
        stocks = (
            figs[before]
            .assign(org=lambda rows: rows["publisher"].map(organisation))
            .sort_values(["period_end", "figure_id"], ascending=False, kind="stable")
        )
        ranks = stocks.groupby(_SERIES, dropna=False, sort=False).cumcount()
        latest = figs.index.isin(ranks.index[ranks.to_numpy() < earlier])
        return figs[(starts & ends) | latest]
    return figs[starts & ends]
