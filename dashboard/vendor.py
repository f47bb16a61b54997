"""plotly.js for the page: the official cartesian partial bundle, served gzipped.

Every chart here is cartesian (scatter and bar on x/y axes, the map included), so the
cartesian bundle (npm `plotly.js-cartesian-dist-min` 4.1.1, MIT, in `dashboard/vendor/`, the
same plotly.js version as the `plotly` package) draws them all at a third of the full bundle's
bytes. Loaded before Dash's own scripts, it defines `window.Plotly`, so dcc.Graph never fetches
the full bundle.
"""

import functools
import gzip
from pathlib import Path

from flask import Flask, Response, request

BUNDLE = Path(__file__).parent / "vendor" / "plotly-cartesian.min.js"
ROUTE = "/_vendor/plotly-cartesian-4.1.1.min.js"


@functools.cache
def _bodies() -> tuple[bytes, bytes]:
    raw = BUNDLE.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0)


def register_plotly_bundle(server: Flask) -> str:
    """Serve the bundle at ROUTE (gzipped when the browser accepts it); returns the path."""

    @server.route(ROUTE)
    def plotly_bundle() -> Response:
        raw, packed = _bodies()
        gz = "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(packed if gz else raw, mimetype="text/javascript")
        if gz:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        # The file name carries the version: a new bundle is a new URL.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    return ROUTE
