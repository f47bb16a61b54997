"""The raw models' checks of cells: a null cell (None, or NaN, which Python's JSON reads from
`NaN`) is the field's nullability to judge, never a wrong type; every other cell is tested."""

import math
import random

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.typing import Series

from etl.errors import SourceFormatError
from etl.sources.base import checked_records
from schemas.raw import idmc as idmc_raw
from schemas.raw.dtm import DtmAdmin1Model
from schemas.raw.hdx_hapi import cells_check, is_text, per_type, per_value
from schemas.raw.idmc import GiddConflictModel

DTM = {
    "id": 20101, "operation": "Countrywide monitoring", "admin0Name": "Ethiopia",
    "admin0Pcode": "ETH", "admin1Name": "Oromia", "admin1Pcode": "ET04",
    "numPresentIdpInd": 702310, "reportingDate": "2017-12-31T00:00:00", "roundNumber": 8,
    "displacementReason": "Conflict", "numberMales": None, "numberFemales": None,
    "idpOriginAdmin1Name": "Oromia", "idpOriginAdmin1Pcode": "ET04", "assessmentType": "SA",
}  # fmt: skip
GIDD = {
    "iso3": "SYR", "country_name": "Syria", "year": 2021, "new_displacement": 1227456,
    "new_displacement_rounded": 1227000, "total_displacement": 6662123,
    "total_displacement_rounded": 6662000,
}  # fmt: skip


def _check(model: type, base: dict[str, object], *changes: dict[str, object]) -> str | None:
    """The one-line error of checking `base` once as it is and once per change; None: passed."""
    rows = [dict(base), *({**base, **change} for change in changes)]
    try:
        checked_records(rows, model, "test")
    except SourceFormatError as error:
        return str(error)
    return None


@pytest.mark.parametrize("null", [None, math.nan])
def test_a_null_cell_of_a_nullable_field_passes(null: object) -> None:
    assert _check(DtmAdmin1Model, DTM, {"numberMales": null}, {"numberMales": 5}) is None
    assert _check(DtmAdmin1Model, DTM, {"idpOriginAdmin1Pcode": null}) is None
    assert _check(GiddConflictModel, GIDD, {"new_displacement": null}) is None


@pytest.mark.parametrize("null", [None, math.nan])
def test_a_null_cell_of_a_required_field_is_called_null_not_a_wrong_type(null: object) -> None:
    error = _check(DtmAdmin1Model, DTM, {"admin0Pcode": null})
    assert error == "test: field 'admin0Pcode' is null where a value is required"


def test_a_wrong_cell_beside_nulls_of_its_type_is_refused() -> None:
    # NaN and 1.5 are both floats: the NaN passes as a null, the 1.5 is a count that is not
    # whole, whichever comes first.
    for first, second in ((math.nan, 1.5), (1.5, math.nan)):
        changes = ({"new_displacement": first}, {"new_displacement": second})
        error = _check(GiddConflictModel, GIDD, *changes)
        assert error is not None
        assert error.startswith("test: field 'new_displacement' wrong type or value (count")
        assert "1.5" in error
    error = _check(DtmAdmin1Model, DTM, {"numberMales": math.nan}, {"numberMales": "12"})
    assert error is not None and "field 'numberMales' wrong type or value (number" in error
    error = _check(DtmAdmin1Model, DTM, {"admin1Name": math.nan}, {"admin1Name": 7})
    assert error is not None and "field 'admin1Name' wrong type or value (text" in error


def test_a_check_keeps_its_name_in_a_model_built_after_its_parent() -> None:
    """The one-line error names a check alike whichever model's schema was built first."""

    class Parent(pa.DataFrameModel):
        label: Series[object] = pa.Field(description="A text.")

        @cells_check("label", name="text")
        @classmethod
        def _label(cls, s: Series[object]) -> Series[bool]:
            return per_type(s, is_text)

    class Child(Parent):
        other: Series[object] = pa.Field(nullable=True, description="Anything.")

    Parent.to_schema()
    names = {c.name: [check.name for check in c.checks] for c in Child.to_schema().columns.values()}
    assert names["label"] == ["text"]
    error = _check(Child, {"label": "x", "other": None}, {"label": 7})
    assert error is not None and "field 'label' wrong type or value (text, got 7)" in error


COUNT_CELLS = [None, math.nan, 0, 5, -1, 2**70, -(2**70), 10**400, -(10**400), True, 1.0, "3"]


@pytest.mark.parametrize("seed", range(30))
def test_a_gidd_count_passes_as_a_whole_number_of_at_least_zero_or_null(seed: int) -> None:
    """Whole columns are judged at once where they can be: each cell still passes exactly
    when it is null or a JSON integer (not a bool, nor a float) of at least zero."""
    picks = random.Random(seed)
    for _ in range(40):
        cells = [picks.choice(COUNT_CELLS) for _ in range(picks.randint(1, 6))]
        expected = [
            cell is None
            or (isinstance(cell, float) and math.isnan(cell))
            or (isinstance(cell, int) and not isinstance(cell, bool) and cell >= 0)
            for cell in cells
        ]
        verdicts = idmc_raw._counts(pd.Series(cells, dtype=object))
        assert verdicts.tolist() == expected, cells


@pytest.mark.parametrize("seed", range(10))
def test_whole_numbers_are_tested_once_each_as_the_ints_they_are(seed: int) -> None:
    """A column of whole numbers is numbered as 64-bit integers (or as objects beyond): each
    cell's verdict is still the test's of that cell, given as a Python int."""
    picks = random.Random(seed)
    cells = [picks.choice([1989, 1990, 2020, 2100, 2101, 2**70]) for _ in range(30)]
    seen: list[type] = []

    def year(value: object) -> bool:
        seen.append(type(value))
        return isinstance(value, int) and 1990 <= value <= 2100

    verdicts = per_value(pd.Series(cells, dtype=object), year).tolist()
    assert verdicts == [1990 <= c <= 2100 for c in cells]
    assert set(seen) == {int}


TYPED_CELLS = [None, math.nan, "", "TCD07", " x ", 0, 7, True, 1.5, ["a"]]


@pytest.mark.parametrize("seed", range(30))
def test_a_type_test_judges_each_cell_by_its_type_or_passes_a_null(seed: int) -> None:
    """A column all text (or missing) is judged at once: each cell's verdict is still the
    test's of that cell, a null passing."""
    picks = random.Random(seed)

    def is_short_text(value: object) -> bool:  # with a limit of 0, a test that fails text
        return isinstance(value, str) and len(value) < picks_limit

    for _ in range(40):
        picks_limit = picks.choice([0, 99])
        pool = TYPED_CELLS[:5] if picks.random() < 0.6 else TYPED_CELLS
        cells = [picks.choice(pool) for _ in range(picks.randint(1, 6))]
        for test in (is_text, is_short_text):
            expected = [
                cell is None or (isinstance(cell, float) and math.isnan(cell)) or test(cell)
                for cell in cells
            ]
            assert per_type(pd.Series(cells, dtype=object), test).tolist() == expected, cells
