"""The three real ISIMM files beside the repository: district totals against our own sums.

CI has `../shared/data/isimm/`; there this test must run, so a missing folder fails it.
"""

import csv
import io
import os
from collections import Counter
from pathlib import Path

import pytest

from etl.pipeline import import_file
from etl.reference import load_reference
from etl.store import DATA_DIR, open_store, reads

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "isimm"
DISTRICTS = {
    ("Aleppo", "Afrin"): "SY0203",
    ("Aleppo", "Al Bab"): "SY0202",
    ("Aleppo", "Azaz"): "SY0204",
    ("Aleppo", "Jarablus"): "SY0208",
    ("Aleppo", "Jebel Saman"): "SY0200",
    ("Idleb", "Harim"): "SY0703",
    ("Idleb", "Idleb"): "SY0700",
    ("Idleb", "Jisr-Ash-Shugur"): "SY0704",
}
FILES = ["ISIMM_2019November1.csv", "ISIMM_2020Jan.csv", "ISIMM_2020Feb.csv"]


def _real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared/data/isimm/")
        pytest.skip(f"{path} not present on this machine")
    return path


def _sums(path: Path) -> Counter:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1256", errors="replace")
    totals: Counter = Counter()
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["governorate"].strip(), row["district"].strip())
        if key in DISTRICTS and row["individual"].strip():
            totals[DISTRICTS[key]] += int(row["individual"])
    return totals


@pytest.mark.parametrize("name", FILES)
def test_district_totals_match_our_own_sums(tmp_path: Path, name: str) -> None:
    path = _real(name)
    store = open_store(f"sqlite:///{tmp_path / 'real.db'}")
    load_reference(store, DATA_DIR)
    report = import_file(store, "cccm-isimm", path)
    assert report.ok, report.message
    figs = reads.figures(store.engine, sources=["cccm-isimm"])
    totals = figs[figs["sex"].isna() & figs["age_group"].isna() & (figs["admin_level"] == 2)]
    loaded = dict(zip(totals["pcode"], totals["value"].astype(int), strict=True))
    assert loaded == dict(_sums(path))
    store.dispose()


def test_january_refuses_its_rows_without_district(tmp_path: Path) -> None:
    path = _real("ISIMM_2020Jan.csv")
    store = open_store(f"sqlite:///{tmp_path / 'real.db'}")
    load_reference(store, DATA_DIR)
    report = import_file(store, "cccm-isimm", path)
    assert report.ok
    assert sum(r.reason == "no district" for r in report.rejections) == 22
    figs = reads.figures(store.engine, sources=["cccm-isimm"])
    everyone = figs[figs["sex"].isna() & (figs["admin_level"] == 1)]
    assert int(everyone["value"].sum()) == 973_861  # the 22 rows carry no people
    store.dispose()
