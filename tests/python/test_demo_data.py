"""The demo data of `make demo`: dated relative to the day it is generated, deterministic for a given
base date, and the README's "last 30 days" queries return rows on it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import ROOT, query, run_dbt, run_ingest
from test_generator_marts import readme_queries

GENERATE = ROOT / "examples" / "generate_demo_data.py"


def generate(outdir: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(GENERATE), str(outdir), *args], cwd=ROOT, check=True, capture_output=True, timeout=120
    )


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_base_date_same_bytes_and_the_dates_follow_it(tmp_path):
    generate(tmp_path / "a", "--base-date", "2025-03-10")
    generate(tmp_path / "b", "--base-date", "2025-03-10")
    generate(tmp_path / "c", "--base-date", "2025-04-10")
    assert contents(tmp_path / "a") == contents(tmp_path / "b")
    assert contents(tmp_path / "a") != contents(tmp_path / "c")
    assert max(p.name for p in (tmp_path / "c" / "benchmarks").iterdir()) == (
        "benchmark_results_20250409.ndjson"
    )  # the night before the base date


def test_readme_last_30_days_queries_return_rows_on_todays_demo(tmp_path):
    """What a newcomer sees: `make demo` (default base date), then any 30-day query of the README."""
    demo, db = tmp_path / "example", tmp_path / "demo.duckdb"
    generate(demo)
    assert run_ingest(db, demo).returncode == 0
    build = run_dbt(
        db,
        tmp_path,
        "build",
        "--select",
        "+generator_tasks +daily_task_stats +benchmark_results",
        "--exclude-resource-type",
        "test",
        "unit_test",
    )  # models and seeds
    assert build.returncode == 0, build.stdout[-4000:]

    recent = [sql for sql in readme_queries() if "interval 30 day" in sql]
    assert len(recent) == 5
    assert [sql for sql in recent if not query(db, sql)] == []
    # the latest benchmark night is last night
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert query(db, "select max(run_at)::date from marts.benchmark_results") == [(yesterday,)]


def make_demo_commands(demo_data: Path) -> str:
    """What `make demo` would run (make -n: print, don't run)."""
    env = {key: value for key, value in os.environ.items() if key != "DUCKDB_PATH"}
    return subprocess.run(
        ["make", "-n", "demo", f"DEMO_DATA={demo_data}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    ).stdout


def test_make_demo_generates_its_data_once(tmp_path):
    """A later `make demo` must not land a second copy of the demo dated to the new day."""
    demo_data = tmp_path / "example"
    assert "generate_demo_data.py" in make_demo_commands(demo_data)
    generate(demo_data)
    demo_data.with_name(demo_data.name + ".generated").touch()  # the stamp make writes beside the folder
    commands = make_demo_commands(demo_data)
    assert "generate_demo_data.py" not in commands
    assert f"-m ingest --db data/analytics.duckdb {demo_data}" in commands
