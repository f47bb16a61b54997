"""The dashboard's HTTP surface without a browser: sign-in, security headers, /healthz."""

import base64
import gzip
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from dashboard import data, place_tree, vendor
from dashboard.app import create_app
from dashboard.settings import DashboardSettings
from dashboard.state import ViewState
from etl.pipeline import import_hxl
from etl.store import Store, open_store, reads
from tests.factories import good_file


def _client(store, **settings):
    app = create_app(DashboardSettings(database_url=store.url, **settings), store=store)
    return app.server.test_client()


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def basic_client(store):
    users = f"alice={generate_password_hash('correct horse')}"
    return _client(store, auth="basic", users=users)


@pytest.mark.parametrize("path", ["/", "/_dash-layout", "/_dash-dependencies"])
def test_without_credentials_nothing_is_served(basic_client, path):
    response = basic_client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert b"Idleb" not in response.data


def test_callbacks_need_credentials_too(basic_client):
    response = basic_client.post("/_dash-update-component", json={"output": "x.children"})
    assert response.status_code == 401


def test_a_wrong_password_is_refused(basic_client):
    assert basic_client.get("/", headers=_basic("alice", "wrong")).status_code == 401
    assert basic_client.get("/", headers=_basic("mallory", "correct horse")).status_code == 401


def test_the_right_password_opens_the_page(basic_client):
    response = basic_client.get("/_dash-layout", headers=_basic("alice", "correct horse"))
    assert response.status_code == 200
    assert b"filter-place" in response.data


def test_healthz_answers_everyone_but_details_only_to_users(basic_client):
    anonymous = basic_client.get("/healthz")
    assert anonymous.status_code == 200
    assert anonymous.get_json() == {"status": "ok"}
    signed = basic_client.get("/healthz", headers=_basic("alice", "correct horse"))
    assert "sources" in signed.get_json()


def test_a_proxy_header_signs_in(store):
    client = _client(store, auth="proxy", auth_header="X-Forwarded-User")
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout", headers={"X-Forwarded-User": "bob"}).status_code == 200


def test_open_by_default_with_security_headers(store):
    response = _client(store).get("/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_reports_the_last_load_of_each_source(store, tmp_path):
    from etl.pipeline import import_hxl
    from tests.factories import good_file

    assert import_hxl(store, good_file(tmp_path)).ok
    body = _client(store).get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["sources"]["hxl"]["last_loaded"] is not None


def test_an_unknown_auth_mode_refuses_to_start(store):
    with pytest.raises(ValueError, match="DASHBOARD_AUTH"):
        _client(store, auth="magic")


def test_the_page_loads_the_cartesian_plotly_bundle_gzipped_and_not_the_full_one(store):
    client = _client(store)
    page = client.get("/").get_data(as_text=True)
    assert f'src="{vendor.ROUTE}"' in page
    assert (
        "plotly.min.js" not in page
    )  # Dash's full bundle is left to dcc.Graph, which finds Plotly
    packed = client.get(vendor.ROUTE, headers={"Accept-Encoding": "gzip, br"})
    assert packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(packed.get_data())
    assert body.startswith(b"/**\n* plotly.js (cartesian - minified) v4.1.1")
    assert len(packed.get_data()) < len(body) / 2
    plain = client.get(vendor.ROUTE)
    assert "Content-Encoding" not in plain.headers and plain.get_data() == body


def test_a_server_draws_the_country_view_before_its_first_visitor(store, tmp_path, monkeypatch):
    assert import_hxl(store, good_file(tmp_path)).ok
    drawn = []
    real = data.view
    monkeypatch.setattr(data, "view", lambda *args: drawn.append(args[2]) or real(*args))
    settings = DashboardSettings(database_url=store.url)
    create_app(settings, store=store)
    assert drawn == []  # an app for tests or tools reads nothing until asked
    create_app(settings, store=store, warm=True)
    start, end = reads.date_extent(store.engine)
    landing = data.reference(store).default_view
    assert landing.place != "SY"  # the file's figures are below the country
    assert drawn == [landing, ViewState("SY", None, start, end)]


def _record_calls(
    monkeypatch: pytest.MonkeyPatch, name: str, what: Callable[[Any], object]
) -> list[object]:
    """`what` of the place each call to `data.<name>` is given; the call still does its work."""
    calls: list[object] = []
    real = getattr(data, name)

    def recorded(store: Store, place: Any, *rest: Any) -> object:
        calls.append(what(place))
        return real(store, place, *rest)

    monkeypatch.setattr(data, name, recorded)
    return calls


def test_a_server_reads_the_places_of_its_menu_before_its_first_visitor(
    store, tmp_path, monkeypatch
):
    assert import_hxl(store, good_file(tmp_path)).ok
    read = _record_calls(monkeypatch, "place_figures", lambda pcode: pcode)
    # Nothing packed beyond the menu (tests/integration/test_packed_places.py packs).
    settings = DashboardSettings(database_url=store.url, pack_places=0)
    create_app(settings, store=store, warm=True)
    menu = place_tree.menu_places(reads.places(store.engine))["pcode"]
    assert len(menu) >= 3 and sorted(read) == sorted(menu)  # each once: the country was drawn
    read.clear()
    create_app(settings.model_copy(update={"warm_places": 0}), store=store, warm=True)
    # Only what the landing view and the country's view need.
    assert read == [data.reference(store).default_view.selected, "SY"]


def test_a_server_adds_up_the_units_of_each_governorate_of_its_menu_before_its_first_visitor(
    store, tmp_path, monkeypatch
):
    assert import_hxl(store, good_file(tmp_path)).ok
    summed = _record_calls(monkeypatch, "place_sums", lambda place: place["pcode"])
    create_app(DashboardSettings(database_url=store.url), store=store, warm=True)
    places = reads.places(store.engine)
    menu = place_tree.menu_places(places)
    governorates = menu.loc[menu["admin_level"] == 1, "pcode"]
    assert len(governorates) >= 2
    # Each governorate once; a country's sums (every figure) only if its view needs them.
    assert set(governorates) <= set(summed) and len(summed) == len(set(summed))


def test_a_server_starts_while_its_store_is_away(tmp_path, monkeypatch):
    store = open_store(f"sqlite:///{tmp_path / 'gone.db'}")
    store.dispose()
    (tmp_path / "gone.db").unlink()
    (tmp_path / "gone.db").mkdir()  # a folder where the file was: every read fails
    app = create_app(DashboardSettings(database_url=store.url), store=store, warm=True)
    assert app.server.test_client().get("/healthz").status_code == 503


def test_a_page_load_reads_the_gazetteer_through_the_cache(store, tmp_path, monkeypatch):
    assert import_hxl(store, good_file(tmp_path)).ok
    read = []
    real = data.reference
    monkeypatch.setattr(data, "reference", lambda s: read.append(1) or real(s))
    client = _client(store)
    for _ in range(3):
        response = client.get("/_dash-layout")
        assert response.status_code == 200 and b"filter-place" in response.data
    # The landing view is worked out over every figure: once per data version, not per load.
    assert len(read) == 1
