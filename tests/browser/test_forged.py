"""Callback requests forged to ask for what does not exist get the default view, not an error."""

import pytest
import requests

pytestmark = pytest.mark.browser

HOSTILE = [
    "SY07' OR '1'='1",
    "'; DROP TABLE figures; --",
    "<script>alert(1)</script>",
    "SY" * 5000,
    12345,
    None,
    {"$ne": 1},
]


def _render_callback(base: str) -> dict:
    deps = requests.get(f"{base}/_dash-dependencies", timeout=10).json()
    return next(d for d in deps if "place-heading.children" in d["output"])


def _post(base: str, callback: dict, values: dict) -> requests.Response:
    inputs = [
        {"id": i["id"], "property": i["property"], "value": values.get(i["id"])}
        for i in callback["inputs"]
    ]
    payload = {
        "output": callback["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in callback["output"].strip(".").split("...")
            if o
        ],
        "inputs": inputs,
        "changedPropIds": ["filter-place.value"],
        "state": [],
    }
    return requests.post(f"{base}/_dash-update-component", json=payload, timeout=30)


@pytest.mark.parametrize("place", HOSTILE)
def test_a_forged_place_gets_the_default_view(live_server, place):
    callback = _render_callback(live_server)
    response = _post(
        live_server,
        callback,
        {"filter-place": place, "filter-dates": "not-a-date", "breakdown-sort": "'; --"},
    )
    assert response.status_code == 200, response.text[:300]
    heading = response.json()["response"]["place-heading"]["children"]
    assert heading.startswith("Syrian Arab Republic")
    assert "Traceback" not in response.text


def test_forged_dates_and_district_are_ignored(live_server):
    callback = _render_callback(live_server)
    response = _post(
        live_server,
        callback,
        {"filter-place": "SY07", "filter-district": "SY9999", "filter-dates": ["2020", None]},
    )
    assert response.status_code == 200
    assert response.json()["response"]["place-heading"]["children"].startswith("Idleb")
