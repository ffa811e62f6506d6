"""The warehouse as the report reads it: one read-only connection, the relations it has, the window."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ingest.lake import LakeUnavailable, connect_lake, is_lake, open_duckdb


class WarehouseError(Exception):
    """The database cannot be read (missing file, held by a writer, not a warehouse)."""


@dataclass(frozen=True)
class Window:
    """The report's time window: the ``days`` days up to ``end`` (UTC, naive like the marts)."""

    start: datetime
    end: datetime
    days: int

    def describe(self) -> str:
        return f"the {self.days} days to {self.end:%Y-%m-%d %H:%M} UTC"

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end}


class Warehouse:
    """A read-only view of the marts. Queries return lists of dicts with JSON-ready values."""

    def __init__(self, path: Path | str) -> None:
        if is_lake(str(path)):  # DuckLake: attached read-only (writers may run meanwhile)
            try:
                self.con = connect_lake(str(path), read_only=True)
            except LakeUnavailable as error:
                raise WarehouseError(str(error)) from error
        else:
            self.con = self._open_file(Path(path))
        self.con.execute("set enable_progress_bar = false")
        self.path = path
        self._relations = {
            f"{schema}.{name}"
            for schema, name in self.con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }

    @staticmethod
    def _open_file(path: Path) -> duckdb.DuckDBPyConnection:
        if not path.is_file():
            raise WarehouseError(f"{path}: no such database file (run `make demo`, or ingest and `dbt build`)")
        try:
            return open_duckdb(str(path), read_only=True)
        except duckdb.Error as error:
            raise WarehouseError(f"{path}: cannot open read-only ({error}); is a writer holding it?") from error

    def close(self) -> None:
        self.con.close()

    def has(self, relation: str) -> bool:
        """Whether ``schema.name`` exists (a table or a view)."""
        return relation in self._relations

    def _execute(self, sql: str, params: dict[str, Any] | None) -> duckdb.DuckDBPyConnection:
        """Run ``sql`` with those of ``params`` it names (``$name``; DuckDB refuses unused ones)."""
        return self.con.execute(sql, {k: v for k, v in (params or {}).items() if f"${k}" in sql})

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self._execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, map(_plain, row), strict=True)) for row in cursor.fetchall()]

    def value(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        row = self._execute(sql, params).fetchone()
        return None if row is None else row[0]

    def window(self, days: int) -> Window:
        """The ``days`` days up to the newest benchmark run or task start in the marts (not the clock, so
        a warehouse last fed a month ago still shows its last ``days`` days); now when both are empty.
        A run dated only by its load time (``run_at_source = 'loaded_at'``) does not move the window."""
        newest = [
            self.value(sql)
            for relation, sql in (
                (
                    "marts.benchmark_results",
                    "select max(run_at) from marts.benchmark_results where run_at_source <> 'loaded_at'",
                ),
                ("marts.generator_tasks", "select max(started_at) from marts.generator_tasks"),
            )
            if self.has(relation)
        ]
        newest = [moment for moment in newest if moment is not None]
        end = max(newest) if newest else datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        return Window(start=end - timedelta(days=days), end=end, days=days)


def _plain(value: Any) -> Any:
    """DuckDB values as JSON-ready Python values: times as text (ISO, UTC), decimals as floats."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "is_finite") and not isinstance(value, float):  # Decimal
        return float(value)
    if isinstance(value, float) and math.isnan(value):  # NaN is not JSON
        return None
    return value
