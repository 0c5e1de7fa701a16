"""coachlens pipelines: synthetic data, ingestion, scoring and the DuckDB warehouse."""

__version__ = "0.1.0"
