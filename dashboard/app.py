"""The app factory; `dashboard.app:server` is the WSGI app for gunicorn."""

import gc
from pathlib import Path

from dash import Dash
from flask import jsonify, request

from dashboard import callbacks, data, frame_rows, layout, vendor
from dashboard.cache import make_cache
from dashboard.packed import PackedPlaces
from dashboard.reader import Reader
from dashboard.security import parse_users, protect
from dashboard.settings import DashboardSettings
from etl.store import Store, StoreError, open_store

ASSETS = Path(__file__).parent / "assets"


def create_app(
    settings: DashboardSettings | None = None, store: Store | None = None, *, warm: bool = False
) -> Dash:
    """Build the Dash app over a store; nothing is read until a page is requested, unless
    `warm`: then the first view visitors see is drawn once, into the cache, and the places'
    figures are packed (`DashboardSettings.pack_places`; for a server)."""
    settings = settings or DashboardSettings()
    store = store or open_store(settings.database_url)
    app = Dash(
        __name__,
        title="Displacement dashboard",
        assets_folder=str(ASSETS),
        serve_locally=True,
        compress=True,
        external_scripts=[vendor.ROUTE],
    )
    vendor.register_plotly_bundle(app.server)
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)
    cache = make_cache(app.server, settings.cache_url)
    packed = PackedPlaces() if settings.pack_places > 0 else None
    reader = Reader(store, settings, cache, packed)
    app.server.extensions["dashboard.store"] = store
    app.server.extensions["dashboard.packed"] = packed
    app.layout = lambda: layout.page(*reader.page_data())
    warm_up = callbacks.register(app, reader)

    if settings.auth not in (None, "", "basic", "proxy"):
        raise ValueError(f"DASHBOARD_AUTH={settings.auth!r}: use basic or proxy, or leave it unset")
    protect(
        app.server,
        mode=settings.auth or None,
        users=parse_users(settings.users),
        header=settings.auth_header,
        script_hashes=app.csp_hashes(),
    )

    @app.server.route("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        try:
            loads = data.freshness(store)
        except StoreError:
            return jsonify(status="unavailable", sources={}), 503
        if settings.auth and request.environ.get("dashboard.user") is None:
            return jsonify(status="ok")
        sources = {
            row.source: {
                "last_loaded": row.last_loaded.isoformat() if row.last_loaded else None,
                "last_failed": row.last_failed.isoformat() if row.last_failed else None,
            }
            for row in frame_rows.rows(loads)
        }
        return jsonify(status="ok", sources=sources)

    if warm:
        with app.server.app_context():
            warm_up()
    return app


def settle_for_serving() -> None:
    """Tune the garbage collector for a long-running server, once the app is built.

    The modules and the app itself are hundreds of thousands of objects that live as long as
    the process; every full collection walked them all, a tenth of a filter change measured
    on the national view. Frozen, they are left out, and collections come less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def release_connections() -> None:
    """Close the served app's database connections, for gunicorn's master before it forks.

    A worker forked from the master that built and warmed the app inherits its cache, and
    must open connections of its own: two processes on one connection corrupt it. The pool
    opens new ones on the next read.
    """
    built = globals().get("server")
    if built is not None:
        built.extensions["dashboard.store"].engine.dispose()


def __getattr__(name: str) -> object:
    # `gunicorn dashboard.app:server` builds the app on first use, not at import.
    if name in ("app", "server"):
        built = create_app(warm=True)
        settle_for_serving()
        globals().update(app=built, server=built.server)
        return globals()[name]
    raise AttributeError(name)
