"""`python -m dashboard [--host H] [--port P]`: serve the dashboard.

`python -m dashboard brief ...` writes a briefing pack instead (`--help` for its options).
"""

import argparse
import sys
import time

from dashboard.settings import DashboardSettings


def serve(argv: list[str]) -> None:
    """Parse the options and serve."""
    from dashboard.app import create_app, settle_for_serving

    defaults = DashboardSettings()
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    parser.add_argument("--host", default=defaults.host, help=f"default {defaults.host}")
    parser.add_argument("--port", type=int, default=defaults.port, help=f"default {defaults.port}")
    args = parser.parse_args(argv)
    settings = defaults.model_copy(update={"host": args.host, "port": args.port})
    print("Reading the store: the first view and every place's figures…", flush=True)
    started = time.perf_counter()
    app = create_app(settings, warm=True)
    settle_for_serving()
    packed = app.server.extensions["dashboard.packed"]
    kept = f", {packed.size() / 1e6:.0f} MB of places' figures kept" if packed else ""
    print(f"Read in {time.perf_counter() - started:.1f} s{kept}.")
    print(f"Serving on http://{settings.host}:{settings.port}/")
    app.run(host=settings.host, port=settings.port, debug=settings.debug)


def main() -> None:
    """Serve, or write a briefing pack with `brief`."""
    argv = sys.argv[1:]
    if argv[:1] == ["brief"]:
        from dashboard.briefing.command import main as brief

        sys.exit(brief(argv[1:]))
    serve(argv)


if __name__ == "__main__":
    main()
