"""Each callback's function on a real store, called as `register` binds it, without Dash."""

import base64
import datetime as dt

import pytest
from dash import no_update

from dashboard import callbacks, ids, layout, map_figure
from dashboard.reader import Reader
from dashboard.settings import DashboardSettings
from etl.pipeline import import_hxl
from etl.store import open_store
from tests.dashboard.pure_factories import make_reference
from tests.factories import good_file

VIEW = ("SY07", None, "2019-12-01", "2020-03-05")


@pytest.fixture
def reader(store, tmp_path) -> Reader:
    assert import_hxl(store, good_file(tmp_path)).ok
    return Reader(store, DashboardSettings(database_url=store.url))


def test_render_draws_the_cards_of_the_place_and_stops_retrying(reader):
    out = callbacks.render(reader, *VIEW, "idps")
    assert len(out) == 10
    heading, *_, count, stop_retrying = out
    assert heading.startswith("Idleb")
    assert count == "2 figures"  # its own two; SY070003 lies two levels down
    assert stop_retrying is True
    values = [card.children[1].children for card in out[3]]
    assert "~3,000,000" in values


def test_render_says_the_data_is_unavailable_when_the_store_is_away(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'gone.db'}")
    store.dispose()
    (tmp_path / "gone.db").unlink()
    (tmp_path / "gone.db").mkdir()  # a folder where the file was: every read fails
    reader = Reader(store, DashboardSettings(database_url=store.url))
    heading, _, banners, *_, retry_stopped = callbacks.render(reader, *VIEW, "idps")
    assert heading == "–"
    assert callbacks.UNAVAILABLE in banners[0].children
    assert retry_stopped is False


def test_render_series_answers_the_toggle_pressed_once(reader):
    figure, _notes, pressed = callbacks.render_series(reader, *VIEW, 1)
    assert pressed == "true"
    assert figure["data"]
    assert callbacks.render_series(reader, *VIEW, 2)[2] == "false"


def test_render_map_draws_the_place_s_parts(reader):
    spec = callbacks.render_map(reader, *VIEW, "idps")
    assert spec["data"]
    assert "Within Idleb" in str(spec["layout"])


def test_the_table_starts_at_page_one_unless_the_page_itself_changed(reader):
    rows, pages, current, message = callbacks.table(reader, False, *VIEW, 3, [], "")
    assert (pages, current, message) == (1, 0, "")
    assert sorted(row["metric"] for row in rows) == ["Newly displaced", "Population"]
    _, _, current, _ = callbacks.table(reader, True, *VIEW, 3, [], "")
    assert current == 0  # one page only: a page past the end is the last page


def test_a_table_filter_it_cannot_read_is_said_and_not_applied(reader):
    rows, _, _, message = callbacks.table(reader, False, *VIEW, 0, [], "{value} ~~ 3")
    assert message.startswith("Filter not applied:")
    assert len(rows) == 2


def test_a_table_filter_narrows_the_rows_and_says_how_many(reader):
    rows, _, _, message = callbacks.table(reader, False, *VIEW, 0, [], "{value} > 2000")
    assert [row["value"] for row in rows] == ["~3,000,000"]
    assert message == "1 match the filter"


def test_each_download_button_sends_its_file(reader):
    now = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    sent = {
        button: callbacks.download(reader, button, *VIEW, "?place=SY07", "", now)
        for button in (ids.DOWNLOAD_CSV, ids.DOWNLOAD_EXCEL, ids.DOWNLOAD_ABOUT)
    }
    names = [file["filename"] for file in sent.values()]
    assert names == [
        "displacement_SY07.csv",
        "displacement_SY07_excel.csv",
        "displacement_SY07_about.txt",
    ]
    assert "3000000" in sent[ids.DOWNLOAD_CSV]["content"]
    excel = base64.b64decode(sent[ids.DOWNLOAD_EXCEL]["content"])
    assert excel.startswith(b"\xef\xbb\xbf") and b"3000000" in excel
    assert "Figures: 2" in sent[ids.DOWNLOAD_ABOUT]["content"]


def test_a_table_filter_narrows_the_export_as_it_narrows_the_table(reader):
    sent = callbacks.download(reader, ids.DOWNLOAD_CSV, *VIEW, "", "{value} > 2000")
    assert sent["content"].count("\n") == 2  # the header and the one figure left


def test_sort_buttons_choose_the_order_and_press_only_themselves():
    for key, _label in layout.SORTS:
        chosen, *pressed = callbacks.choose_sort(ids.sort_button(key))
        assert chosen == key
        assert pressed == ["true" if k == key else "false" for k, _ in layout.SORTS]
    assert callbacks.choose_sort("sort-forged")[0] == layout.DEFAULT_SORT


def test_measure_buttons_choose_the_map_s_colour():
    for key in map_figure.MEASURES:
        chosen, *pressed = callbacks.choose_measure(ids.measure_button(key))
        assert chosen == key
        assert pressed.count("true") == 1
    assert callbacks.choose_measure(None)[0] == map_figure.DEFAULT_MEASURE


def test_the_url_sets_the_filters_on_the_first_call():
    url, place, district, _options, start, end = callbacks.sync_state(
        make_reference(), None, "?place=SY07&district=SY0702&from=2020-01-01", *[None] * 6
    )
    assert url is no_update
    assert (place, district, start) == ("SY07", "SY0702", "2020-01-01")
    assert end is not None


def test_a_click_on_a_bar_drills_into_the_district_and_writes_the_url():
    click = {"points": [{"customdata": "SY0702"}]}
    url, place, district, *_ = callbacks.sync_state(
        make_reference(), ids.BREAKDOWN, "", "SY07", None, "2020-01-01", "2020-03-01", click, None
    )
    assert (place, district) == ("SY07", "SY0702")
    assert "district=SY0702" in url


def test_choosing_a_place_clears_the_district():
    _, place, district, *_ = callbacks.sync_state(
        make_reference(), ids.PLACE, "", "SY02", "SY0702", None, None, None, None
    )
    assert (place, district) == ("SY02", None)


def test_a_forged_click_leads_nowhere():
    forged = {"points": [{"customdata": "SY07' OR 1=1 --"}]}
    _, place, district, *_ = callbacks.sync_state(
        make_reference(), ids.MAP, "", "SY07", None, None, None, None, forged
    )
    assert (place, district) == ("SY07", None)
