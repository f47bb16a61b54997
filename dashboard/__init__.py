"""The Dash app: headline figures, time series, breakdowns and CSV export, with sources."""
