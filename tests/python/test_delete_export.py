"""Deleting (tombstones, purge) and exporting (JSON round trip, Parquet, safe file names)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GENERATOR_MARTS, ROOT, query, run_dbt, run_ingest

FIXTURES = ROOT / "tests" / "fixtures"
TASK_MARTS = ("generator_tasks", "generator_task_steps", "generator_task_metrics", "generator_task_tags")


def run_module(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def built(built_copy):
    return built_copy


def rebuild(db, work) -> None:
    proc = run_dbt(db, work, "run", "--select", GENERATOR_MARTS)
    assert proc.returncode == 0, proc.stdout[-3000:]


def count(db, mart: str, where: str) -> int:
    return query(db, f"select count(*) from marts.{mart} where {where}")[0][0]


def test_delete_task_hides_it_from_every_mart_after_the_next_build(built, tmp_path):
    assert count(built, "generator_task_steps", "task_id = 't1'") == 2
    proc = run_module("ingest.delete", "--db", str(built), "task", "t1")
    assert proc.returncode == 0, proc.stderr
    assert "1 landed" in proc.stderr
    assert query(
        built,
        "select payload ->> 'event' from raw.task_events "
        "where (payload ->> 'task_id') = 't1' order by load_id desc limit 1",
    ) == [("task_deleted",)]
    rebuild(built, tmp_path)
    for mart in TASK_MARTS:
        assert count(built, mart, "task_id = 't1'") == 0, mart
    assert count(built, "generator_tasks", "task_id = 't2'") == 1
    # the batch no longer counts it, although it was declared in its task_ids
    assert query(
        built, "select task_count, actual_task_count from marts.generator_batch_tasks where batch_id = 'b1'"
    ) == [(1, 1)]


def test_delete_batch_with_tasks_and_purge_removes_raw_rows_and_records_it(built, tmp_path):
    raw_before = query(built, "select count(*) from raw.task_events")[0][0]
    proc = run_module("ingest.delete", "--db", str(built), "batch", "b1", "--with-tasks", "--purge")
    assert proc.returncode == 0, proc.stderr
    assert query(
        built, "select entity_kind, entity_id, rows_purged from raw.purges order by entity_kind, entity_id"
    ) == [("batch", "b1", 1), ("task", "t1", 4), ("task", "t2", 3)]
    # 8 events purged, 1 tombstone landed; nothing else touched
    assert query(built, "select count(*) from raw.task_events")[0][0] == raw_before - 8 + 1
    assert query(built, "select count(*) from raw.task_events where (payload ->> 'task_id') in ('t1', 't2')") == [(0,)]
    rebuild(built, tmp_path)
    assert count(built, "generator_tasks", "task_id in ('t1', 't2')") == 0
    assert count(built, "generator_batch_tasks", "batch_id = 'b1'") == 0
    # re-ingesting the old file cannot bring them back: the tombstone is kept and is later
    assert run_ingest(built, FIXTURES / "generator_events.ndjson").returncode == 0
    rebuild(built, tmp_path)
    assert count(built, "generator_tasks", "task_id in ('t1', 't2')") == 0


def test_delete_usage_errors():
    assert run_module("ingest.delete", "task").returncode == 2
    assert run_module("ingest.delete", "task", "t1", "--with-tasks").returncode == 2


def test_json_export_lands_again_into_an_empty_database_with_equal_marts(built, tmp_path):
    out = tmp_path / "export"
    proc = run_module("ingest.export", "--db", str(built), str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["generator_export.json"]

    fresh = tmp_path / "fresh.duckdb"
    landed = run_ingest(fresh, out / "generator_export.json")
    assert landed.returncode == 0, landed.stderr
    rebuild(fresh, tmp_path / "fresh")
    # last_event_at becomes the export date on the way back, and last_load_id is the new database's
    # lineage; everything else is equal
    task_columns = "* exclude (last_event_at, last_load_id)"
    for mart, columns in [
        ("generator_tasks", task_columns),
        ("generator_task_steps", "*"),
        ("generator_task_metrics", "*"),
        ("generator_task_tags", "*"),
        ("generator_batch_tasks", "*"),
        ("model_stats", "*"),
        ("hardware_stats", "*"),
        ("daily_task_stats", "*"),
    ]:
        sql = f"select {columns} from marts.{mart} order by all"
        assert query(fresh, sql) == query(built, sql), mart


def test_parquet_export_has_one_file_per_mart_with_the_same_rows(built, tmp_path):
    out = tmp_path / "parquet"
    assert run_module("ingest.export", "--db", str(built), str(out), "--format", "parquet").returncode == 0
    tasks = out / "generator_tasks.parquet"
    assert query(built, f"select count(*) from read_parquet('{tasks}')") == query(
        built, "select count(*) from marts.generator_tasks"
    )
    assert (out / "generator_batch_tasks.parquet").exists()


@pytest.mark.parametrize("name", ["../escape.json", "/tmp/abs.json", "sub/dir.json", "..", ""])
def test_export_refuses_names_outside_the_folder(built, tmp_path, name):
    out = tmp_path / "out"
    proc = run_module("ingest.export", "--db", str(built), str(out), "--format", "json", "--name", name)
    assert proc.returncode == 2
    assert "export refused, nothing written" in proc.stderr
    assert not (tmp_path / "escape.json").exists()
    assert list(out.iterdir()) == []


def test_export_does_not_overwrite_without_force(built, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "generator_export.json"
    existing.write_text("keep me")
    proc = run_module("ingest.export", "--db", str(built), str(out), "--format", "json")
    assert proc.returncode == 2 and "use --force" in proc.stderr
    assert existing.read_text() == "keep me"
    proc = run_module("ingest.export", "--db", str(built), str(out), "--format", "json", "--force")
    assert proc.returncode == 0
    assert existing.read_text().startswith('{"tasks":[')


def test_export_into_a_folder_with_quotes_and_spaces(built, tmp_path):
    out = tmp_path / "it's a folder; rm -rf"
    proc = run_module("ingest.export", "--db", str(built), str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert (out / "generator_export.json").exists()


RAW_TABLES = ("loads", "task_events", "documents", "purges")


def raw_state(db) -> dict[str, list[tuple]]:
    return {t: query(db, f"select * from raw.{t} order by all") for t in RAW_TABLES}


def tombstoned(db, after_load: int) -> list[str]:
    """The ids of the tombstones landed after load ``after_load``."""
    return [
        i
        for (i,) in query(
            db,
            "select coalesce(payload ->> 'task_id', payload ->> 'batch_id') "
            "from raw.task_events where (payload ->> 'event') like '%_deleted' "
            "and load_id > ? order by load_id, record_index",
            [after_load],
        )
    ]


def test_delete_with_an_empty_id_is_a_usage_error_and_writes_nothing(built):
    before = raw_state(built)
    proc = run_module("ingest.delete", "--db", str(built), "task", "t1", "", "--purge")
    assert proc.returncode == 2
    assert "error: an ID must not be empty" in proc.stderr
    assert raw_state(built) == before


@pytest.mark.parametrize("args", [["task", "nope-1", "nope-2"], ["batch", "no-such-batch", "--purge"]])
def test_delete_of_only_unknown_ids_fails_saying_so_and_writes_nothing(built, args):
    before = raw_state(built)
    proc = run_module("ingest.delete", "--db", str(built), *args)
    assert proc.returncode == 1
    ids = ", ".join(a for a in args[1:] if not a.startswith("--"))
    assert f"nothing deleted: no event or export document names {args[0]} {ids}" in proc.stderr
    assert raw_state(built) == before


def test_delete_names_the_unknown_ids_and_deletes_the_known_ones(built):
    ((last_load,),) = query(built, "select max(load_id) from raw.loads")
    proc = run_module("ingest.delete", "--db", str(built), "task", "t1", "typo", "legacy-1")
    assert proc.returncode == 0, proc.stderr
    assert "task typo: unknown (no event or export document names it); not deleted" in proc.stderr
    assert tombstoned(built, last_load) == ["t1", "legacy-1"]  # legacy-1 lives in the upstream export document


def test_delete_on_a_database_that_does_not_exist_creates_nothing(tmp_path):
    db = tmp_path / "typo.duckdb"
    proc = run_module("ingest.delete", "--db", str(db), "task", "t1")
    assert proc.returncode == 2
    assert f"{db}: no such database file; nothing was written" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_purge_of_a_task_inside_an_export_document_says_why_nothing_was_purged(built):
    ((path, index, load_id),) = query(
        built,
        "select source_path, record_index, load_id from raw.documents where payload ->> '$.export_date' is not null",
    )
    proc = run_module("ingest.delete", "--db", str(built), "task", "legacy-1", "--purge")
    assert proc.returncode == 0, proc.stderr
    assert (
        f"purged 0 raw events of task legacy-1: it lives inside 1 upstream export document(s) "
        f"({path} record {index}, load {load_id}), which are kept whole (a document is never "
        "cut); its tombstone hides it from the marts"
    ) in proc.stderr
    assert query(built, "select entity_kind, entity_id, rows_purged from raw.purges") == [("task", "legacy-1", 0)]


@pytest.mark.parametrize("name", ["model_stats.parquet", "Generator_Tasks.PARQUET", ".model_stats.parquet.partial"])
@pytest.mark.parametrize("fmt", ["all", "json"])
def test_export_refuses_a_json_name_that_is_one_of_its_parquet_files(built, tmp_path, name, fmt):
    out = tmp_path / "out"
    proc = run_module("ingest.export", "--db", str(built), str(out), "--format", fmt, "--name", name)
    assert proc.returncode == 2
    assert "export refused, nothing written" in proc.stderr
    assert "choose another --name" in proc.stderr
    assert not out.exists()
