"""One enumeration of rejection codes: every refusal names a RejectionCode, never free text."""

import ast
from pathlib import Path

import pandas as pd
import pytest

from etl.validate import validate_figures
from schemas.runs import RejectionCode, code_of
from tests.factories import figure_frame, figure_record

ETL = Path(__file__).resolve().parents[2] / "etl"
# The refusals and the argument that carries their code (a Rejection built directly: its third;
# the Refusals of a check made at once: their second).
CODE_ARGUMENT = {"Refused": 1, "Refusals": 1, "CellError": 0, "Rejection": 2}


def _refusals() -> list[tuple[str, int, ast.expr]]:
    found = []
    for path in sorted(ETL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            index = CODE_ARGUMENT.get(str(name))
            if index is not None and len(node.args) > index:
                found.append((path.name, node.lineno, node.args[index]))
    return found


def test_every_refusal_names_a_code_of_the_enumeration() -> None:
    refusals = _refusals()
    assert len(refusals) > 40
    for where, line, code in refusals:
        named = isinstance(code, ast.Attribute) and getattr(code.value, "id", "") == "RejectionCode"
        # Passed on from an error or a schema failure: err.check, str(case.check), ...
        passed_on = "check" in ast.unparse(code)
        assert named or passed_on, f"{where}:{line}: {ast.unparse(code)}"
        if named:
            assert code.attr in RejectionCode.__members__, f"{where}:{line}"


@pytest.mark.parametrize(
    ("check", "code"),
    [
        ("isin(['idps', 'population'])", RejectionCode.ISIN),
        ("greater_than_or_equal_to(0)", RejectionCode.GREATER_THAN_OR_EQUAL_TO),
        ("str_matches('^(?:SY)$')", RejectionCode.STR_MATCHES),
        ("unique_natural_key", RejectionCode.UNIQUE_NATURAL_KEY),
        ("no such check", None),
    ],
)
def test_a_check_name_has_its_code(check: str, code: RejectionCode | None) -> None:
    assert code_of(check) == code


def test_every_rejection_of_the_figures_schema_has_a_code() -> None:
    bad = [
        figure_record(value=-1),
        figure_record(metric="refugeez", pcode="SY02"),
        figure_record(pcode="SY0"),
        figure_record(pcode="SY05", period_start="2020-02-01"),
        figure_record(pcode="SY06", qualifier=None),
    ]
    frame = figure_frame(*bad)
    frame.loc[4, "qualifier"] = pd.NA
    checked = validate_figures(frame, {"SY07", "SY02", "SY05", "SY06"})
    assert len(checked.rejections) >= 5
    assert all(code_of(r.check) is not None for r in checked.rejections), checked.rejections
