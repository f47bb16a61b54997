"""Enumerations of the canonical model: what a figure counts and how exactly."""

from enum import StrEnum


class Metric(StrEnum):
    """What a figure counts; stocks are as of a date, flows cover a period."""

    IDPS = "idps"
    NEW_DISPLACEMENTS = "new_displacements"
    RETURNS = "returns"
    RETURNEES = "returnees"
    REFUGEES = "refugees"
    POPULATION = "population"


STOCK_METRICS = frozenset({Metric.IDPS, Metric.RETURNEES, Metric.REFUGEES, Metric.POPULATION})
FLOW_METRICS = frozenset({Metric.NEW_DISPLACEMENTS, Metric.RETURNS})


class Qualifier(StrEnum):
    """How exact a published number is ("1,000+" is more_than 1000)."""

    EXACT = "exact"
    MORE_THAN = "more_than"
    LESS_THAN = "less_than"
    APPROXIMATELY = "approximately"


class Cause(StrEnum):
    """Why people were displaced."""

    CONFLICT = "conflict"
    DISASTER = "disaster"
    # DTM's "Insecurity", a reason of its own beside "Conflict": never folded into it.
    INSECURITY = "insecurity"
    OTHER = "other"
    # The publisher says it has no reason for these people ("No reason for displacement
    # reported"): a part of a figure split by reason, not a figure without a cause.
    NOT_REPORTED = "not_reported"


class Role(StrEnum):
    """Whether a figure counts in totals or is kept for comparison only."""

    RECOMMENDED = "recommended"
    TRIANGULATION = "triangulation"


class Unit(StrEnum):
    """What is counted, as published; never converted silently."""

    PEOPLE = "people"
    HOUSEHOLDS = "households"


class Sex(StrEnum):
    """Sex disaggregation; null means everyone."""

    FEMALE = "f"
    MALE = "m"


class AgeGroup(StrEnum):
    """Age disaggregation; null means all ages."""

    CHILDREN = "children"
    ADULTS = "adults"
    ELDERLY = "elderly"


class PlaceKind(StrEnum):
    """An OCHA COD administrative unit, or a response area that no admin unit matches."""

    ADMIN = "admin"
    AREA = "area"


class RunStatus(StrEnum):
    """Outcome of one ETL run of one source."""

    RUNNING = "running"
    LOADED = "loaded"
    FAILED = "failed"


def values(enum: type[StrEnum]) -> list[str]:
    """The string values of an enumeration, in declaration order."""
    return [member.value for member in enum]
