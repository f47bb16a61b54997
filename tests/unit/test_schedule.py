"""Scheduled refreshes: cron times, one run at a time, a held lock skipped and said."""

import datetime as dt

import pytest

from etl.errors import EtlError, RunLockedError
from etl.schedule import Job, jobs, next_runs, run_forever
from etl.sources.base import SourceConfig

T0 = dt.datetime(2020, 1, 28, 5, 30, tzinfo=dt.UTC)


class Clock:
    """A clock that moves only when the scheduler sleeps."""

    def __init__(self) -> None:
        self.now = T0
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


def test_only_enabled_sources_with_a_schedule_are_jobs() -> None:
    configs = {
        "hxl": SourceConfig("hxl", enabled=True, options={"schedule": "0 6 * * *"}),
        "idmc": SourceConfig("idmc", enabled=False, options={"schedule": "0 * * * *"}),
        "unhcr": SourceConfig("unhcr", enabled=True, options={}),
    }
    assert jobs(configs) == [Job("hxl", "0 6 * * *")]


def test_a_bad_cron_expression_is_refused_naming_the_source() -> None:
    configs = {"hxl": SourceConfig("hxl", enabled=True, options={"schedule": "every day"})}
    with pytest.raises(EtlError, match=r"\[hxl\] schedule = 'every day'"):
        jobs(configs)


def test_next_runs_follow_each_cron() -> None:
    due = next_runs([Job("a", "0 6 * * *"), Job("b", "*/15 * * * *")], T0)
    assert due == {
        "a": dt.datetime(2020, 1, 28, 6, 0, tzinfo=dt.UTC),
        "b": dt.datetime(2020, 1, 28, 5, 45, tzinfo=dt.UTC),
    }


def test_jobs_run_in_time_order_and_a_held_lock_is_skipped(caplog) -> None:
    clock = Clock()
    ran: list[tuple[str, dt.datetime]] = []

    def refresh(source: str) -> bool:
        ran.append((source, clock.now))
        if len(ran) == 2:
            raise RunLockedError("another ETL run holds the lock (pid 42)")
        return True

    plan = [Job("a", "0 6 * * *"), Job("b", "*/15 * * * *")]
    with caplog.at_level("INFO", logger="etl.schedule"):
        run_forever(plan, refresh, now=clock, sleep=clock.sleep, rounds=4)
    assert [(s, t.strftime("%H:%M")) for s, t in ran] == [
        ("b", "05:45"),
        ("a", "06:00"),
        ("b", "06:00"),
        ("b", "06:15"),
    ]
    assert "a: skipped: another ETL run holds the lock" in caplog.text


def test_nothing_to_schedule_is_an_error() -> None:
    with pytest.raises(EtlError, match="no enabled source has a schedule"):
        run_forever([], lambda _s: True, rounds=1)
