"""`python -m ingest --label KEY=VALUE`: labels are recorded on the load and reach the benchmark and
test marts; bad syntax is a usage error; a warehouse made before labels existed gets the column."""

from __future__ import annotations

import duckdb

from conftest import ROOT, ndjson, query, run_dbt, run_ingest, write

FIXTURES = ROOT / "tests" / "fixtures"


def test_labels_are_recorded_on_the_load_and_reach_the_marts(tmp_path):
    db = tmp_path / "w.duckdb"
    tricky = 'it\'s; drop table raw.loads; --\n"ünïcode" = yes'
    proc = run_ingest(
        db,
        FIXTURES / "benchmark_results.ndjson",
        args=[
            "--label",
            "commit=abc123",
            "--label",
            "branch=feature/x",
            "--label",
            "machine=gpu-box-1",
            "--label",
            "ci_run=42",
            "--label",
            f"note={tricky}",
            "--label",
            "empty=",
        ],
    )
    assert proc.returncode == 0, proc.stderr
    assert query(db, "select labels from raw.loads") == [
        (
            {
                "commit": "abc123",
                "branch": "feature/x",
                "machine": "gpu-box-1",
                "ci_run": "42",
                "note": tricky,
                "empty": "",
            },
        )
    ]
    assert run_ingest(db, FIXTURES / "generator_events.ndjson").returncode == 0  # no labels

    build = run_dbt(
        db, tmp_path, "build", "-s", "+benchmark_results", "+test_results", "--indirect-selection", "cautious"
    )
    assert build.returncode == 0, build.stdout[-4000:]
    rows = query(
        db, "select distinct commit_sha, branch, machine_name, ci_run_id, labels['note'] from marts.benchmark_results"
    )
    assert rows == [("abc123", "feature/x", "gpu-box-1", "42", tricky)]
    assert query(db, "select labels, commit_sha from staging.stg_raw__loads order by load_id") == [
        (
            {
                "commit": "abc123",
                "branch": "feature/x",
                "machine": "gpu-box-1",
                "ci_run": "42",
                "note": tricky,
                "empty": "",
            },
            "abc123",
        ),
        ({}, None),
    ]


def test_a_label_without_key_or_equals_sign_is_a_usage_error(tmp_path):
    db = tmp_path / "w.duckdb"
    for bad in ("commit", "=abc"):
        proc = run_ingest(db, FIXTURES / "benchmark_results.ndjson", args=["--label", bad])
        assert proc.returncode == 2, proc.stderr
        assert "KEY=VALUE" in proc.stderr
    assert not db.exists()


def test_a_warehouse_made_before_labels_gets_the_column(tmp_path):
    db = tmp_path / "old.duckdb"
    data = write(tmp_path / "one.ndjson", ndjson([{"model_name": "m", "hardware_type": "cpu"}]))
    assert run_ingest(db, data).returncode == 0
    con = duckdb.connect(str(db))
    con.execute("alter table raw.loads drop column labels")
    con.close()
    proc = run_ingest(
        db,
        write(tmp_path / "two.ndjson", ndjson([{"model_name": "n", "hardware_type": "cpu"}])),
        args=["--label", "commit=def"],
    )
    assert proc.returncode == 0, proc.stderr
    assert query(db, "select labels from raw.loads order by load_id") == [(None,), ({"commit": "def"},)]
