"""`etl export --hxl`: the HXL dictionary's hashtags, read by libhxl, and back in unchanged."""

from pathlib import Path

import hxl  # libhxl, a dev dependency: its absence fails the tests, never skips them
import pandas as pd

from etl.export import METRIC_TAGS, hxl_table, to_csv, value_tag
from etl.pipeline import import_hxl
from etl.store import Store, reads
from tests.factories import figure_frame, figure_record, make_store, write_hxl

# A file with every kind the export writes: stocks and flows, households, sex and age,
# qualifiers, causes, a triangulation figure, an origin, an area, and full provenance.
TAGS = [
    "#adm1+code",
    "#adm2+code",
    "#loc+code",
    "#adm1+code+origin",
    "#date+start",
    "#date+end",
    "#affected+idps",
    "#affected+idps+hh",
    "#affected+idps+f+children",
    "#affected+idps+new",
    "#affected+returnees",
    "#population",
    "#meta+qualifier",
    "#meta+cause",
    "#meta+role",
    "#meta+source",
    "#meta+url",
    "#meta+id",
    "#meta+excerpt",
]
ROWS = [
    ["SY07", "", "", "", "", "2020-01-28", "1,500,000", "300,000", "40,000", "", "", "", "",
     "conflict", "", "OCHA, Flash Update 7", "https://reliefweb.int/a", "FU7-1",
     "about 1.5 million IDPs"],
    ["SY07", "", "", "SY02", "2019-12-01", "2020-01-28", "", "", "", "1000+", "", "", "",
     "conflict", "", "OCHA, Flash Update 7", "https://reliefweb.int/a", "FU7-2", ""],
    ["SY07", "SY0702", "", "", "", "2020-01-28", "", "", "", "", "", "~2,000,000", "",
     "", "", "CCCM", "", "", ""],
    ["SY02", "", "", "", "", "2020-01-28", "464830", "", "", "", "12", "", "approximately",
     "", "triangulation", "CCCM, ISIMM", "", "", ""],
    ["", "", "SY-NW-OPP", "", "", "2020-01-28", "2,700,000", "", "", "", "", "", "",
     "", "", "UN OCHA", "", "", ""],
]  # fmt: skip
COMPARED = [
    "metric",
    "pcode",
    "admin_level",
    "origin_pcode",
    "period_start",
    "period_end",
    "value",
    "qualifier",
    "cause",
    "sex",
    "age_group",
    "unit",
    "role",
    "publisher",
    "source_url",
    "source_record_id",
    "excerpt",
]


def _figures(store: Store) -> list[tuple[object, ...]]:
    frame = reads.figures(store.engine)[COMPARED].astype(object)
    frame = frame.where(frame.notna(), None)
    return sorted(frame.itertuples(index=False, name=None), key=repr)


def _loaded(store: Store, tmp_path: Path) -> Store:
    report = import_hxl(store, write_hxl(tmp_path, [TAGS, *ROWS], name="published.csv"))
    assert report.ok, report.message
    assert report.rejections == [], report.rejections
    assert len(reads.figures(store.engine)) == 8
    return store


def test_each_metric_has_the_hashtag_the_import_reads() -> None:
    assert value_tag("idps", "people", None, None) == "#affected+idps+ind"
    assert value_tag("new_displacements", "households", "f", "children") == (
        "#affected+idps+newdisp+hh+f+children"
    )
    assert METRIC_TAGS["population"] == "#population"
    assert METRIC_TAGS["returns"] == "#affected+returns"


def test_one_value_column_per_kind_and_one_value_per_row() -> None:
    frame = pd.concat(
        [
            figure_frame(figure_record(value=10)),
            figure_frame(figure_record(metric="population", value=20, pcode="SY02")),
            figure_frame(figure_record(unit="households", value=3, pcode="SY02")),
        ],
        ignore_index=True,
    )
    titles, tags, rows = hxl_table(frame)
    values = [t for t in tags if t.startswith(("#affected", "#population"))]
    assert values == ["#affected+idps+ind", "#affected+idps+hh", "#population+ind"]
    assert "idps (households)" in titles
    for row in rows:
        assert sum(1 for tag, cell in zip(tags, row, strict=True) if tag in values and cell) == 1


def test_libhxl_reads_the_export(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    text = to_csv(reads.figures(_loaded(store, tmp_path).engine), hxl=True)
    path.write_text(text, encoding="utf-8", newline="")
    dataset = hxl.data(str(path), hxl.input.InputOptions(allow_local=True)).cache()
    rows = list(dataset)
    assert len(rows) == 8
    assert "#affected+idps+ind" in dataset.display_tags
    # libhxl's own tag-pattern matching finds every IDP stock and flow, and the periods.
    idps = [r.get("#affected+idps+ind-newdisp-hh-f-m-children") for r in rows]
    assert sorted(int(v) for v in idps if v) == [464_830, 1_500_000, 2_700_000]
    assert sorted(int(v) for v in dataset.get_value_set("#affected+newdisp") if v) == [1000]
    assert set(dataset.get_value_set("#date+end")) == {"2020-01-28"}
    assert set(dataset.get_value_set("#meta+qualifier")) == {"exact", "more_than", "approximately"}


def test_the_export_imports_back_into_an_empty_store_unchanged(
    store: Store, tmp_path: Path
) -> None:
    published = _figures(_loaded(store, tmp_path))
    path = tmp_path / "export.csv"
    path.write_text(to_csv(reads.figures(store.engine), hxl=True), encoding="utf-8", newline="")
    empty = make_store(tmp_path, name="empty.db")
    try:
        assert reads.figures(empty.engine).empty
        report = import_hxl(empty, path)
        assert report.ok, report.message
        assert report.rejections == []
        assert _figures(empty) == published
    finally:
        empty.dispose()
