"""The page's briefing-pack callback over HTTP: a file for a good click, a message for a
forged one, never an error page."""

import base64
import io

import pytest
from pptx import Presentation

from dashboard.app import create_app
from dashboard.briefing.page import BUTTONS
from dashboard.settings import DashboardSettings
from tests.briefing.extract import deck_blocks

OUTPUT = "..download-brief.data...brief-message.children.."
STATES = [
    ("filter-place", "value"),
    ("filter-district", "value"),
    ("filter-dates", "start_date"),
    ("filter-dates", "end_date"),
    ("figures-table", "filter_query"),
]


@pytest.fixture(scope="module")
def client(bundled_store):
    app = create_app(DashboardSettings(database_url=bundled_store.url), store=bundled_store)
    return app.server.test_client()


def _click(client, button: str, **values: object):
    payload = {
        "output": OUTPUT,
        "outputs": [
            {"id": "download-brief", "property": "data"},
            {"id": "brief-message", "property": "children"},
        ],
        "inputs": [
            {"id": key, "property": "n_clicks", "value": 1 if key == button else None}
            for key, *_ in BUTTONS
        ],
        "changedPropIds": [f"{button}.n_clicks"],
        "state": [{"id": i, "property": p, "value": values.get(f"{i}.{p}")} for i, p in STATES],
    }
    return client.post("/_dash-update-component", json=payload)


IDLEB = {
    "filter-place.value": "SY07",
    "filter-dates.start_date": "2019-12-01",
    "filter-dates.end_date": "2020-03-05",
}


def test_a_click_gives_the_deck_of_the_view_named_after_place_and_dates(client):
    response = _click(client, "brief-pptx-en", **IDLEB)
    assert response.status_code == 200
    sent = response.get_json()["response"]
    data = sent["download-brief"]["data"]
    assert data["filename"] == "briefing_SY07_2019-12-01_2020-03-05_en.pptx"
    body = base64.b64decode(data["content"])
    text = "\n".join(b for slide in deck_blocks(body) for b in slide)
    assert "Displacement briefing: Idleb" in text
    assert sent["brief-message"]["children"].endswith("ready")
    assert Presentation(io.BytesIO(body)).slides


def test_the_table_filter_is_recorded_in_the_pack(client):
    filtered = {**IDLEB, "figures-table.filter_query": "{publisher} contains OCHA"}
    body = base64.b64decode(
        _click(client, "brief-pptx-en", **filtered).get_json()["response"]["download-brief"][
            "data"
        ]["content"]
    )
    text = "\n".join(b for slide in deck_blocks(body) for b in slide)
    assert "Table filter: {publisher} contains OCHA" in text
    # A publication the pack cites stays in its sources, whatever the table shows.
    sources = text.split("Sources")[-1]
    assert (
        "T-Intelligence (blog), Syrian army enters strategic city in Idlib (2020-01-28)" in sources
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({**IDLEB, "filter-place.value": "XX99"}, "unknown place 'XX99'"),
        (
            {
                **IDLEB,
                "filter-dates.start_date": "2020-03-05",
                "filter-dates.end_date": "2019-12-01",
            },
            "the dates are reversed",
        ),
        ({**IDLEB, "filter-place.value": "SY07' OR '1'='1"}, "unknown place"),
    ],
)
def test_a_forged_click_gets_a_clear_message_and_no_file(client, values, message):
    response = _click(client, "brief-pdf-ar", **values)
    assert response.status_code == 200, response.text[:300]
    sent = response.get_json()["response"]
    assert "download-brief" not in sent
    assert message in sent["brief-message"]["children"]
    assert "Traceback" not in response.text


def test_a_click_on_the_arabic_pdf_gives_it(client):
    data = _click(client, "brief-pdf-ar", **IDLEB).get_json()["response"]["download-brief"]["data"]
    assert data["filename"] == "briefing_SY07_2019-12-01_2020-03-05_ar.pdf"
    assert base64.b64decode(data["content"]).startswith(b"%PDF")
