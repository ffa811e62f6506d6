"""The generator marts after a real `dbt build` over tests/fixtures: values, tombstones, README SQL."""

from __future__ import annotations

import duckdb
import pytest

from conftest import (
    GENERATOR_MARTS,
    ROOT,
    event,
    minified,
    ndjson,
    query,
    readme_code_blocks,
    run_dbt,
    run_ingest,
    write,
)


def test_tasks_fold_latest_state(built_fixture_db):
    rows = query(
        built_fixture_db,
        """
        select task_id, model_name, hardware, status, progress, current_step, error, batch_id,
               started_at::varchar, completed_at::varchar, duration, step_count, metric_count
        from marts.generator_tasks order by task_id""",
    )
    assert rows == [
        (
            "legacy-1",
            "bert-base-uncased",
            ["cpu"],
            "completed",
            1.0,
            "write_output",
            None,
            "legacy-b",
            "2026-10-14 10:00:00",
            "2026-10-14 10:05:00",
            300.0,
            1,
            2,
        ),
        (
            "t1",
            "bert-base-uncased",
            ["cpu", "cuda"],
            "completed",
            1.0,
            "render",
            None,
            "b1",
            "2026-11-01 09:00:01",
            "2026-11-01 09:00:41",
            40.0,
            2,
            5,
        ),
        # names no batch; b4 lists it in task_ids
        ("t10", "clip", ["cpu"], "initializing", 0.0, None, None, "b4", "2026-11-05 08:00:02", None, None, 0, 0),
        (
            "t2",
            "t5-small",
            ["rocm"],
            "error",
            1.0,
            "render",
            "template render failed",
            "b1",
            "2026-11-01 09:01:00",
            "2026-11-01 09:02:00",
            55.5,
            1,
            1,
        ),
        # occurred_at with +02:00 is converted; the event's own started_at wins
        (
            "t3",
            "vit-base",
            ["openvino"],
            "running",
            0.3,
            "validate",
            None,
            None,
            "2026-11-02 07:59:00",
            None,
            None,
            1,
            0,
        ),
        # deleted, then started afresh on other hardware
        (
            "t4",
            "whisper-tiny",
            ["webnn"],
            "initializing",
            0.0,
            None,
            None,
            None,
            "2026-11-03 12:00:00",
            None,
            None,
            0,
            0,
        ),
        # its batch b3 was deleted without its tasks: the task stays, its batch_id is cleared
        ("t7", "clip", None, "initializing", 0.0, None, None, None, "2026-11-04 09:00:05", None, None, 0, 0),
        (
            "t9",
            "vit-base",
            ["cuda"],
            "completed",
            1.0,
            None,
            None,
            "b4",
            "2026-11-05 08:00:01",
            "2026-11-05 08:01:01",
            60.0,
            0,
            1,
        ),
    ]


def test_deleted_tasks_and_batches_are_gone_from_every_mart(built_fixture_db):
    for mart in ("generator_tasks", "generator_task_steps", "generator_task_metrics", "generator_task_tags"):
        assert query(built_fixture_db, f"select count(*) from marts.{mart} where task_id in ('t5', 't6')") == [(0,)], (
            mart
        )
    assert query(built_fixture_db, "select batch_id from marts.generator_batch_tasks order by batch_id") == [
        ("b1",),
        ("b4",),
        ("legacy-b",),
    ]


def test_batches_steps_metrics_and_stats(built_fixture_db):
    assert query(
        built_fixture_db,
        """
        select batch_id, task_count, actual_task_count, completed_tasks, failed_tasks, running_tasks,
               status, duration
        from marts.generator_batch_tasks order by batch_id""",
    ) == [
        ("b1", 2, 2, 1, 1, 0, "partial", 120.0),
        ("b4", 2, 2, 1, 0, 1, "running", None),
        ("legacy-b", 1, 1, 1, 0, 0, "completed", 360.0),
    ]
    assert query(
        built_fixture_db,
        """
        select step_name, status, duration from marts.generator_task_steps
        where task_id = 't1' order by started_at""",
    ) == [("load_template", "completed", 10.0), ("render", "completed", 20.0)]
    assert query(
        built_fixture_db,
        """
        select metric_name, metric_value, metric_unit from marts.generator_task_metrics
        where task_id = 't1' order by metric_name""",
    ) == [
        ("duration", 40.0, "seconds"),
        ("model_info.layers", 12.0, None),
        ("model_info.parameters", 110000000.0, None),
        ("render_ms", 20.0, "ms"),
        ("tokens", 300.0, None),
    ]
    assert query(
        built_fixture_db,
        """
        select tag_name, tag_value from marts.generator_task_tags
        where task_id = 't1' order by tag_name""",
    ) == [("priority", "low"), ("team", "nlp")]
    assert query(
        built_fixture_db,
        """
        select model_name, total_tasks, completed_tasks, failed_tasks, running_tasks, success_rate
        from marts.model_stats order by model_name""",
    ) == [
        ("bert-base-uncased", 2, 2, 0, 0, 1.0),
        ("clip", 2, 0, 0, 2, None),
        ("t5-small", 1, 0, 1, 0, 0.0),
        ("vit-base", 2, 1, 0, 1, 1.0),
        ("whisper-tiny", 1, 0, 0, 1, None),
    ]
    assert query(
        built_fixture_db,
        """
        select hardware_type, total_tasks from marts.hardware_stats order by hardware_type""",
    ) == [("(unspecified)", 1), ("cpu", 3), ("cuda", 2), ("openvino", 1), ("rocm", 1), ("webnn", 1)]


def readme_queries() -> list[str]:
    return [q.strip() for block in readme_code_blocks("sql") for q in block.split(";") if q.strip()]


@pytest.mark.parametrize("sql", readme_queries())
def test_every_readme_query_runs(built_fixture_db, sql):
    con = duckdb.connect(str(built_fixture_db), read_only=True)
    try:
        con.execute(sql).fetchall()
    finally:
        con.close()


def test_readme_task_details_query_returns_nested_steps_metrics_tags(built_fixture_db):
    detail = next(q for q in readme_queries() if "as steps" in q)
    row = duckdb.connect(str(built_fixture_db), read_only=True).execute(detail).fetchall()
    assert len(row) == 1
    *_, steps, metrics, tags = row[0]
    assert [s["step_name"] for s in steps] == ["load_template", "render"]
    assert metrics["render_ms"] == 20.0 and tags == {"priority": "low", "team": "nlp"}


def test_readme_batch_details_query_lists_the_tasks_only_its_task_ids_name(built_fixture_db):
    """b4 lists t9 and t10 in task_ids; neither task names a batch itself."""
    detail = next(q for q in readme_queries() if "as tasks" in q)
    assert "'b1'" in detail
    rows = query(built_fixture_db, detail.replace("'b1'", "'b4'"))
    assert [
        (batch_id, task_count, [t["task_id"] for t in tasks]) for batch_id, _, _, task_count, _, _, tasks in rows
    ] == [("b4", 2, ["t9", "t10"])]
    # no task of the fixtures is in one batch while another lists it
    assert query(built_fixture_db, "select count(*) from test_failures.tasks_listed_by_another_batch") == [(0,)]


def test_reingest_and_rebuild_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    fixtures = ROOT / "tests" / "fixtures"
    assert run_ingest(db, fixtures).returncode == 0
    assert run_dbt(db, tmp_path, "run", "--select", GENERATOR_MARTS).returncode == 0
    before = query(db, "select * from marts.generator_tasks order by task_id")
    again = run_ingest(db, fixtures)
    assert again.returncode == 0 and "0 landed" in again.stderr
    assert run_dbt(db, tmp_path, "run", "--select", GENERATOR_MARTS).returncode == 0
    assert query(db, "select * from marts.generator_tasks order by task_id") == before


def test_values_out_of_range_never_fail_the_build(tmp_path):
    """progress as a percentage is normalised; a negative or too large progress and an unknown status
    count as not reported (the task keeps its previous values) and a warn-level test lists each event
    by load and record; `dbt build` passes."""

    def at(second: int) -> str:
        return f"2026-11-01T09:00:{second:02d}Z"

    events = [
        event("task_started", task_id="pct", model_name="m", occurred_at=at(0)),
        event("task_updated", task_id="pct", status=" Running", progress=50, current_step="render", occurred_at=at(1)),
        event("task_started", task_id="whole", model_name="m", occurred_at=at(0)),
        event("task_updated", task_id="whole", status="running", progress=100, occurred_at=at(1)),
        event("task_started", task_id="neg", model_name="m", occurred_at=at(0)),
        event("task_updated", task_id="neg", status="running", progress=0.3, current_step="render", occurred_at=at(1)),
        event("task_updated", task_id="neg", progress=-1, occurred_at=at(2)),  # line 7
        event("task_updated", task_id="over", status="running", progress=250, occurred_at=at(1)),
        event("task_started", task_id="cancel", model_name="m", occurred_at=at(0)),
        event("task_updated", task_id="cancel", status="running", progress=0.2, occurred_at=at(1)),
        event(
            "task_updated", task_id="cancel", status="cancelled", error="stopped by user", occurred_at=at(2)
        ),  # line 11
    ]
    export = {
        "export_date": "2026-11-01T08:00:00Z",
        "batches": [],
        "tasks": [
            {
                "task_id": "old",
                "model_name": "m",
                "status": "Cancelled",
                "progress": 75,
                "steps": [
                    {"step_name": "fetch", "status": " Skipped", "progress": 50},
                    {"step_name": "load", "status": "done", "started_at": at(0), "completed_at": at(1)},
                    {"step_name": "render", "status": "weird", "started_at": at(1)},
                    {"step_name": "save", "status": None},
                ],
            }
        ],
    }
    write(tmp_path / "in" / "events.ndjson", ndjson(events))
    write(tmp_path / "in" / "export.json", minified(export))
    db = tmp_path / "w.duckdb"
    assert run_ingest(db, tmp_path / "in").returncode == 0

    build = run_dbt(db, tmp_path, "build")
    assert build.returncode == 0, build.stdout[-4000:]
    assert "WARN 4 task_events_with_values_out_of_range" in build.stdout
    assert query(db, "select task_id, status, progress, error from marts.generator_tasks order by task_id") == [
        ("cancel", "running", 0.2, None),
        ("neg", "running", 0.3, None),
        ("old", "initializing", 0.75, None),
        ("over", "running", 0.0, None),
        ("pct", "running", 0.5, None),
        ("whole", "running", 1.0, None),
    ]
    assert query(
        db, "select task_id, step_name, status, progress from marts.generator_task_steps order by task_id, step_name"
    ) == [
        ("neg", "render", "running", 0.3),
        ("old", "fetch", "skipped", 0.5),
        ("old", "load", "completed", None),
        ("old", "render", "running", None),
        ("old", "save", "pending", None),
        ("pct", "render", "running", 0.5),
    ]
    # numbers out of range are not "non-numeric": only the out-of-range test lists them
    assert query(db, "select count(*) from test_failures.task_events_with_non_numeric_progress") == [(0,)]
    load = {
        path.rsplit("/", 1)[-1]: load_id for load_id, path in query(db, "select load_id, source_path from raw.loads")
    }
    assert query(
        db,
        "select load_id, record_index, task_id, reported_status, reported_progress "
        "from test_failures.task_events_with_values_out_of_range "
        "order by load_id, record_index",
    ) == sorted(
        [
            (load["events.ndjson"], 7, "neg", None, "-1"),
            (load["events.ndjson"], 8, "over", "running", "250"),
            (load["events.ndjson"], 11, "cancel", "cancelled", None),
            (load["export.json"], 1, "old", "Cancelled", "75"),
        ]
    )
