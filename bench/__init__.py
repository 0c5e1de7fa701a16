"""`make bench`: coachlens at 250,000 people against a bare DuckDB load and a pandas script."""
