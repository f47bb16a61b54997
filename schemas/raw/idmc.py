"""IDMC Helix external API records as served: IDU dump entries and GIDD rows.

Cells keep their JSON types (frames of dtype object). Fields, labels and envelopes from
idmc-labs/helix-server: FigureReadOnlySerializer and get_idu_data (IDU); the GIDD serializers
of its three endpoints (DisplacementDataSerializer for `gidd/displacements/`,
ConflictSerializer for `gidd/conflicts/`, DisasterSerializer for `gidd/disasters/`) and their
contract tests; docs/idus/last-180-days-description.md. The real IDU dump (idus/all/, India
2023) has no `role`, `event_id`, `sources` or `locations_*` fields, so those are optional.
"""

import datetime as dt
import operator
from itertools import chain, repeat

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.raw.hdx_hapi import (
    Test,
    cells_check,
    is_iso_datetime,
    is_null,
    is_text,
    is_whole,
    per_type,
    per_value,
)

# IDMC's own words (Figure.ROLE labels; the cause; Figure.QUANTIFIER as the IDU dump writes
# it: "total" for exact, lower-case labels otherwise, "... or equal" in recent versions).
ROLES = {"recommended figure", "triangulation", "triangulation figure"}
DISPLACEMENT_TYPES = {"conflict", "disaster", "other"}
QUALIFIERS = {
    "total",
    "exact",
    "more than",
    "more than or equal",
    "less than",
    "less than or equal",
    "approximately",
}
GIDD_COUNTS = (
    "conflict_new_displacement",
    "conflict_total_displacement",
    "disaster_new_displacement",
    "disaster_total_displacement",
)
# The conflicts and disasters endpoints name their counts without the cause, each with the
# figure as IDMC rounds it for the GRID ("rounded figures at national level") beside it.
CAUSE_COUNTS = (
    "new_displacement",
    "new_displacement_rounded",
    "total_displacement",
    "total_displacement_rounded",
)


def _one_of(allowed: set[str]) -> Test:
    return lambda v: isinstance(v, str) and v.strip().lower() in allowed


def _iso3(value: object) -> bool:
    return isinstance(value, str) and len(value) == 3 and value.isalnum()  # AB9 is Abyei


def _integer(value: object) -> bool:
    return value is not None and is_whole(value)


def _date_or_blank(value: object) -> bool:
    return value == "" or is_iso_datetime(value)


def _year(value: object) -> bool:
    return is_whole(value) and value is not None and 1990 <= value <= 2100  # type: ignore[operator]


def _codes(value: object) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(c, str) for c in value))


class IduModel(pa.DataFrameModel):
    """One IDU entry: a figure of new displacement (a flow) IDMC recorded for an event."""

    id: Series[object] = pa.Field(description="IDMC figure id (one entry per figure).")
    country: Series[object] = pa.Field(nullable=True, description="Short country name.")
    iso3: Series[object] = pa.Field(description="ISO 3166 alpha-3; AB9 is the Abyei Area.")
    role: Series[object] | None = pa.Field(
        description="'Recommended figure' or 'Triangulation'; absent from the real dump."
    )
    displacement_type: Series[object] = pa.Field(
        description="Trigger of displacement: Conflict, Disaster or Other."
    )
    qualifier: Series[object] = pa.Field(
        description="How exact: total (exact), more than, less than, approximately."
    )
    figure: Series[object] = pa.Field(description="Internal displacements (flow), people.")
    displacement_start_date: Series[object] = pa.Field(
        nullable=True,
        description="Approximate date the flow started: YYYY-MM-DD, or midnight in "
        "Pacific/Auckland written in UTC (2023-08-02T12:00:00.000Z is 3 August).",
    )
    displacement_end_date: Series[object] = pa.Field(
        nullable=True, description="Approximate date the flow ended (as the start date)."
    )
    displacement_date: Series[object] | None = pa.Field(
        nullable=True, description="End date, else start date, of the flow."
    )
    event_name: Series[object] | None = pa.Field(
        nullable=True, description="IDMC's coded event name (country, hazard, place, date)."
    )
    standard_popup_text: Series[object] = pa.Field(
        nullable=True, description="IDMC's text for the entry (HTML: figure, excerpt, link)."
    )
    locations_name: Series[object] | None = pa.Field(
        nullable=True, description="Places reported for the figure (several joined)."
    )

    class Config:
        strict = False  # coordinates, hazard classes, sources ... are kept, not checked

    @cells_check("id", "figure", name="integer")
    @classmethod
    def _integer(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, _integer)

    @cells_check("iso3", name="iso3_code")
    @classmethod
    def _code(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _iso3)

    @cells_check("role", name="role")
    @classmethod
    def _role(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _one_of(ROLES))

    @cells_check("displacement_type", name="displacement_type")
    @classmethod
    def _type(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _one_of(DISPLACEMENT_TYPES))

    @cells_check("qualifier", name="qualifier")
    @classmethod
    def _qualifier(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _one_of(QUALIFIERS))

    @cells_check(
        "displacement_start_date", "displacement_end_date", "displacement_date", name="iso_date"
    )
    @classmethod
    def _date(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _date_or_blank)

    @cells_check("country", "event_name", "standard_popup_text", "locations_name", name="text")
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)


def _counts(series: pd.Series) -> pd.Series:
    """Whether each cell is a whole number of at least 0 (null passes)."""
    values = series.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("integer", "empty"):
        # Every cell a JSON integer or null (pandas tells in C): only the signs are left, read
        # as floats (null is NaN, which passes) unless an integer is beyond a float's range.
        try:
            return pd.Series(~(values.astype(float) < 0), index=series.index)
        except OverflowError:
            pass
    whole = per_type(series, is_whole).to_numpy(copy=True)
    numbers = whole & ~pd.isna(values)  # the whole cells but None and NaN: Python ints
    whole[numbers] = _at_least_zero(values[numbers])
    return pd.Series(whole, index=series.index)


def _at_least_zero(integers: np.ndarray) -> np.ndarray:
    """Whether each Python int is 0 or more: at once as 64-bit integers where they fit."""
    try:
        return integers.astype(np.int64) >= 0
    except OverflowError:  # an integer beyond 64 bits: compared one by one
        signs = map(operator.ge, integers, repeat(0))
        return np.fromiter(signs, dtype=bool, count=len(integers))


def _date_or_null(value: object) -> bool:
    """A calendar date as DRF writes a DateField (YYYY-MM-DD), or null."""
    if value is None:
        return True
    try:
        return isinstance(value, str) and dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


class _GiddRow(pa.DataFrameModel):
    """What every GIDD endpoint gives a row: the country and the reporting year."""

    iso3: Series[object] = pa.Field(description="ISO 3166 alpha-3; AB9 is the Abyei Area.")
    country_name: Series[object] = pa.Field(description="Short country name.")
    year: Series[object] = pa.Field(description="The reporting year.")

    class Config:
        strict = False

    @cells_check("iso3", name="iso3_code")
    @classmethod
    def _code(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _iso3)

    @cells_check("country_name", name="text")
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)

    @cells_check("year", name="year")
    @classmethod
    def _year(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _year)


class GiddDisplacementModel(_GiddRow):
    """`gidd/displacements/`: one country-year, yearly flows and year-end stocks by cause."""

    conflict_new_displacement: Series[object] = pa.Field(
        nullable=True, description="Internal displacements (flows), conflict, over the year."
    )
    conflict_total_displacement: Series[object] = pa.Field(
        nullable=True, description="IDPs (stock), conflict and violence, at 31 December."
    )
    disaster_new_displacement: Series[object] = pa.Field(
        nullable=True, description="Internal displacements (flows), disasters, over the year."
    )
    disaster_total_displacement: Series[object] = pa.Field(
        nullable=True, description="IDPs (stock), disasters, at 31 December (from 2019)."
    )
    conflict_new_displacement_rounded: Series[object] | None = pa.Field(nullable=True)
    conflict_total_displacement_rounded: Series[object] | None = pa.Field(nullable=True)
    disaster_new_displacement_rounded: Series[object] | None = pa.Field(nullable=True)
    disaster_total_displacement_rounded: Series[object] | None = pa.Field(nullable=True)

    @cells_check(*GIDD_COUNTS, *(c + "_rounded" for c in GIDD_COUNTS), name="count")
    @classmethod
    def _count(cls, s: Series[object]) -> Series[bool]:
        return _counts(s)


class GiddConflictModel(_GiddRow):
    """`gidd/conflicts/`: one country-year of conflict and violence (no `conflict_` prefix)."""

    new_displacement: Series[object] = pa.Field(
        nullable=True, description="Internal displacements (flows) over the year, not rounded."
    )
    new_displacement_rounded: Series[object] = pa.Field(
        nullable=True, description="The same, rounded at national level (as in the GRID)."
    )
    total_displacement: Series[object] = pa.Field(
        nullable=True, description="IDPs (stock) at the end of the year, not rounded."
    )
    total_displacement_rounded: Series[object] = pa.Field(
        nullable=True, description="The same, rounded at national level (as in the GRID)."
    )

    @cells_check(*CAUSE_COUNTS, name="count")
    @classmethod
    def _count(cls, s: Series[object]) -> Series[bool]:
        return _counts(s)


class GiddDisasterModel(GiddConflictModel):
    """`gidd/disasters/`: one disaster event in one country and year, with its hazard.

    Its counts are the event's displacements over the reporting year and its IDPs at the
    end of it; the event has approximate start and end dates and CRED EM-DAT hazard classes.
    """

    event_name: Series[object] = pa.Field(
        description="Common or official name, else coded (country, hazard, place, start)."
    )
    start_date: Series[object] = pa.Field(
        nullable=True, description="Approximate start date of the event (YYYY-MM-DD)."
    )
    end_date: Series[object] = pa.Field(
        nullable=True, description="Approximate end date of the event (YYYY-MM-DD)."
    )
    hazard_category_name: Series[object] | None = pa.Field(nullable=True)
    hazard_sub_category_name: Series[object] | None = pa.Field(nullable=True)
    hazard_type_name: Series[object] | None = pa.Field(nullable=True)
    hazard_sub_type_name: Series[object] | None = pa.Field(nullable=True)
    event_codes: Series[object] | None = pa.Field(
        nullable=True, description="GLIDE and other databases' codes of the event (a list)."
    )

    @cells_check("start_date", "end_date", name="iso_date")
    @classmethod
    def _date(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, _date_or_null)

    @cells_check(
        "event_name",
        "hazard_category_name",
        "hazard_sub_category_name",
        "hazard_type_name",
        "hazard_sub_type_name",
        name="text",
    )
    @classmethod
    def _names(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)

    @cells_check("event_codes", name="codes")
    @classmethod
    def _codes(cls, s: Series[object]) -> Series[bool]:
        values = s.tolist()
        # The usual column, lists of text only, is settled by the types of the cells and codes.
        lists = set(map(type, values)) == {list}
        if lists and set(map(type, chain.from_iterable(values))) <= {str}:
            return pd.Series(True, index=s.index, dtype=bool)
        return s.map(lambda value: is_null(value) or _codes(value)).astype(bool)
