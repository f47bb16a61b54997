"""Benchmarks of the ETL, the dashboard's callbacks and its first page load (`make bench`)."""
