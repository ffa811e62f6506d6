"""Bad input fed to the real CLI: each is refused with file, record and reason, or lands and is
reported by a dbt test; what is good beside it lands; `dbt build` still passes on all of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, event, loads, minified, ndjson, query, run_dbt, run_ingest, scalar, write

GOOD = event("task_started", task_id="good", model_name="bert")


def rejected(db):
    return query(db, "select record_index, reason from raw.rejected_records order by record_index")


def test_nan_and_infinity_land_and_become_missing_metric_values(db, tmp_path):
    text = (
        '{"event":"task_updated","occurred_at":"2026-11-01T09:00:00Z","task_id":"n",'
        '"progress":NaN,"metrics":{"a":NaN,"b":Infinity,"c":-Infinity,"d":1.5}}\n'
    )
    proc = run_ingest(db, write(tmp_path / "nan.ndjson", text))
    assert proc.returncode == 0, proc.stderr
    assert scalar(db, "select count(*) from raw.task_events") == 1


def test_numbers_beyond_float_range_land(db, tmp_path):
    text = '{"model_name":"x","throughput_items_per_second":1e999,"iterations":123456789012345678901234567890}\n'
    proc = run_ingest(db, write(tmp_path / "big.ndjson", text))
    assert proc.returncode == 0, proc.stderr
    assert scalar(db, "select payload ->> '$.model_name' from raw.documents") == "x"


def test_ten_thousand_levels_of_nesting(db, tmp_path):
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    deep_array = "[" * 10_000 + "]" * 10_000
    proc = run_ingest(db, write(tmp_path / "deep.json", deep_object), write(tmp_path / "deeparray.json", deep_array))
    assert proc.returncode == 1
    assert scalar(db, "select count(*) from raw.documents") == 1
    assert f"{tmp_path / 'deeparray.json'}: record 1: rejected: not a JSON object (top-level array)" in proc.stderr


@pytest.mark.parametrize("content", ["", "   \n\n\t  \n"])
def test_empty_and_whitespace_only_files_land_nothing_and_say_so(db, tmp_path, content):
    path = write(tmp_path / "empty.json", content)
    proc = run_ingest(db, path)
    assert proc.returncode == 0
    assert "0 records" in proc.stderr and "no JSON documents in file" in proc.stderr
    assert [(r["records_in"], r["status"]) for r in loads(db)] == [(0, "empty")]


def test_duplicate_keys_reject_an_event_and_a_document_lands_whole(db, tmp_path):
    dup_event = '{"event":"task_started","occurred_at":"2026-11-01T09:00:00Z","task_id":"a","task_id":"b"}'
    path = write(tmp_path / "dup.ndjson", dup_event + "\n" + '{"model_name":"a","model_name":"b"}\n' + ndjson([GOOD]))
    proc = run_ingest(db, path)
    assert proc.returncode == 1
    assert rejected(db) == [(1, "duplicate key in object: task_id")]
    assert f"{path}: record 1: rejected: duplicate key in object: task_id" in proc.stderr
    assert scalar(db, "select count(*) from raw.task_events") == 1
    # a document is kept whole; its first value is the one JSON functions read
    assert scalar(db, "select payload ->> '$.model_name' from raw.documents") == "a"


def test_ten_megabyte_string_lands_whole(db, tmp_path):
    long_value = "x" * 10_000_000
    path = write(tmp_path / "long.ndjson", ndjson([event("task_started", task_id="long", model_name=long_value), GOOD]))
    proc = run_ingest(db, path)
    assert proc.returncode == 0, proc.stderr
    assert (
        scalar(
            db,
            "select length(payload ->> '$.model_name') from raw.task_events where (payload ->> '$.task_id') = 'long'",
        )
        == 10_000_000
    )


def test_unparseable_and_special_timestamps_are_rejected(db, tmp_path):
    docs = [event("task_started", occurred_at="yesterday"), event("task_started", occurred_at="infinity"), GOOD]
    proc = run_ingest(db, write(tmp_path / "ts.ndjson", ndjson(docs)))
    assert proc.returncode == 1
    assert rejected(db) == [
        (1, "occurred_at 'yesterday' is not an ISO-8601 timestamp"),
        (2, "occurred_at 'infinity' is not an ISO-8601 timestamp"),
    ]


METACHARACTERS = 'x\'; drop table raw.loads; -- $(rm -rf /) `id` "q" \\ ü'


def test_sql_and_shell_metacharacters_in_ids_tags_and_paths(db, tmp_path):
    folder = tmp_path / "it's; $(echo no) `id`"
    docs = [
        event(
            "task_started",
            task_id=METACHARACTERS,
            model_name=METACHARACTERS,
            batch_id=METACHARACTERS,
            tags={METACHARACTERS: METACHARACTERS},
        )
    ]
    path = write(folder / "meta'chars.ndjson", ndjson(docs))
    proc = run_ingest(db, path)
    assert proc.returncode == 0, proc.stderr
    assert query(db, "select source_path, records_landed from raw.loads") == [(str(path), 1)]
    assert scalar(db, "select payload ->> '$.task_id' from raw.task_events") == METACHARACTERS


AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]


def test_unreadable_folder_is_reported_and_the_rest_lands():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run ingest as an unprivileged user")
    if (
        subprocess.run(
            [*AS_NOBODY, "-c", "import duckdb, ingest"], cwd=ROOT, capture_output=True, check=False
        ).returncode
        != 0
    ):
        pytest.skip("the unprivileged user cannot read this checkout or its virtualenv")
    # an unprivileged user cannot see into pytest's own tmp folders: use a world-writable one
    base = Path(tempfile.mkdtemp(prefix="ingest-perm-"))
    try:
        base.chmod(0o777)
        write(base / "in" / "ok.json", minified(GOOD))
        locked = base / "in" / "locked"
        write(locked / "hidden.json", minified(GOOD))
        (base / "in").chmod(0o755)
        locked.chmod(0o000)
        proc = subprocess.run(
            [*AS_NOBODY, "-m", "ingest", "--db", str(base / "w.duckdb"), str(base / "in")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 1
        assert f"{locked}: cannot read folder: Permission denied" in proc.stderr
        assert f"{base / 'in' / 'ok.json'}: load 1: 1 records, 1 landed" in proc.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_dbt_build_passes_on_all_of_it_and_warns_about_what_landed_wrong(tmp_path):
    db = tmp_path / "w.duckdb"
    bad = [
        event("task_updated", task_id="t-wrong", progress="half", status="running"),
        event("task_started", task_id="t-future", model_name="m", occurred_at="2999-01-01T00:00:00Z"),
        event("task_started", task_id=METACHARACTERS, model_name=METACHARACTERS, hardware="CUDA"),
        event("task_updated", task_id=METACHARACTERS, metrics={"nan": float("nan"), "ok": 2}),
        event("no_such_event"),
        event("task_started", task_id=None),
        {"model_name": "bench", "batch_size": "eight", "throughput_items_per_second": "fast"},
    ]
    write(tmp_path / "in" / "bad.ndjson", ndjson(bad) + "{truncated\n")
    write(tmp_path / "in" / "scalar.json", "[1, 2]")
    write(tmp_path / "in" / "notgzip.json.gz", "{}")
    assert run_ingest(db, ROOT / "tests" / "fixtures", tmp_path / "in").returncode == 1

    build = run_dbt(db, tmp_path, "build")
    assert build.returncode == 0, build.stdout[-4000:]
    assert "WARN 1 task_events_with_non_numeric_progress" in build.stdout
    assert "WARN 1 task_events_dated_in_the_future" in build.stdout
    assert query(db, "select status, progress from marts.generator_tasks where task_id = 't-wrong'") == [
        ("running", 0.0)
    ]
    assert query(db, "select hardware, model_name from marts.generator_tasks where task_id = ?", [METACHARACTERS]) == [
        (["cuda"], METACHARACTERS)
    ]
    assert query(db, "select metric_name from marts.generator_task_metrics where task_id = ?", [METACHARACTERS]) == [
        ("ok",)
    ]
    # accounting holds for every load
    assert query(
        db, "select count(*) from raw.loads where records_in <> records_landed + duplicates_skipped + records_rejected"
    ) == [(0,)]
