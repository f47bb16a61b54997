"""HDX HAPI v2 records as the API serves them (the `data` list of each JSON page).

Cells keep their JSON types (the frames are built with dtype object), so a number sent as
text, or a date that is not ISO, is drift rather than something coerced quietly.
Fields from OCHA-DAP/hdx-hapi (endpoints/models, hapi_schema enums) and the HAPI docs.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandas.api.types import infer_dtype
from pandera.typing import Series

from schemas.codes import factorized

GENDERS = ["f", "m", "x", "u", "o", "all"]
POPULATION_GROUPS = [
    "REF", "ROC", "ASY", "OIP", "IDP", "IOC", "STA", "OOC", "HST", "RET", "RST", "NAT", "RDP",
    "RRI", "all",
]  # fmt: skip
ASSESSMENT_TYPES = ["BA", "SA", "ETT"]


def is_text(value: object) -> bool:
    """True for a JSON string (None passes: nullability is the field's own check)."""
    return value is None or isinstance(value, str)


def is_whole(value: object) -> bool:
    """True for a JSON integer (not a bool, not text)."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def is_iso_datetime(value: object) -> bool:
    """True for an ISO 8601 date or naive date-time string."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_iso3_letters(value: object) -> bool:
    """True for three letters, as an ISO 3166 alpha-3 code is written."""
    return isinstance(value, str) and len(value) == 3 and value.isalpha()


def failures(exc: pa.errors.SchemaErrors, most: int = 4) -> str:
    """The fields at fault in a lazy validation, and what is wrong with each, in one line."""
    problems: dict[str, str] = {}
    for case in exc.failure_cases.itertuples(index=False):
        check = str(case.check)
        if check == "column_in_dataframe":
            problems.setdefault(str(case.failure_case), "missing (renamed or dropped?)")
        elif check == "not_nullable":
            problems.setdefault(str(case.column), "is null where a value is required")
        else:
            got = case.failure_case
            problems.setdefault(str(case.column), f"wrong type or value ({check}, got {got!r})")
    return "; ".join(f"field '{c}' {p}" for c, p in list(problems.items())[:most])


Test = Callable[[object], bool]
# Cell types whose equal values are interchangeable for every test here; a column of several
# types is tested cell by cell, as 1, 1.0 and True are equal yet not the same JSON value.
_HASHABLE = frozenset({str, int, float, bool})


def cells_check(*fields: str, name: str) -> Callable[..., Any]:
    """A check of each cell of `fields` through `per_type` or `per_value`, which pass a null
    cell (None, NaN) themselves: nullability is the field's own check. Pandera is told so,
    and need not look for nulls in each column, then again in each result, before and after
    every check (two passes over every cell, most of the time a check takes)."""

    def named(method: Any) -> Any:
        # pandera takes `name` out of the check's settings when it first builds a schema
        # with it, and a subclass's schema built after names the check by its function:
        # the function carries the name too, so the one-line errors read alike either way.
        function = method.__func__ if isinstance(method, classmethod) else method
        function.__name__ = name
        return pa.check(*fields, name=name, ignore_na=False)(method)

    return named


def is_null(value: object) -> bool:
    """None or NaN: a cell that says nothing."""
    return value is None or (isinstance(value, float) and value != value)


def per_type(series: pd.Series, test: Test) -> pd.Series:
    """`test` of every cell, for a test that looks at nothing but a cell's type: it runs
    once per type the column holds. A null cell passes."""
    if infer_dtype(series, skipna=True) == "string" and test(_first_text(series)):
        # Every cell text or missing (as pandas reads missing: for parsed JSON or CSV
        # cells, None and NaN alone), told in C without a look at each cell's type.
        return pd.Series(True, index=series.index, dtype=bool)
    values = series.tolist()
    verdicts = {kind: _passes(kind, values, test) for kind in set(map(type, values))}
    if all(verdicts.values()):
        return pd.Series(True, index=series.index, dtype=bool)
    cells = (is_null(value) or verdicts[type(value)] for value in values)
    return pd.Series(np.fromiter(cells, dtype=bool, count=len(values)), index=series.index)


def _first_text(series: pd.Series) -> str:
    return next(value for value in series.to_numpy(dtype=object) if isinstance(value, str))


def _passes(kind: type, values: list[object], test: Test) -> bool:
    """`test` of the first cell of type `kind` that is not null (none: it passes)."""
    if kind is type(None):
        return True
    sample = next((v for v in values if type(v) is kind and not is_null(v)), None)
    return sample is None or bool(test(sample))


def per_value(series: pd.Series, test: Test) -> pd.Series:
    """`test` of every cell, run once per distinct value where every cell is of one plain
    type (text, whole number, number or boolean), else once per cell. A null cell passes."""

    def passes(value: object) -> bool:
        return is_null(value) or bool(test(value))

    values = series.to_numpy(dtype=object)
    kinds = set(map(type, values))
    if len(kinds) != 1 or not kinds <= _HASHABLE:
        return series.map(passes).astype(bool)
    codes, distinct = _distinct(values, kinds.pop())
    verdicts = np.fromiter(map(passes, distinct), dtype=bool, count=len(distinct))
    return pd.Series(verdicts[codes], index=series.index)


def _distinct(values: np.ndarray, kind: type) -> tuple[np.ndarray, list[object]]:
    """Each cell's number and the distinct values, of cells all of one type: whole numbers
    that fit 64 bits numbered as such (a pass over integers, not over objects), given back
    as the Python ints they were."""
    if kind is int:
        try:
            codes, distinct = pd.factorize(values.astype(np.int64))
            return codes, distinct.tolist()
        except OverflowError:
            pass
    return factorized(values)


class _Located(pa.DataFrameModel):
    """The location and admin block shared by the admin-level endpoints."""

    location_code: Series[object] = pa.Field(description="ISO 3166 alpha-3 country code.")
    location_name: Series[object] | None = pa.Field(
        nullable=True,
        description="Country name (UN M49 short name); the CSV tables HDX publishes have none.",
    )
    admin1_code: Series[object] = pa.Field(
        nullable=True, description="Admin 1 P-code; null when unspecified or not applicable."
    )
    admin1_name: Series[object] = pa.Field(nullable=True, description="Admin 1 name (COD).")
    admin2_code: Series[object] = pa.Field(
        nullable=True, description="Admin 2 P-code; null when unspecified or not applicable."
    )
    admin2_name: Series[object] = pa.Field(nullable=True, description="Admin 2 name (COD).")
    # Required: without it a record whose admin 2 is unspecified (code null) cannot be told
    # from an admin 1 figure.
    admin_level: Series[object] = pa.Field(
        isin=[0, 1, 2], description="Admin level the record is for (0 country, 1, 2)."
    )
    resource_hdx_id: Series[object] = pa.Field(description="The HDX resource it came from.")
    population: Series[object] = pa.Field(description="The number of people.")
    reference_period_start: Series[object] = pa.Field(
        nullable=True, description="First day the number applies to (ISO date-time)."
    )
    reference_period_end: Series[object] = pa.Field(
        nullable=True, description="Last day the number applies to; null when open."
    )
    warning: Series[object] | None = pa.Field(
        nullable=True,
        description="What HAPI changed or doubts, e.g. 'PCode length TD07->TCD07' (CSV tables).",
    )
    error: Series[object] | None = pa.Field(
        nullable=True, description="Why HAPI holds the record to be wrong (CSV tables)."
    )

    class Config:
        strict = False  # refs, provider names and has_hrp/in_gho come and go between versions

    @cells_check("location_code", name="iso3_code")
    @classmethod
    def _iso3(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_iso3_letters)

    @cells_check(
        "location_name",
        "admin1_code",
        "admin1_name",
        "admin2_code",
        "admin2_name",
        "resource_hdx_id",
        "warning",
        "error",
        name="text",
    )
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)

    @cells_check("population", "admin_level", name="whole_number")
    @classmethod
    def _whole(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_whole)

    @cells_check("reference_period_start", "reference_period_end", name="iso_datetime")
    @classmethod
    def _dates(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_iso_datetime)


class HapiIdpsModel(_Located):
    """One IDP count (IOM DTM via HAPI) for an admin unit, operation, round and assessment."""

    operation: Series[object] = pa.Field(description="DTM operation the data was collected for.")
    reporting_round: Series[object] = pa.Field(description="DTM data collection round number.")
    assessment_type: Series[object] = pa.Field(
        isin=ASSESSMENT_TYPES, description="BA baseline, SA site assessment (ETT event tracking)."
    )
    reference_period_start: Series[object] = pa.Field(
        description="First day the number applies to (ISO date-time)."
    )

    @cells_check("operation", name="text")
    @classmethod
    def _operation(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)

    @cells_check("reporting_round", name="whole_number")
    @classmethod
    def _round(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_whole)


class HapiPopulationModel(_Located):
    """One baseline population number (COD-PS via HAPI), by gender and age range."""

    gender: Series[object] = pa.Field(
        nullable=True, isin=GENDERS, description="f, m, x, u, o, or all (no disaggregation)."
    )
    age_range: Series[object] = pa.Field(
        nullable=True, description="Age band such as 0-4 or 80+, or all (no disaggregation)."
    )

    @cells_check("age_range", name="text")
    @classmethod
    def _age(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)


class HapiRefugeesModel(pa.DataFrameModel):
    """One UNHCR figure (via HAPI) by origin, asylum, population group, gender and age."""

    resource_hdx_id: Series[object] = pa.Field(description="The HDX resource it came from.")
    origin_location_code: Series[object] = pa.Field(description="Origin country, ISO3.")
    origin_location_name: Series[object] = pa.Field(description="Origin country name.")
    asylum_location_code: Series[object] = pa.Field(description="Asylum country, ISO3.")
    asylum_location_name: Series[object] = pa.Field(description="Asylum country name.")
    population_group: Series[object] = pa.Field(
        isin=POPULATION_GROUPS, description="UNHCR group: REF refugees, ASY asylum-seekers, ..."
    )
    gender: Series[object] = pa.Field(isin=GENDERS, description="f, m, x, u, o, or all.")
    age_range: Series[object] = pa.Field(description="Age band such as 0-4 or 60+, or all.")
    population: Series[object] = pa.Field(description="The number of people.")
    reference_period_start: Series[object] = pa.Field(
        description="First day of the statistics year (ISO date-time)."
    )
    reference_period_end: Series[object] = pa.Field(
        nullable=True, description="Last day of the statistics year; null when open."
    )

    class Config:
        strict = False  # origin/asylum refs and min/max age are not used

    @cells_check("origin_location_code", "asylum_location_code", name="iso3_code")
    @classmethod
    def _iso3(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_iso3_letters)

    @cells_check(
        "resource_hdx_id", "origin_location_name", "asylum_location_name", "age_range", name="text"
    )
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)

    @cells_check("population", name="whole_number")
    @classmethod
    def _whole(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_whole)

    @cells_check("reference_period_start", "reference_period_end", name="iso_datetime")
    @classmethod
    def _dates(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_iso_datetime)


class HapiAdmin1Model(pa.DataFrameModel):
    """One admin 1 unit of the HAPI gazetteer (metadata/admin1)."""

    code: Series[object] = pa.Field(description="Admin 1 P-code.")
    name: Series[object] = pa.Field(description="Admin 1 name (COD).")
    location_code: Series[object] = pa.Field(description="Its country, ISO3.")
    location_name: Series[object] = pa.Field(description="Its country's name.")

    class Config:
        strict = False  # ids, refs and validity dates are not used

    @cells_check("code", "name", "location_code", "location_name", name="text")
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)


class HapiAdmin2Model(HapiAdmin1Model):
    """One admin 2 unit of the HAPI gazetteer (metadata/admin2), with its admin 1."""

    admin1_code: Series[object] = pa.Field(description="P-code of its admin 1 unit.")
    admin1_name: Series[object] = pa.Field(description="Name of its admin 1 unit.")

    @cells_check("admin1_code", "admin1_name", name="text")
    @classmethod
    def _parent(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)
