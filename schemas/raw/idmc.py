"""IDMC Helix external API records as served: IDU dump entries and GIDD displacement rows.

Cells keep their JSON types (frames of dtype object). Fields, labels and envelopes from
idmc-labs/helix-server: FigureReadOnlySerializer and get_idu_data (IDU), the GIDD
DisplacementDataSerializer and its contract tests, docs/idus/last-180-days-description.md.
"""

import pandera.pandas as pa
from pandera.typing import Series

from schemas.raw.hdx_hapi import is_iso_datetime, is_text, is_whole

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


def _one_of(allowed: set[str]) -> object:
    return lambda v: isinstance(v, str) and v.strip().lower() in allowed


def _iso3(value: object) -> bool:
    return isinstance(value, str) and len(value) == 3 and value.isalnum()  # AB9 is Abyei


class IduModel(pa.DataFrameModel):
    """One IDU entry: a figure of new displacement (a flow) IDMC recorded for an event."""

    id: Series[object] = pa.Field(description="IDMC figure id (one entry per figure).")
    country: Series[object] = pa.Field(nullable=True, description="Short country name.")
    iso3: Series[object] = pa.Field(description="ISO 3166 alpha-3; AB9 is the Abyei Area.")
    role: Series[object] = pa.Field(
        description="'Recommended figure' (counts for its event) or 'Triangulation'."
    )
    displacement_type: Series[object] = pa.Field(
        description="Trigger of displacement: Conflict, Disaster or Other."
    )
    qualifier: Series[object] = pa.Field(
        description="How exact: total (exact), more than, less than, approximately."
    )
    figure: Series[object] = pa.Field(description="Internal displacements (flow), people.")
    displacement_start_date: Series[object] = pa.Field(
        nullable=True, description="Approximate date the flow started (YYYY-MM-DD)."
    )
    displacement_end_date: Series[object] = pa.Field(
        nullable=True, description="Approximate date the flow ended (YYYY-MM-DD)."
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

    @pa.check("id", "figure", name="integer")
    @classmethod
    def _integer(cls, s: Series[object]) -> Series[bool]:
        return s.map(lambda v: v is not None and is_whole(v))

    @pa.check("iso3", name="iso3_code")
    @classmethod
    def _code(cls, s: Series[object]) -> Series[bool]:
        return s.map(_iso3)

    @pa.check("role", name="role")
    @classmethod
    def _role(cls, s: Series[object]) -> Series[bool]:
        return s.map(_one_of(ROLES))

    @pa.check("displacement_type", name="displacement_type")
    @classmethod
    def _type(cls, s: Series[object]) -> Series[bool]:
        return s.map(_one_of(DISPLACEMENT_TYPES))

    @pa.check("qualifier", name="qualifier")
    @classmethod
    def _qualifier(cls, s: Series[object]) -> Series[bool]:
        return s.map(_one_of(QUALIFIERS))

    @pa.check(
        "displacement_start_date", "displacement_end_date", "displacement_date", name="iso_date"
    )
    @classmethod
    def _date(cls, s: Series[object]) -> Series[bool]:
        return s.map(lambda v: v == "" or is_iso_datetime(v))

    @pa.check("country", "event_name", "standard_popup_text", "locations_name", name="text")
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return s.map(is_text)


class GiddDisplacementModel(pa.DataFrameModel):
    """One GIDD country-year: validated yearly flows and year-end stocks, by cause."""

    iso3: Series[object] = pa.Field(description="ISO 3166 alpha-3; AB9 is the Abyei Area.")
    country_name: Series[object] = pa.Field(description="Short country name.")
    year: Series[object] = pa.Field(description="The reporting year.")
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

    class Config:
        strict = False  # the *_rounded columns (for display) are not used

    @pa.check("iso3", name="iso3_code")
    @classmethod
    def _code(cls, s: Series[object]) -> Series[bool]:
        return s.map(_iso3)

    @pa.check("country_name", name="text")
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return s.map(is_text)

    @pa.check("year", name="year")
    @classmethod
    def _year(cls, s: Series[object]) -> Series[bool]:
        return s.map(lambda v: is_whole(v) and v is not None and 1990 <= v <= 2100)

    @pa.check(*GIDD_COUNTS, name="count")
    @classmethod
    def _count(cls, s: Series[object]) -> Series[bool]:
        return s.map(lambda v: is_whole(v) and (v is None or v >= 0))
