"""Print a short summary of the marts (what `make demo` shows at the end). Opens the file read-only."""

from __future__ import annotations

import sys

import duckdb

QUERIES = {
    "Tasks by status": """
        select status, count(*) as tasks from marts.generator_tasks group by status order by tasks desc
    """,
    "Models": """
        select model_name, total_tasks as total, completed_tasks as ok, failed_tasks as failed,
               running_tasks as running, round(p50_duration, 1) as p50_s
        from marts.model_stats order by total_tasks desc
    """,
    "Batches": """
        select left(description, 28) as batch, task_count as tasks, completed_tasks as ok,
               failed_tasks as failed, running_tasks as running, status
        from marts.generator_batch_tasks order by started_at
    """,
    "Performance regressions in the latest runs": """
        select model_name, hardware_type as hw, batch_size as batch, precision, metric,
               round(change_pct, 1) as change_pct, severity
        from marts.performance_regressions where is_regression order by abs(change_pct) desc
    """,
    "Slowest steps (median seconds)": """
        select step_name, count(*) as steps, round(median(duration), 2) as p50_s
        from marts.generator_task_steps group by step_name order by p50_s desc nulls last limit 5
    """,
}


def main(db_path: str) -> int:
    with duckdb.connect(db_path, read_only=True) as con:
        for title, sql in QUERIES.items():
            print(f"\n== {title}")
            con.sql(sql).show(max_width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "data/analytics.duckdb"))
