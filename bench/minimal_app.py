"""The comparison app: a minimal Dash app with one graph and a no-op callback.

Configured as the dashboard is (assets served locally, responses compressed), so a comparison
with it measures the dashboard's own weight, not Dash's defaults.
`python -m bench.minimal_app --port P` serves it on 127.0.0.1.
"""

import argparse

import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html


def create_app() -> Dash:
    """One dropdown, one graph filled by a callback, one button with a no-op callback."""
    app = Dash(__name__, title="Minimal", serve_locally=True, compress=True)
    app.layout = html.Div(
        [
            html.H1("Minimal Dash app"),
            dcc.Dropdown(id="choice", options=["a", "b"], value="a", clearable=False),
            dcc.Graph(id="graph"),
            html.Button("No-op", id="button"),
            html.Div(id="out"),
        ]
    )

    @app.callback(Output("out", "children"), Input("button", "n_clicks"))
    def noop(clicks):
        return f"clicked {clicks or 0}"

    @app.callback(Output("graph", "figure"), Input("choice", "value"))
    def graph(choice):
        ys = [1, 3, 2, 4, 3, 5] if choice == "a" else [5, 3, 4, 2, 3, 1]
        return go.Figure(go.Scatter(x=list(range(len(ys))), y=ys, mode="lines+markers"))

    return app


def main() -> None:
    """Serve on 127.0.0.1."""
    parser = argparse.ArgumentParser(prog="python -m bench.minimal_app")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    create_app().run(host="127.0.0.1", port=args.port, debug=False)


if __name__ == "__main__":
    main()
