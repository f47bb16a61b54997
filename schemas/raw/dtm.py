"""IOM DTM API v3 records as served (the `result` list of {"isSuccess": true, ...}).

Cells keep their JSON types (frames built with dtype object). Fields from the official
clients (Displacement-Tracking-Matrix/dtmapi, dtmapi-R: code, README and printed output).
"""

import pandera.pandas as pa
from pandera.typing import Series

from schemas.raw.hdx_hapi import (
    cells_check,
    is_iso3_letters,
    is_iso_datetime,
    is_text,
    per_type,
    per_value,
)

ASSESSMENT_TYPES = ["BA", "SA", "ETT"]


def is_number(value: object) -> bool:
    """True for a JSON number (counts arrive as integers, sometimes as floats like 120.0)."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


class DtmAdmin0Model(pa.DataFrameModel):
    """IDPs present in a country for one operation, round and (v3) origin and reason."""

    id: Series[object] | None = pa.Field(
        nullable=True, description="Row id (admin 1 and 2 responses)."
    )
    operation: Series[object] = pa.Field(description="DTM operation, e.g. a crisis response.")
    admin0Name: Series[object] = pa.Field(description="Country name, DTM spelling.")
    admin0Pcode: Series[object] = pa.Field(description="Country, ISO 3166 alpha-3.")
    numPresentIdpInd: Series[object] = pa.Field(
        nullable=True, description="IDP individuals present; null when not reported."
    )
    reportingDate: Series[object] = pa.Field(description="As-of date (ISO date-time).")
    roundNumber: Series[object] = pa.Field(description="Data collection round.")
    assessmentType: Series[object] = pa.Field(
        isin=ASSESSMENT_TYPES, description="BA baseline, SA site assessment (ETT event tracking)."
    )
    displacementReason: Series[object] | None = pa.Field(
        nullable=True, description="Why people left, e.g. Conflict (v3)."
    )
    numberMales: Series[object] | None = pa.Field(
        nullable=True, description="Male IDPs, when split (v3)."
    )
    numberFemales: Series[object] | None = pa.Field(
        nullable=True, description="Female IDPs, when split (v3)."
    )
    idpOriginAdmin1Name: Series[object] | None = pa.Field(
        nullable=True, description="Admin 1 the IDPs came from (v3)."
    )
    idpOriginAdmin1Pcode: Series[object] | None = pa.Field(
        nullable=True, description="P-code of the admin 1 the IDPs came from (v3)."
    )

    class Config:
        strict = False  # year/month of the reporting date and status fields are not used

    @cells_check("admin0Pcode", name="iso3_code")
    @classmethod
    def _iso3(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_iso3_letters)

    @cells_check(
        "operation",
        "admin0Name",
        "displacementReason",
        "idpOriginAdmin1Name",
        "idpOriginAdmin1Pcode",
        name="text",
    )
    @classmethod
    def _text(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)

    @cells_check(
        "numPresentIdpInd", "numberMales", "numberFemales", "roundNumber", "id", name="number"
    )
    @classmethod
    def _number(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_number)

    @cells_check("reportingDate", name="iso_datetime")
    @classmethod
    def _date(cls, s: Series[object]) -> Series[bool]:
        return per_value(s, is_iso_datetime)


class DtmAdmin1Model(DtmAdmin0Model):
    """IDPs present in an admin 1 unit."""

    admin1Name: Series[object] = pa.Field(nullable=True, description="Admin 1 name.")
    admin1Pcode: Series[object] = pa.Field(nullable=True, description="Admin 1 P-code.")

    @cells_check("admin1Name", "admin1Pcode", name="text")
    @classmethod
    def _admin1(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)


class DtmAdmin2Model(DtmAdmin1Model):
    """IDPs present in an admin 2 unit."""

    admin2Name: Series[object] = pa.Field(nullable=True, description="Admin 2 name.")
    admin2Pcode: Series[object] = pa.Field(nullable=True, description="Admin 2 P-code.")

    @cells_check("admin2Name", "admin2Pcode", name="text")
    @classmethod
    def _admin2(cls, s: Series[object]) -> Series[bool]:
        return per_type(s, is_text)


MODELS: dict[int, type[pa.DataFrameModel]] = {
    0: DtmAdmin0Model,
    1: DtmAdmin1Model,
    2: DtmAdmin2Model,
}
