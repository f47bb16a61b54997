"""Refreshes on a cron expression per source, in the foreground, one run at a time."""

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from croniter import croniter

from etl.errors import EtlError, RunLockedError
from etl.sources.base import SourceConfig

log = logging.getLogger("etl.schedule")


@dataclass(frozen=True)
class Job:
    """A source and when it runs."""

    source: str
    cron: str


def jobs(configs: Mapping[str, SourceConfig]) -> list[Job]:
    """The enabled sources with a `schedule` cron expression in their config."""
    found = []
    for name, cfg in configs.items():
        cron = cfg.options.get("schedule")
        if cfg.enabled and cron:
            if not croniter.is_valid(str(cron)):
                raise EtlError(f"[{name}] schedule = {cron!r} is not a cron expression")
            found.append(Job(name, str(cron)))
    return found


def next_runs(schedule: list[Job], after: dt.datetime) -> dict[str, dt.datetime]:
    """When each job runs next, strictly after `after`."""
    return {job.source: croniter(job.cron, after).get_next(dt.datetime) for job in schedule}


def run_forever(
    schedule: list[Job],
    refresh: Callable[[str], bool],
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> None:
    """Run each job at its times; a run that finds the lock held is skipped and says so.

    `rounds` bounds the loop (for tests); None runs until interrupted.
    """
    if not schedule:
        raise EtlError('no enabled source has a schedule (add schedule = "0 */6 * * *")')
    due = next_runs(schedule, now())
    done = 0
    while rounds is None or done < rounds:
        source, when = min(due.items(), key=lambda item: item[1])
        wait = (when - now()).total_seconds()
        if wait > 0:
            sleep(wait)
        try:
            ok = refresh(source)
            log.info("%s: %s", source, "loaded" if ok else "failed")
        except RunLockedError as exc:
            log.warning("%s: skipped: %s", source, exc)
        due[source] = croniter(
            next(j.cron for j in schedule if j.source == source), max(when, now())
        ).get_next(dt.datetime)
        done += 1
