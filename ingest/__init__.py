"""Land raw task-event and benchmark JSON into append-only DuckDB tables."""

DEFAULT_DB_PATH = "data/analytics.duckdb"
