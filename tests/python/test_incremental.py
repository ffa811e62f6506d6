"""An incremental `dbt build` after new loads gives exactly the marts a full refresh gives, on data
with late (earlier-dated) events, duplicates, tombstones and restarts."""

from __future__ import annotations

import duckdb

from conftest import REALDATA, ROOT, needs_realdata, query, run_dbt, run_ingest

FIXTURES = ROOT / "tests" / "fixtures"


def marts(db) -> list[str]:
    return [
        name
        for (name,) in query(
            db, "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        )
    ]


def snapshot(db, work, name: str):
    """Copy every mart into a table of a side database, to compare after the next build."""
    side = work / f"{name}.duckdb"
    con = duckdb.connect(str(side))
    try:
        # under its own name: the views among the marts refer to it
        con.execute(f"attach '{db}' as {db.stem} (read_only)")
        for mart in marts(db):
            con.execute(f"create table {mart} as select * from {db.stem}.marts.{mart}")
    finally:
        con.close()
    return side


def differences(db, side) -> dict[str, tuple[int, int]]:
    """Per mart: rows only in the warehouse, rows only in the snapshot (except, both ways)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"attach '{side}' as side (read_only)")
        found = {}
        for mart in marts(db):
            only_now = con.execute(
                f"select count(*) from (select * from marts.{mart} except all select * from side.{mart})"
            ).fetchall()[0][0]
            only_then = con.execute(
                f"select count(*) from (select * from side.{mart} except all select * from marts.{mart})"
            ).fetchall()[0][0]
            if only_now or only_then:
                found[mart] = (only_now, only_then)
        return found
    finally:
        con.close()


def build(db, work, *args) -> None:
    proc = run_dbt(db, work, "build", *args)
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_incremental_build_equals_full_refresh(tmp_path):
    db = tmp_path / "w.duckdb"
    assert (
        run_ingest(
            db,
            FIXTURES / "generator_events.ndjson",
            FIXTURES / "upstream_export.json",
            FIXTURES / "benchmark_results.ndjson",
        ).returncode
        == 0
    )
    build(db, tmp_path)
    before = query(db, "select task_id, status from marts.generator_tasks order by task_id")
    first_documents_max = query(db, "select max(load_id) from raw.documents")[0][0]

    # new loads: late events for existing tasks, a duplicate, tombstones, a restart, a new task
    assert run_ingest(db, ROOT / "tests" / "fixtures_late").returncode == 0
    build(db, tmp_path)
    incremental = snapshot(db, tmp_path, "incremental")

    # each model read only the loads after its watermark, written into its SQL as a number (so DuckDB
    # filters the raw scan), and recorded the load its input reached, rows or none
    shapes_max = query(db, "select max(load_id) from staging.int_benchmark_document_shapes")[0][0]
    results_max = query(db, "select max(load_id) from marts.benchmark_results")[0][0]
    documents_max = query(db, "select max(load_id) from staging.stg_raw__documents")[0][0]
    watermarks = query(db, "select model_name, read_through_load_id from staging.incremental_watermarks")
    # the alerts and regressions marts record the version of the tails they read
    tails_version = query(db, "select max(tail_version) from staging.int_performance_series_tails")[0][0]
    assert dict(watermarks) == {
        "benchmark_results": shapes_max,
        "test_results": shapes_max,
        "unrecognized_documents": shapes_max,
        "latest_performance": results_max,
        "int_performance_series_tails": results_max,
        "performance_alerts": tails_version,
        "performance_regressions": tails_version,
        "int_generator_exports_filtered": documents_max,
    }
    compiled = (
        tmp_path / "target" / "compiled" / "ml_analytics" / "models" / "marts" / "benchmarks" / "test_results.sql"
    ).read_text(encoding="utf-8")
    assert f"load_id > {first_documents_max}" in compiled

    # the incremental run really changed things
    after = query(db, "select task_id, status from marts.generator_tasks order by task_id")
    assert after != before
    assert ("t2", "error") in before and "t2" not in {t for t, _ in after}  # deleted
    assert ("t5", "completed") in after and ("t8", "running") in after  # restarted, new
    assert ("t7", "error") in after  # a late update of an existing task
    assert query(db, "select step_name from marts.generator_task_steps where task_id = 't3' order by started_at") == [
        ("load_template",),
        ("validate",),
    ]
    assert query(db, "select batch_id from marts.generator_tasks where task_id = 'legacy-1'") == [
        (None,)
    ]  # its batch was deleted: no task event, yet the task row changed
    # b5, landed with the late events, lists t3 (whose events landed before), t5 and t8 (which name
    # no batch, or b1); a task's own batch_id wins, and the conflict is listed by a warn-level test
    assert query(
        db,
        "select task_id, batch_id from marts.generator_tasks "
        "where task_id in ('t3', 't5', 't8', 't9') order by task_id",
    ) == [("t3", "b5"), ("t5", "b1"), ("t8", "b5"), ("t9", "b4")]
    assert query(db, "select * from test_failures.tasks_listed_by_another_batch") == [("t5", "b1", "b5")]

    # benchmark rows: an earlier day landed late joins its series; a re-upload is kept once
    assert query(db, "select count(*), count(distinct measurement_id) from marts.benchmark_results") == [(50, 50)]
    assert query(db, "select min(series_run_count) from marts.latest_performance") == [(5,)]

    build(db, tmp_path, "--full-refresh")
    assert differences(db, incremental) == {}


@needs_realdata
def test_a_measurement_reported_again_replaces_its_stored_values(tmp_path):
    """A batch benchmark lands first; later the standalone document of one of its runs, which wins
    (benchmark_results keeps the standalone report). The series' stored latest row and regression
    values name a result that is gone: the incremental build must drop it, not count it twice."""
    db = tmp_path / "w.duckdb"
    batch = REALDATA / "test__benchmark_results__batch_benchmarks_cpu_20250306_174843.json"
    standalone = REALDATA / "test__benchmark_results__direct_benchmark_bert-base-uncased_cpu_20250306_174825.json"
    series = "where model_name = 'bert-base-uncased' and hardware_type = 'cpu' and batch_size = 1"
    assert run_ingest(db, batch).returncode == 0
    build(db, tmp_path)
    [(old_result, old_format)] = query(db, f"select result_id, source_format from marts.latest_performance {series}")
    assert old_format == "batch_benchmark"

    assert run_ingest(db, standalone).returncode == 0
    build(db, tmp_path)
    [(new_result, new_format, runs)] = query(
        db, f"select result_id, source_format, series_run_count from marts.latest_performance {series}"
    )
    assert (new_format, runs) == ("direct_benchmark", 1) and new_result != old_result
    assert query(
        db,
        f"select metric, current_result_id, baseline_runs, len(recent_values) "
        f"from marts.performance_regressions {series} order by metric",
    ) == [(metric, new_result, 0, 1) for metric in ("latency", "memory", "throughput")]
    incremental = snapshot(db, tmp_path, "incremental")

    build(db, tmp_path, "--full-refresh")
    assert differences(db, incremental) == {}
