"""The page's briefing-pack callback over HTTP: a file for a good click, a message for a
forged one, never an error page."""

import base64
import io

import pytest
from pptx import Presentation

from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from tests.briefing.extract import deck_blocks

OUTPUT = "..download-brief.data...brief-message.children.."
STATES = [
    ("brief-lang", "value"),
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
            {"id": "brief-pptx", "property": "n_clicks", "value": 1 if button == "pptx" else None},
            {"id": "brief-pdf", "property": "n_clicks", "value": 1 if button == "pdf" else None},
        ],
        "changedPropIds": [f"brief-{button}.n_clicks"],
        "state": [{"id": i, "property": p, "value": values.get(f"{i}.{p}")} for i, p in STATES],
    }
    return client.post("/_dash-update-component", json=payload)


IDLEB = {
    "brief-lang.value": "en",
    "filter-place.value": "SY07",
    "filter-dates.start_date": "2019-12-01",
    "filter-dates.end_date": "2020-03-05",
}


def test_a_click_gives_the_deck_of_the_view_named_after_place_and_dates(client):
    response = _click(client, "pptx", **IDLEB)
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
        _click(client, "pptx", **filtered).get_json()["response"]["download-brief"]["data"][
            "content"
        ]
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
        ({**IDLEB, "brief-lang.value": "fr"}, "unknown language"),
        ({**IDLEB, "brief-lang.value": {"$ne": 1}}, "unknown language"),
        ({**IDLEB, "filter-place.value": "SY07' OR '1'='1"}, "unknown place"),
    ],
)
def test_a_forged_click_gets_a_clear_message_and_no_file(client, values, message):
    response = _click(client, "pdf", **values)
    assert response.status_code == 200, response.text[:300]
    sent = response.get_json()["response"]
    assert "download-brief" not in sent
    assert message in sent["brief-message"]["children"]
    assert "Traceback" not in response.text
