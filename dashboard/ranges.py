"""Date-range cuts of a place's figures: the one home of these rules.

A place's figures are fetched once (per data version) whatever the dates; every range a
coordinator then picks is cut from them here, in memory, instead of asking the store again.
Frames keep the store's order (`reads.figure_select`), so a cut lists its rows as the
store's own query of that range would; the tests hold each cut to such a query
(`tests/oracles.py`).
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from schemas.codes import group_ids
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


@dataclass(frozen=True)
class StockOrder:
    """Per row of a place's figures, whatever the dates: the stock series it belongs to and
    its place when the latest report comes first (`stock_order`)."""

    series: np.ndarray
    rank: np.ndarray


def stock_order(figs: pd.DataFrame) -> StockOrder:
    """The series and the latest-first rank of each figure, worked out once per place so each
    range's `with_earlier_stocks` only picks among them."""
    # Figure ids are unique, so latest first is a plain sort.
    orgs = figs["publisher"].map(organisation)
    series = group_ids(*(orgs if column == "org" else figs[column] for column in _SERIES))
    ascending = np.lexsort((figs["figure_id"].to_numpy(), figs["period_end"].to_numpy()))
    rank = np.empty(len(figs), dtype=np.int64)
    rank[ascending[::-1]] = np.arange(len(figs))
    return StockOrder(series, rank)


def with_earlier_stocks(
    figs: pd.DataFrame,
    date_from: dt.date | None,
    date_to: dt.date | None,
    earlier: int,
    order: StockOrder | None = None,
) -> pd.DataFrame:
    """Figures reaching into the range, and the `earlier` latest reports of each stock series
    that ended before it: what a view needs to say how many are displaced as of the range.

    `order`: the figures' `stock_order`, when the caller keeps it with them; else worked out.
    """
    if date_from is None:
        return reaching(figs, date_from, date_to)
    starts = _starts_by(figs, date_to)
    ends = (figs["period_end"] >= pd.Timestamp(date_from)).to_numpy()
    before = starts & ~ends & ~figs["metric"].isin(_FLOWS).to_numpy()
    if not before.any():
        return figs[starts & ends]
    if order is None:
        order = stock_order(figs)
    # The rows before the range, latest first; each series keeps its first `earlier`.
    rows = np.flatnonzero(before)
    rows = rows[np.argsort(order.rank[rows], kind="stable")]
    codes = order.series[rows]
    seen = pd.Series(codes).groupby(codes, sort=False).cumcount().to_numpy()
    latest = np.zeros(len(figs), dtype=bool)
    latest[rows[seen < earlier]] = True
    return figs[(starts & ends) | latest]
