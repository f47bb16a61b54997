"""One recommended GIDD figure per place, metric, period and cause: the largest count, then
the smallest record id, then the first; the others triangulate."""

import random

import numpy as np
import pytest

from etl.sources import idmc
from schemas.codes import Coded
from schemas.figures import Role

RECOMMENDED, TRIANGULATION = Role.RECOMMENDED.value, Role.TRIANGULATION.value


def _expected(columns: dict[str, list[object]], roles: list[str]) -> list[str]:
    """The roles after the rule, figure by figure: a sort of each group's recommended ones."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, role in enumerate(roles):
        if role == RECOMMENDED:
            groups.setdefault(tuple(columns[k][i] for k in idmc.KEY_FIELDS), []).append(i)
    out = list(roles)
    for members in groups.values():
        best = min(members, key=lambda i: (-columns["value"][i], columns["source_record_id"][i], i))
        for i in members:
            out[i] = RECOMMENDED if i == best else TRIANGULATION
    return out


@pytest.mark.parametrize("seed", range(60))
def test_the_largest_then_the_smallest_record_id_then_the_first_is_recommended(
    seed: int,
) -> None:
    picks = random.Random(seed)
    size = picks.randint(1, 40)
    columns: dict[str, list[object]] = {
        "metric": [picks.choice(["idps", "new_displacements"]) for _ in range(size)],
        "pcode": [picks.choice(["SY", "AF"]) for _ in range(size)],
        "period_start": [
            np.datetime64(picks.choice(["2020-01-01", "2020-12-31"])) for _ in range(size)
        ],
        "period_end": [np.datetime64("2020-12-31")] * size,
        "cause": [picks.choice(["conflict", "disaster"]) for _ in range(size)],
        "value": [picks.choice([0, 5, 7, 7, 10**6]) for _ in range(size)],
        # few ids, so that equal counts often come with equal and with other ids
        "source_record_id": [
            picks.choice(["SYR/2020/a", "SYR/2020/b", "AFG/2020/a"]) for _ in range(size)
        ],
    }
    roles = [picks.choice([RECOMMENDED, RECOMMENDED, TRIANGULATION]) for _ in range(size)]
    given: dict[str, object] = {k: np.array(v, dtype=object) for k, v in columns.items()}
    given["value"] = np.array(columns["value"], dtype=np.int64)
    given["role"] = Coded.of(
        np.array([r == TRIANGULATION for r in roles], dtype=np.intp), [RECOMMENDED, TRIANGULATION]
    )
    idmc._one_recommended(given)
    assert np.asarray(given["role"]).tolist() == _expected(columns, roles)
