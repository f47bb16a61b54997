"""`python -m dashboard [--host H] [--port P]`: serve the dashboard."""

import argparse

from dashboard.app import create_app, settle_for_serving
from dashboard.settings import DashboardSettings


def main() -> None:
    """Parse the options and serve."""
    defaults = DashboardSettings()
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    parser.add_argument("--host", default=defaults.host, help=f"default {defaults.host}")
    parser.add_argument("--port", type=int, default=defaults.port, help=f"default {defaults.port}")
    args = parser.parse_args()
    settings = defaults.model_copy(update={"host": args.host, "port": args.port})
    app = create_app(settings, warm=True)
    settle_for_serving()
    print(f"Serving on http://{settings.host}:{settings.port}/")
    app.run(host=settings.host, port=settings.port, debug=settings.debug)


if __name__ == "__main__":
    main()
