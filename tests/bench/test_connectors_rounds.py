"""The connectors benchmark times in rounds and takes the median of the rounds' ratios."""

from collections.abc import Callable, Iterator

import pytest

import bench.connectors as connectors


def _medians(values: list[float]) -> Callable[[Callable[[], object]], float]:
    """A stand-in for one block's median time: the given seconds in turn."""
    given: Iterator[float] = iter(values)
    return lambda work: next(given)


def test_a_slow_block_on_one_side_moves_the_ratio_by_a_round_not_by_half(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (project, floor) per round; the third round's project block fell in a slow phase.
    blocks = [1.5, 1.0, 1.6, 1.0, 3.0, 1.0, 1.5, 1.0, 1.4, 1.0]
    monkeypatch.setattr(connectors, "_median_seconds", _medians(blocks))
    monkeypatch.setattr(connectors, "ROUND_BUDGET_S", 1e9)
    timed = connectors.timed_rounds(lambda: None, lambda: None)
    assert timed["rounds"] == connectors.ROUNDS == 5
    assert timed["round_ratios"] == [1.5, 1.6, 3.0, 1.5, 1.4]
    assert timed["ratio"] == 1.5
    assert (timed["project_s"], timed["floor_s"]) == (1.5, 1.0)


def test_a_file_slower_than_the_budget_is_timed_in_one_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connectors, "_median_seconds", _medians([2.0, 4.0, 9.0, 9.0]))
    monkeypatch.setattr(connectors, "ROUND_BUDGET_S", 0.0)
    timed = connectors.timed_rounds(lambda: None, lambda: None)
    assert (timed["rounds"], timed["ratio"], timed["round_ratios"]) == (1, 0.5, [0.5])
