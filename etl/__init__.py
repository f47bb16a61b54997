"""The data layer: sources, pipeline, store, run log, export and the `python -m etl` CLI."""
