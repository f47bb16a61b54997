"""HDX HAPI's CSV tables (BOM, CRLF, `warning` and `error` columns) over a small Chad table
of our own in that format (illustrative numbers), and the endpoint told by the fields."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl.errors import SourceFormatError
from etl.pipeline import import_file
from etl.sources import hdx_hapi
from etl.sources.base import Fetched, MapContext, MappedFigures
from etl.store import reads
from tests.factories import make_store, one_row

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hdx-hapi"
TABLE = FIXTURES / "idps_table.csv"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NO_PLACES = pd.DataFrame({"pcode": pd.Series(dtype="str")})


def _mapped(fetched: Fetched) -> MappedFigures:
    raw = hdx_hapi.read(fetched)
    ctx = MapContext("hdx-hapi", hdx_hapi.dataset_of(fetched), "run-1", NOW)
    return hdx_hapi.to_figures(raw, ctx, NO_PLACES)


def test_the_table_keeps_its_bom_and_crlf_and_is_read() -> None:
    body = TABLE.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    raw = hdx_hapi.read(Fetched.from_file(TABLE))
    assert len(raw.frame) == 8
    assert "location_code" in raw.frame.columns  # the BOM is not part of the first column's name
    assert raw.frame["population"].map(type).eq(int).all()  # digits read as the API's integers


def test_the_endpoint_is_told_by_the_columns_not_the_file_name(tmp_path: Path) -> None:
    saved = tmp_path / "anything_at_all.csv"
    saved.write_bytes(TABLE.read_bytes())
    assert hdx_hapi.dataset_of(Fetched.from_file(saved)) == "idps"
    json_page = tmp_path / "page_7.json"
    json_page.write_bytes((FIXTURES / "baseline-population.json").read_bytes())
    assert hdx_hapi.dataset_of(Fetched.from_file(json_page)) == "baseline-population"
    for endpoint in ("refugees-persons-of-concern", "admin1", "admin2", "idps"):
        page = tmp_path / f"saved-{endpoint}.json"
        page.write_bytes((FIXTURES / f"{endpoint}.json").read_bytes())
        assert hdx_hapi.dataset_of(Fetched.from_file(page)) == endpoint


def test_hapis_rewritten_codes_are_stored_in_the_gazetteers_spelling() -> None:
    figs = _mapped(Fetched.from_file(TABLE)).figures
    assert set(figs["pcode"]) == {"TD", "TD07", "TD0704", "TD0701"}
    fouli = one_row(figs, pcode="TD0704")
    assert (fouli["value"], fouli["admin_level"]) == (1525, 2)
    assert "PCode length TD0704->TCD0704" in fouli["excerpt"]
    assert fouli["publisher"] == "HDX HAPI, IOM DTM Lake Chad Basin Crisis, baseline assessment"


def test_the_code_as_published_is_kept_in_the_record() -> None:
    row = {"location_code": "TCD", "admin_level": 2, "admin1_code": "TCD07"}
    row |= {"admin1_name": "Lac", "admin2_code": "TCD0704", "admin2_name": "Fouli"}
    places = hdx_hapi.NewPlaces(NO_PLACES)
    assert hdx_hapi._place(row, places) == ("TD0704", "TCD0704")
    assert hdx_hapi._place({**row, "admin_level": 0}, places) == ("TD", "TCD")
    assert set(places.frame()["name"]) == {"Chad", "Lac", "Fouli"}  # Chad from ISO 3166


def test_a_row_hapi_marks_in_error_is_refused_with_hapis_words() -> None:
    mapped = _mapped(Fetched.from_file(TABLE))
    [refused] = mapped.rejections
    assert (refused.row, refused.column, refused.check) == (8, "error", "upstream_error")
    assert refused.reason == "HDX HAPI marks the record: Population value is negative in source"


def test_ba_and_sa_of_one_date_count_once() -> None:
    figs = _mapped(Fetched.from_file(TABLE)).figures
    first = figs[figs["period_end"] == pd.Timestamp("2017-09-30")]
    for pcode in ("TD", "TD07"):
        rows = first[first["pcode"] == pcode]
        roles = dict(
            zip(rows["publisher"].str.rsplit(", ", n=1).str[-1], rows["role"], strict=True)
        )
        assert roles == {"baseline assessment": "recommended", "site assessment": "triangulation"}
    only_sa = one_row(figs, pcode="TD0701")
    assert only_sa["role"] == "recommended"


def test_a_count_that_is_not_a_whole_number_fails_naming_the_field(tmp_path: Path) -> None:
    text = TABLE.read_bytes().replace(b",BA,1525,", b",BA,1525.5,")
    with pytest.raises(SourceFormatError, match="field 'population' wrong type or value"):
        hdx_hapi.read(Fetched("idps_table.csv", text, None, NOW))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xef\xbb\xbfa,b\r\n1,2,3\r\n", "line 2 has 3 cells for 2 columns"),
        (b"\xff\xfe,\x00", "not UTF-8 text"),
        (b"\xef\xbb\xbf\r\n\r\n", "an empty response"),
        (b"\xef\xbb\xbf,\r\n", "an empty CSV table"),
    ],
)
def test_tables_that_cannot_be_read_fail_clearly(body: bytes, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        hdx_hapi.read(Fetched("idps.csv", body, None, NOW))


@pytest.mark.parametrize("blank", [b"", b",,", b" , ,\t", None])
def test_blank_lines_hold_no_record_wherever_they_are(blank: bytes | None) -> None:
    """A line of nothing but separators and spaces (as long as the header or not) is left
    out, so the rows around it keep their figures and numbers."""
    lines = TABLE.read_bytes().removesuffix(b"\r\n").split(b"\r\n")
    if blank is None:  # as many cells as the header, every one of them spaces
        blank = b" ," * lines[0].count(b",") + b" "
    padded = b"\r\n".join([lines[0], blank, *lines[1:4], blank, blank, *lines[4:], blank, b""])
    raw = hdx_hapi.read(Fetched("idps.csv", padded, None, NOW)).frame
    assert raw.equals(hdx_hapi.read(Fetched.from_file(TABLE)).frame)


def test_a_table_of_no_known_endpoint_is_refused_by_name() -> None:
    with pytest.raises(SourceFormatError, match="not a known HAPI endpoint"):
        hdx_hapi.read(Fetched("mystery.csv", b"\xef\xbb\xbfx,y\r\n1,2\r\n", None, NOW))


def test_the_same_rows_as_json_and_as_csv_give_the_same_figures() -> None:
    raw = hdx_hapi.read(Fetched.from_file(TABLE))
    records = [
        {k: (None if pd.isna(v) else v) for k, v in r.items()} for r in raw.frame.to_dict("records")
    ]
    body = json.dumps({"data": records}).encode()
    as_json = _mapped(Fetched("idps.json", body, None, NOW)).figures
    as_csv = _mapped(Fetched.from_file(TABLE)).figures
    assert sorted(as_json["figure_id"]) == sorted(as_csv["figure_id"])
    # Every column alike: the CSV's fields, handed on coded, map as the JSON's cells do.
    in_order = [f.sort_values("figure_id").reset_index(drop=True) for f in (as_json, as_csv)]
    pd.testing.assert_frame_equal(*in_order)


def test_the_table_loads_end_to_end(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    report = import_file(store, "hdx-hapi", TABLE)
    assert report.ok, report.message
    assert [r.check for r in report.rejections] == ["upstream_error"]
    figs = reads.figures(store.engine, sources=["hdx-hapi"])
    store.dispose()
    assert len(figs) == 7 and set(figs["dataset"]) == {"idps"}
    assert one_row(figs, pcode="TD07", period_end=pd.Timestamp("2025-01-31"))["value"] == 2040


@pytest.mark.parametrize("variant", ["as published", "blank lines", "a name repeated"])
def test_the_fields_handed_on_coded_are_the_frames_cells(variant: str) -> None:
    """The reader hands each column on as numbers into its cells too: spelled out, they are
    the frame's cells, whichever lines were left out and whichever cell a name holds."""
    lines = TABLE.read_bytes().removesuffix(b"\r\n").split(b"\r\n")
    if variant == "blank lines":
        lines = [lines[0], b",,", *lines[1:4], b" , ", *lines[4:]]
    if variant == "a name repeated":  # the last cell of a repeated name is the record's
        lines[0] = lines[0].replace(b"has_hrp", b"operation")
    served = hdx_hapi.read(Fetched("idps.csv", b"\r\n".join([*lines, b""]), None, NOW))
    assert list(served.coded) == list(served.frame.columns)
    for column in served.frame.columns:
        cells = np.asarray(served.coded[column]).tolist()
        assert cells == served.frame[column].tolist(), column
    assert set(served.frame["operation"]) == {"Lake Chad Basin Crisis"}


def _broken(*pairs: tuple[bytes, bytes]) -> bytes:
    body = TABLE.read_bytes()
    for old, new in pairs:
        assert old in body
        body = body.replace(old, new)
    return body


@pytest.mark.parametrize(
    "body",
    [
        _broken((b",BA,77,", b",BA,77.5,")),  # the last row's count
        _broken((b",SA,480,", b",SA,4.8e2,"), (b",BA,77,", b",BA,seventy,")),  # two, in order
        _broken((b"Kaya,2,", b"Kaya,,")),  # a required field empty in the last row
        _broken((b"TCD,Y,Y,Lac,Kaya", b"TC1,Y,Y,Lac,Kaya")),  # no ISO3 code
        _broken((b"2018-02-28,2018-02-28", b"2018-02-28,28/02/2018")),  # a date not ISO
        _broken((b"Kaya,2,", b"Kaya,3,"), (b",24,2025-01-31,2025-01-31", b",x,2025-01-31,")),
    ],
)
def test_a_table_checked_by_its_distinct_cells_fails_as_when_checked_cell_by_cell(
    body: bytes,
) -> None:
    """Checked once per distinct cell of each column, a table fails with the words it
    fails with when every cell is checked: the same fields, the same first cells."""
    fetched = Fetched("idps_table.csv", body, None, NOW)
    table, coded = hdx_hapi._table(fetched)
    model = hdx_hapi.ENDPOINTS["idps"][1]
    assert hdx_hapi._cell_by_cell(model) and set(table.columns) <= set(coded)
    with pytest.raises(SourceFormatError) as every_cell:
        hdx_hapi._checked(table.copy(), model, fetched, {})  # not coded: cell by cell
    with pytest.raises(SourceFormatError) as distinct_cells:
        hdx_hapi.read(fetched)
    assert str(distinct_cells.value) == str(every_cell.value)


def test_every_endpoints_checks_look_at_one_cell_at_a_time() -> None:
    """What lets a CSV table be checked by its distinct cells; a check of the whole frame
    would turn it off (and this test tells which model has one)."""
    assert all(hdx_hapi._cell_by_cell(model) for _, model in hdx_hapi.ENDPOINTS.values())
