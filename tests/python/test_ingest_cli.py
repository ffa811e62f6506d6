"""End-to-end tests of ``python -m ingest``: real files, real DuckDB, the CLI run as a subprocess."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys

import duckdb
import pytest

from conftest import ROOT, counts, event, loads, minified, ndjson, query, run_ingest, run_on_terminal, scalar, write

BOM = b"\xef\xbb\xbf"


def model_names(db, table="documents"):
    return query(db, f"select record_index, payload->>'model_name' from raw.{table} order by load_id, record_index")


def rejected(db):
    return query(
        db,
        "select load_id, source_path, record_index, reason, raw_text "
        "from raw.rejected_records order by load_id, record_index nulls first",
    )


# --------------------------------------------------------------------------------------------
# 1. input shapes
# --------------------------------------------------------------------------------------------


def test_single_object_file(tmp_path, db):
    doc = {"model_name": "bert-base-uncased", "latency_ms": 12.5, "hardware": ["cpu"]}
    path = write(tmp_path / "one.json", json.dumps(doc, indent=2))

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert query(
        db,
        "select load_id, source_path, record_index, record_hash, "
        "payload->>'model_name', (payload->>'latency_ms')::double, "
        "payload->'hardware'->>0 from raw.documents",
    ) == [(1, str(path), 1, hashlib.md5(minified(doc).encode()).hexdigest(), "bert-base-uncased", 12.5, "cpu")]
    assert json.loads(scalar(db, "select payload::varchar from raw.documents")) == doc
    assert loads(db) == [
        {
            "load_id": 1,
            "source_path": str(path),
            "records_in": 1,
            "records_landed": 1,
            "duplicates_skipped": 0,
            "records_rejected": 0,
            "status": "succeeded",
            "message": None,
        }
    ]
    assert counts(db) == {"loads": 1, "documents": 1, "task_events": 0, "rejected_records": 0}
    assert scalar(db, "select count(*) from raw.documents where loaded_at is null") == 0
    assert f"{path}: load 1: 1 records, 1 landed, 0 duplicates skipped, 0 rejected" in proc.stderr


def test_array_of_objects(tmp_path, db):
    docs = [{"model_name": f"m{i}", "i": i} for i in range(1, 4)]
    path = write(tmp_path / "arr.json", json.dumps(docs, indent=2))

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(1, "m1"), (2, "m2"), (3, "m3")]
    assert [
        json.loads(p) for (p,) in query(db, "select payload::varchar from raw.documents order by record_index")
    ] == docs
    assert loads(db)[0]["records_in"] == 3 and loads(db)[0]["records_landed"] == 3


def test_ndjson_with_blank_lines(tmp_path, db):
    docs = [{"model_name": f"n{i}"} for i in range(1, 5)]
    path = write(tmp_path / "events.ndjson", ndjson(docs) + "\n\n")

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(1, "n1"), (2, "n2"), (3, "n3"), (4, "n4")]
    assert loads(db)[0]["records_in"] == 4


def test_gzip_ndjson(tmp_path, db):
    docs = [{"model_name": f"g{i}", "v": i} for i in range(1, 6)]
    path = write(tmp_path / "bench.ndjson.gz", ndjson(docs), gz=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # really compressed

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(i, f"g{i}") for i in range(1, 6)]
    assert scalar(db, "select sum((payload->>'v')::int) from raw.documents") == 15
    assert loads(db)[0]["status"] == "succeeded"


def test_gzip_detected_by_magic_bytes_not_name(tmp_path, db):
    path = write(tmp_path / "actually_gzipped.json", ndjson([{"model_name": "magic"}]), gz=True)

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(1, "magic")]


@pytest.mark.parametrize(
    "content",
    [
        gzip.compress(ndjson([{"model_name": "cut"}] * 10).encode())[:15],  # ends inside the first block
        b"\x1f\x8b" + b"not deflate data",
    ],
    ids=["truncated", "corrupt"],
)
def test_broken_gzip_is_reported_not_a_crash(tmp_path, db, content):
    path = write(tmp_path / "broken.json.gz", content)

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr
    assert scalar(db, "select count(*) from raw.documents") == 0


def test_bom_prefixed_files(tmp_path, db):
    single = write(tmp_path / "bom.json", BOM + b'{"model_name": "bom-single"}')
    lines = write(tmp_path / "bom.ndjson", BOM + ndjson([{"model_name": "bom-1"}, {"model_name": "bom-2"}]).encode())

    proc = run_ingest(db, single, lines)

    assert proc.returncode == 0, proc.stderr
    assert query(
        db, "select source_path, record_index, payload->>'model_name' from raw.documents order by load_id, record_index"
    ) == [(str(single), 1, "bom-single"), (str(lines), 1, "bom-1"), (str(lines), 2, "bom-2")]
    assert scalar(db, "select count(*) from raw.rejected_records") == 0


def test_stdin(db):
    docs = [{"model_name": "from-stdin-1"}, {"model_name": "from-stdin-2"}]

    proc = run_ingest(db, "-", stdin=ndjson(docs))

    assert proc.returncode == 0, proc.stderr
    assert query(
        db, "select source_path, record_index, payload->>'model_name' from raw.documents order by record_index"
    ) == [("<stdin>", 1, "from-stdin-1"), ("<stdin>", 2, "from-stdin-2")]
    assert loads(db)[0]["source_path"] == "<stdin>"
    assert "<stdin>: load 1: 2 records, 2 landed" in proc.stderr


def test_stdin_gzip(db):
    proc = run_ingest(db, "-", stdin=gzip.compress(ndjson([{"model_name": "gz-stdin"}]).encode()))

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(1, "gz-stdin")]


def test_empty_file_is_recorded_as_empty(tmp_path, db):
    path = write(tmp_path / "empty.json", "")

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert loads(db) == [
        {
            "load_id": 1,
            "source_path": str(path),
            "records_in": 0,
            "records_landed": 0,
            "duplicates_skipped": 0,
            "records_rejected": 0,
            "status": "empty",
            "message": "no JSON documents in file",
        }
    ]


# --------------------------------------------------------------------------------------------
# 2. idempotency / dedup
# --------------------------------------------------------------------------------------------


def test_same_file_twice_lands_nothing_the_second_time(tmp_path, db):
    docs = [{"model_name": f"d{i}"} for i in range(1, 4)] + [event("task_started")]
    path = write(tmp_path / "mixed.ndjson", ndjson(docs))

    first = run_ingest(db, path)
    before = query(db, "select * from raw.documents order by record_index")
    before_events = query(db, "select * from raw.task_events order by record_index")
    second = run_ingest(db, path)

    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert [
        (l["records_in"], l["records_landed"], l["duplicates_skipped"], l["records_rejected"], l["status"])
        for l in loads(db)
    ] == [(4, 4, 0, 0, "succeeded"), (4, 0, 4, 0, "succeeded")]
    assert query(db, "select * from raw.documents order by record_index") == before
    assert query(db, "select * from raw.task_events order by record_index") == before_events
    assert scalar(db, "select count(distinct load_id) from raw.documents") == 1
    assert f"{path}: load 2: 4 records, 0 landed, 4 duplicates skipped, 0 rejected" in second.stderr


def test_dedup_memory_follows_the_file_not_the_history(tmp_path, db):
    """Ingest beside 3M stored events within 100 MB: the check against the history is built from
    the file's hashes (a join holding the history's hashes needs about twice that and fails)."""
    first = write(tmp_path / "first.ndjson", ndjson([event("task_started", task_id="old")]))
    assert run_ingest(db, first).returncode == 0
    con = duckdb.connect(str(db))
    con.execute(
        "insert into raw.loads by name select 0 as load_id, 'history' as source_path, 3000000 as records_in, "
        "3000000 as records_landed, 0 as duplicates_skipped, 0 as records_rejected, now() as started_at, "
        "now() as finished_at, 'succeeded' as status"
    )
    con.execute(
        "insert into raw.task_events_all select 0, 'history', i, md5(i::varchar), now(), '{}' "
        "from range(3000000) as r(i)"
    )
    con.close()
    new = [event("task_started", task_id=f"n{i}") for i in range(2000)]
    path = write(tmp_path / "new.ndjson", ndjson(new + [event("task_started", task_id="old")]))

    proc = run_ingest(db, path, args=["--memory-limit", "100MB", "--threads", "1"], timeout=120)

    assert proc.returncode == 0, proc.stderr
    assert [(l["load_id"], l["records_in"], l["records_landed"], l["duplicates_skipped"]) for l in loads(db)] == [
        (0, 3000000, 3000000, 0),
        (1, 1, 1, 0),
        (2, 2001, 2000, 1),
    ]
    assert scalar(db, "select count(*) from raw.task_events_all where load_id = 2") == 2000


def test_a_million_documents_in_one_file_land_within_a_small_memory_limit(tmp_path, db):
    """The second read of a file runs beside the join with the index of all its documents, so its
    buffers are sized to the file's largest document: with 32 MiB objects (64 MiB buffers per
    thread) this 1M-event file ran out of memory at 256 MB, as 5M events did at the default 512 MB."""
    path = tmp_path / "million.ndjson"
    duckdb.connect().execute(
        f"""copy (select '{{"event":"task_started","task_id":"t' || i || '","occurred_at":"2026-01-01T00:00:00Z"}}'
            from range(1000000) as r(i)) to '{path}' (format csv, header false, quote '', escape '')"""
    )

    proc = run_ingest(db, path, args=["--memory-limit", "256MB", "--threads", "2"], timeout=300)

    assert proc.returncode == 0, proc.stderr
    assert query(
        db, "select count(*), count(distinct payload->>'task_id'), max(record_index) from raw.task_events"
    ) == [(1000000, 1000000, 1000000)]
    assert scalar(db, "select payload->>'task_id' from raw.task_events where record_index = 424243") == "t424242"


def test_same_records_under_another_name_and_layout_are_duplicates(tmp_path, db):
    docs = [{"model_name": "x", "v": 1}, {"model_name": "y", "v": 2}]
    original = write(tmp_path / "a.ndjson", ndjson(docs))
    # same documents, different file name, pretty-printed array: the hash is on minified JSON
    copy = write(tmp_path / "b" / "copy.json", json.dumps(docs, indent=4))

    assert run_ingest(db, original).returncode == 0
    proc = run_ingest(db, copy)

    assert proc.returncode == 0, proc.stderr
    assert loads(db)[1] == {
        "load_id": 2,
        "source_path": str(copy),
        "records_in": 2,
        "records_landed": 0,
        "duplicates_skipped": 2,
        "records_rejected": 0,
        "status": "succeeded",
        "message": None,
    }
    assert scalar(db, "select count(*) from raw.documents") == 2
    assert query(db, "select distinct source_path from raw.documents") == [(str(original),)]


def test_duplicate_line_inside_one_file(tmp_path, db):
    path = write(tmp_path / "dup.ndjson", ndjson([{"model_name": "a"}, {"model_name": "a"}, {"model_name": "b"}]))

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(1, "a"), (3, "b")]  # first occurrence wins
    load = loads(db)[0]
    assert (load["records_in"], load["records_landed"], load["duplicates_skipped"], load["records_rejected"]) == (
        3,
        2,
        1,
        0,
    )


def test_record_indexes_follow_the_file_when_it_is_read_in_parallel(tmp_path, db):
    """A 70 MB file is more than one of DuckDB's read buffers, so its documents are read by several
    threads at once; each document's record index is still its line number."""
    path = tmp_path / "many.ndjson"
    with path.open("w") as handle:
        handle.writelines(json.dumps({"model_name": "m", "n": n, "pad": "x" * 900}) + "\n" for n in range(1, 80_001))

    proc = run_ingest(db, path, args=["--threads", "4"], timeout=300)

    assert proc.returncode == 0, proc.stderr
    assert query(
        db, "select count(*), count(*) filter (where record_index = (payload->>'n')::bigint) from raw.documents"
    ) == [(80_000, 80_000)]


def test_repeat_inside_one_file_in_another_layout(tmp_path, db):
    """Texts that differ only in whitespace are one record: the first occurrence lands."""
    path = write(
        tmp_path / "dup.ndjson",
        '{"model_name": "a", "v": [1, 2]}\n{"model_name":"b"}\n'
        '{ "model_name" : "a" , "v" : [1,2] }\n{"model_name":"c"}\n',
    )

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(1, "a"), (2, "b"), (4, "c")]
    assert (
        scalar(db, "select record_hash from raw.documents where record_index = 1")
        == hashlib.md5(b'{"model_name":"a","v":[1,2]}').hexdigest()
    )
    assert [
        (l["records_in"], l["records_landed"], l["duplicates_skipped"], l["records_rejected"], l["status"])
        for l in loads(db)
    ] == [(4, 3, 1, 0, "succeeded")]


@pytest.mark.parametrize("layout", ["ndjson", "array"])
def test_mixed_file_with_repeats_history_and_rejects(tmp_path, db, layout):
    """Both kinds, a repeat of each in another layout, a record landed before and a reject; the
    same whether the file is NDJSON (read twice) or one array (staged as read)."""
    old = write(tmp_path / "old.ndjson", ndjson([{"model_name": "old"}]))
    started = event("task_started", task_id="t1")
    lines = [
        minified(started),
        minified({"model_name": "new"}),
        json.dumps(started, indent=1).replace("\n", ""),  # the same event, other whitespace
        minified({"model_name": "old"}),  # landed by the first load
        '{ "model_name" : "new" }',
        minified(event("task_started", task_id=None)),
        minified({"model_name": "new2"}),
        minified(event("batch_started")),
    ]
    path = (
        write(tmp_path / "mixed.ndjson", "\n".join(lines) + "\n")
        if layout == "ndjson"
        else write(tmp_path / "mixed.json", "[\n" + ",\n".join(lines) + "\n]\n")
    )

    assert run_ingest(db, old).returncode == 0
    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert query(
        db, "select record_index, payload->>'event', record_hash from raw.task_events order by record_index"
    ) == [
        (1, "task_started", hashlib.md5(minified(started).encode()).hexdigest()),
        (8, "batch_started", hashlib.md5(minified(event("batch_started")).encode()).hexdigest()),
    ]
    assert model_names(db) == [(1, "old"), (2, "new"), (7, "new2")]
    assert rejected(db) == [(2, str(path), 6, "task_started has no task_id", lines[5])]
    assert [
        (l["records_in"], l["records_landed"], l["duplicates_skipped"], l["records_rejected"], l["status"])
        for l in loads(db)
    ] == [(1, 1, 0, 0, "succeeded"), (8, 4, 3, 1, "partial")]


def test_dedup_is_the_same_whether_or_not_the_file_has_a_bad_line(tmp_path, db):
    """A file with a bad line is read line by line; its good records must hash like before."""
    docs = [{"model_name": "h1", "x": [1, 2]}, {"model_name": "h2", "y": {"z": None}}]
    clean = write(tmp_path / "clean.ndjson", ndjson(docs))
    dirty = write(
        tmp_path / "dirty.ndjson", json.dumps(docs[0]) + "\n" + '{"model_name": "h3", \n' + json.dumps(docs[1]) + "\n"
    )

    run_ingest(db, clean)
    proc = run_ingest(db, dirty)

    assert proc.returncode == 1
    load = loads(db)[1]
    assert (
        load["records_in"],
        load["records_landed"],
        load["duplicates_skipped"],
        load["records_rejected"],
        load["status"],
    ) == (3, 0, 2, 1, "partial")
    assert scalar(db, "select count(*) from raw.documents") == 2


# --------------------------------------------------------------------------------------------
# 3. bad records
# --------------------------------------------------------------------------------------------


def test_truncated_ndjson_line_among_good_ones(tmp_path, db):
    bad_line = '{"model_name": "broken", "latency_ms": 1'
    path = write(
        tmp_path / "bench.ndjson",
        ndjson([{"model_name": "ok1"}, {"model_name": "ok2"}]) + bad_line + "\n" + ndjson([{"model_name": "ok4"}]),
    )

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert model_names(db) == [(1, "ok1"), (2, "ok2"), (4, "ok4")]
    assert rejected(db) == [(1, str(path), 3, "not valid JSON: Expecting ',' delimiter", bad_line)]
    assert f"{path}: record 3: rejected: not valid JSON" in proc.stderr
    load = loads(db)[0]
    assert (load["records_in"], load["records_landed"], load["records_rejected"], load["status"]) == (
        4,
        3,
        1,
        "partial",
    )


def test_array_containing_a_scalar(tmp_path, db):
    path = write(tmp_path / "arr.json", '[{"model_name": "a1"}, 5, {"model_name": "a3"}, "text"]')

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert model_names(db) == [(1, "a1"), (3, "a3")]
    assert [(r[2], r[3], r[4]) for r in rejected(db)] == [
        (2, "not a JSON object (top-level ubigint)", "5"),
        (4, "not a JSON object (top-level varchar)", '"text"'),
    ]
    assert f"{path}: record 2: rejected: not a JSON object" in proc.stderr
    assert f"{path}: record 4: rejected: not a JSON object" in proc.stderr


@pytest.mark.parametrize(
    "doc, reason",
    [
        (event("task_exploded"), "unknown event 'task_exploded'"),
        (event("task_started", task_id=None), "task_started has no task_id"),
        (event("task_updated", task_id=""), "task_updated has no task_id"),
        (event("batch_started", batch_id=None), "batch_started has no batch_id"),
        (event("task_started", occurred_at="yesterday"), "occurred_at 'yesterday' is not an ISO-8601 timestamp"),
        (
            event("task_started", occurred_at="20250305_195321"),
            "occurred_at '20250305_195321' is not an ISO-8601 timestamp",
        ),
        (event("task_started", occurred_at=None), "event has no occurred_at"),
        ({"event": 7, "task_id": "t1", "occurred_at": "2026-11-01T09:00:00Z"}, "unknown event '7'"),
    ],
    ids=[
        "unknown-name",
        "no-task_id",
        "empty-task_id",
        "no-batch_id",
        "bad-occurred_at",
        "compact-occurred_at",
        "no-occurred_at",
        "numeric-event",
    ],
)
def test_invalid_events_are_rejected(tmp_path, db, doc, reason):
    good = event("task_completed", task_id="t-good")
    path = write(tmp_path / "events.ndjson", ndjson([good, doc]))

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert query(db, "select record_index, payload->>'task_id' from raw.task_events") == [(1, "t-good")]
    assert [(r[2], r[3], json.loads(r[4])) for r in rejected(db)] == [(2, reason, doc)]
    assert f"{path}: record 2: rejected: {reason}" in proc.stderr
    assert scalar(db, "select count(*) from raw.documents") == 0


def test_non_gzip_file_named_gz_is_rejected_whole(tmp_path, db):
    content = ndjson([{"model_name": "plain"}])
    path = write(tmp_path / "fake.ndjson.gz", content)

    proc = run_ingest(db, path)

    reason = "file name ends in .gz but the content is not gzip-compressed"
    assert proc.returncode == 1
    assert rejected(db) == [(1, str(path), None, reason, content)]
    assert loads(db) == [
        {
            "load_id": 1,
            "source_path": str(path),
            "records_in": 1,
            "records_landed": 0,
            "duplicates_skipped": 0,
            "records_rejected": 1,
            "status": "rejected",
            "message": reason,
        }
    ]
    assert scalar(db, "select count(*) from raw.documents") == 0
    assert f"{path}: whole file: rejected: {reason}" in proc.stderr


def test_truncated_pretty_printed_document_is_one_whole_file_rejection(tmp_path, db):
    full = json.dumps({"model_name": "pretty", "results": [{"latency_ms": 1.5}, {"latency_ms": 2.5}]}, indent=2)
    text = full[: len(full) * 2 // 3]
    path = write(tmp_path / "pretty.json", text)
    assert text.count("\n") >= 5  # many lines, yet one rejection

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    rows = rejected(db)
    assert len(rows) == 1
    load_id, source, index, reason, raw_text = rows[0]
    assert (load_id, source, index, raw_text) == (1, str(path), None, text)
    assert reason.startswith("Invalid Input Error: Malformed JSON")
    load = loads(db)[0]
    assert (load["records_in"], load["records_landed"], load["records_rejected"], load["status"]) == (
        1,
        0,
        1,
        "rejected",
    )
    assert scalar(db, "select count(*) from raw.documents") == 0
    assert proc.stderr.count("rejected: Invalid Input Error") == 1
    assert f"{path}: whole file: rejected: Invalid Input Error: Malformed JSON" in proc.stderr


def test_invalid_utf8_is_rejected_whole(tmp_path, db):
    path = write(tmp_path / "latin1.json", '{"model_name": "café"}'.encode("latin-1"))

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert [(r[2], r[4]) for r in rejected(db)] == [(None, '{"model_name": "caf\\xe9"}')]
    assert loads(db)[0]["status"] == "rejected"
    assert f"{path}: whole file: rejected:" in proc.stderr


def test_rejected_records_are_rejected_again_on_reingest(tmp_path, db):
    path = write(tmp_path / "e.ndjson", ndjson([event("task_bogus"), {"model_name": "fine"}]))

    first, second = run_ingest(db, path), run_ingest(db, path)

    assert (first.returncode, second.returncode) == (1, 1)
    assert [(l["records_landed"], l["duplicates_skipped"], l["records_rejected"], l["status"]) for l in loads(db)] == [
        (1, 0, 1, "partial"),
        (0, 1, 1, "partial"),
    ]
    assert [(r[0], r[2]) for r in rejected(db)] == [(1, 1), (2, 1)]


# --------------------------------------------------------------------------------------------
# 4. accounting across a mixed run
# --------------------------------------------------------------------------------------------


def test_accounting_adds_up_for_every_load(tmp_path, db):
    folder = tmp_path / "inbox"
    write(
        folder / "a_good.ndjson",
        ndjson(
            [{"model_name": f"g{i}"} for i in range(5)] + [event("task_started", task_id=f"t{i}") for i in range(3)]
        ),
    )
    write(folder / "b_dups.ndjson", ndjson([{"model_name": "g0"}, {"model_name": "g0"}, {"model_name": "new"}]))
    write(folder / "c_bad_line.ndjson", ndjson([{"model_name": "c1"}]) + "{oops\n" + ndjson([{"model_name": "g1"}]))
    write(
        folder / "d_events.ndjson",
        ndjson([event("task_nope"), event("task_started", task_id=None), event("batch_completed", batch_id="b9")]),
    )
    write(folder / "e_fake.json.gz", '{"model_name": "fake"}')
    write(folder / "f_pretty_trunc.json", '{\n  "model_name": "t",\n  "x": [\n')
    write(folder / "g_array.json", json.dumps([{"model_name": "arr1"}, 3, {"model_name": "g2"}]))
    write(folder / "h_empty.json", "")
    write(folder / "i.ndjson.gz", ndjson([{"model_name": "gz1"}, {"model_name": "g3"}]), gz=True)

    first = run_ingest(db, folder)
    second = run_ingest(db, folder)

    assert (first.returncode, second.returncode) == (1, 1)
    all_loads = loads(db)
    assert len(all_loads) == 18
    for load in all_loads:
        assert load["records_in"] == (load["records_landed"] + load["duplicates_skipped"] + load["records_rejected"]), (
            load
        )
    # the counters agree with what is actually in the tables, load by load
    assert (
        query(
            db,
            """
        select l.load_id from raw.loads l
        where l.records_landed <> (select count(*) from raw.documents d where d.load_id = l.load_id)
                               + (select count(*) from raw.task_events e where e.load_id = l.load_id)
           or l.records_rejected <> (select count(*) from raw.rejected_records r
                                     where r.load_id = l.load_id)
    """,
        )
        == []
    )
    # second pass lands nothing new
    assert sum(l["records_landed"] for l in all_loads[9:]) == 0
    assert [
        (l["records_in"], l["records_landed"], l["duplicates_skipped"], l["records_rejected"], l["status"])
        for l in all_loads[:9]
    ] == [
        (8, 8, 0, 0, "succeeded"),  # a_good
        (3, 1, 2, 0, "succeeded"),  # b_dups: g0 seen before, g0 again inside file, new lands
        (3, 1, 1, 1, "partial"),  # c_bad_line
        (3, 1, 0, 2, "partial"),  # d_events
        (1, 0, 0, 1, "rejected"),  # e_fake.json.gz
        (1, 0, 0, 1, "rejected"),  # f_pretty_trunc
        (3, 1, 1, 1, "partial"),  # g_array
        (0, 0, 0, 0, "empty"),  # h_empty
        (2, 1, 1, 0, "succeeded"),  # i.ndjson.gz
    ]
    assert counts(db) == {"loads": 18, "documents": 9, "task_events": 4, "rejected_records": 12}


# --------------------------------------------------------------------------------------------
# 5. discovery: folders, skipped files, missing paths, globs
# --------------------------------------------------------------------------------------------


def test_folder_walk_skips_non_json_files(tmp_path, db):
    folder = tmp_path / "drop"
    write(folder / "README.md", "# not data\n")
    write(folder / "notes.txt", '{"model_name": "looks like json but is .txt"}')
    write(folder / "table.csv", "a,b\n1,2\n")
    top = write(folder / "top.json", '{"model_name": "top"}')
    nested = write(folder / "sub" / "deeper" / "nested.jsonl", ndjson([{"model_name": "nested"}]))
    upper = write(folder / "sub" / "UPPER.JSON", '{"model_name": "upper"}')
    gz = write(folder / "sub" / "z.ndjson.gz", ndjson([{"model_name": "gz"}]), gz=True)

    proc = run_ingest(db, folder)

    assert proc.returncode == 0, proc.stderr
    assert sorted(query(db, "select source_path, payload->>'model_name' from raw.documents")) == sorted(
        [(str(top), "top"), (str(nested), "nested"), (str(upper), "upper"), (str(gz), "gz")]
    )
    assert sorted(l["source_path"] for l in loads(db)) == sorted(map(str, [top, nested, upper, gz]))
    assert scalar(db, "select count(*) from raw.rejected_records") == 0
    for skipped in ("README.md", "notes.txt", "table.csv"):
        assert f"{folder / skipped}: skipped (not a JSON/NDJSON file)" in proc.stderr


def test_nonexistent_path_is_a_usage_error_and_writes_nothing(tmp_path, db):
    good = write(tmp_path / "good.json", '{"model_name": "good"}')
    missing = tmp_path / "does-not-exist.json"

    proc = run_ingest(db, good, missing)

    assert proc.returncode == 2
    assert f"{missing}: no such file, folder or glob match" in proc.stderr
    assert not db.exists()
    assert not db.parent.exists()


def test_nonexistent_path_leaves_existing_warehouse_untouched(tmp_path, db):
    first = write(tmp_path / "first.json", '{"model_name": "first"}')
    assert run_ingest(db, first).returncode == 0
    before = {t: query(db, f"select * from raw.{t}") for t in ("loads", "documents")}

    proc = run_ingest(db, write(tmp_path / "second.json", '{"model_name": "second"}'), tmp_path / "nope" / "*.json")

    assert proc.returncode == 2
    assert {t: query(db, f"select * from raw.{t}") for t in ("loads", "documents")} == before


def test_glob_argument(tmp_path, db):
    folder = tmp_path / "g"
    a = write(folder / "bench_a.ndjson", ndjson([{"model_name": "ga"}]))
    b = write(folder / "bench_b.ndjson", ndjson([{"model_name": "gb"}]))
    write(folder / "other.ndjson", ndjson([{"model_name": "other"}]))
    write(folder / "bench_c.txt", ndjson([{"model_name": "txt"}]))
    deep = write(folder / "x" / "y" / "bench_d.ndjson", ndjson([{"model_name": "gd"}]))

    proc = run_ingest(db, f"{folder}/bench_*")  # unexpanded: the CLI globs itself
    proc_recursive = run_ingest(db, f"{folder}/**/bench_d.ndjson")

    assert (proc.returncode, proc_recursive.returncode) == (0, 0), proc.stderr
    assert query(db, "select source_path, payload->>'model_name' from raw.documents order by load_id") == [
        (str(a), "ga"),
        (str(b), "gb"),
        (str(deep), "gd"),
    ]
    assert len(loads(db)) == 3


# --------------------------------------------------------------------------------------------
# 6. routing
# --------------------------------------------------------------------------------------------


def test_events_go_to_task_events_and_other_documents_to_documents(tmp_path, db):
    docs = [
        event("batch_started", batch_id="b1", model_names=["bert"]),
        {"model_name": "bert", "latency_ms": 3.0},
        event("task_started", task_id="t1", model_name="bert"),
        {"export_date": "2026-10-15T12:00:00", "tasks": [{"task_id": "legacy-1"}]},
        event("task_completed", task_id="t1", occurred_at="2026-11-01T09:05:00.123+02:00"),
        event("batch_deleted", batch_id="b1"),
    ]
    path = write(tmp_path / "mixed.ndjson", ndjson(docs))

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert query(db, "select record_index, payload->>'event' from raw.task_events order by record_index") == [
        (1, "batch_started"),
        (3, "task_started"),
        (5, "task_completed"),
        (6, "batch_deleted"),
    ]
    assert query(
        db,
        "select record_index, payload->>'model_name', payload->>'export_date' from raw.documents order by record_index",
    ) == [(2, "bert", None), (4, None, "2026-10-15T12:00:00")]
    assert [
        json.loads(p) for (p,) in query(db, "select payload::varchar from raw.task_events order by record_index")
    ] == [docs[0], docs[2], docs[4], docs[5]]


# --------------------------------------------------------------------------------------------
# 8. DUCKDB_PATH and the lock
# --------------------------------------------------------------------------------------------


def test_duckdb_path_env_var_is_the_default_db(tmp_path):
    env_db = tmp_path / "from_env" / "env.duckdb"
    default_db = ROOT / "data" / "analytics.duckdb"
    default_state = default_db.stat().st_mtime_ns if default_db.exists() else None
    path = write(tmp_path / "e.json", '{"model_name": "via-env"}')

    proc = run_ingest(None, path, env={"DUCKDB_PATH": str(env_db)})

    assert proc.returncode == 0, proc.stderr
    assert query(env_db, "select payload->>'model_name' from raw.documents") == [("via-env",)]
    assert (default_db.stat().st_mtime_ns if default_db.exists() else None) == default_state


def test_explicit_db_wins_over_duckdb_path(tmp_path, db):
    env_db = tmp_path / "env.duckdb"
    path = write(tmp_path / "e.json", '{"model_name": "explicit"}')

    proc = run_ingest(db, path, env={"DUCKDB_PATH": str(env_db)})

    assert proc.returncode == 0, proc.stderr
    assert query(db, "select payload->>'model_name' from raw.documents") == [("explicit",)]
    assert not env_db.exists()


def test_lock_timeout_when_another_process_holds_the_file(tmp_path, db):
    db.parent.mkdir(parents=True)
    holder = duckdb.connect(str(db))
    try:
        path = write(tmp_path / "l.json", '{"model_name": "locked"}')
        proc = run_ingest(db, path, args=["--lock-timeout", "0.5"])
    finally:
        holder.close()

    assert proc.returncode == 1
    assert f"{db}: still locked by another process after 0.5s; nothing was written" in proc.stderr
    assert query(db, "select count(*) from information_schema.tables where table_schema = 'raw'") == [(0,)]


# --------------------------------------------------------------------------------------------
# Regressions: bugs found in review, fixed
# --------------------------------------------------------------------------------------------


def test_gzip_ndjson_with_bad_line_lands_the_good_lines(tmp_path, db):
    bad_line = '{"model_name": "g2", '
    path = write(
        tmp_path / "bench.ndjson.gz",
        ndjson([{"model_name": "g1"}]) + bad_line + "\n" + ndjson([{"model_name": "g3"}]),
        gz=True,
    )

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert model_names(db) == [(1, "g1"), (3, "g3")]
    assert rejected(db) == [
        (1, str(path), 2, "not valid JSON: Expecting property name enclosed in double quotes", bad_line)
    ]
    assert f"{path}: record 2: rejected: not valid JSON" in proc.stderr


def test_stdin_spool_file_is_removed(tmp_path, db):
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()

    proc = run_ingest(db, "-", stdin=ndjson([{"model_name": "leak"}]), env={"TMPDIR": str(spool_dir)})

    assert proc.returncode == 0, proc.stderr
    assert model_names(db) == [(1, "leak")]
    assert sorted(p.name for p in spool_dir.iterdir()) == []


def test_bad_line_fallback_does_not_land_fragments_of_a_multiline_document(tmp_path, db):
    pretty = json.dumps({"model_name": "b", "results": [{"latency_ms": 1.5}]}, indent=2)
    pretty = pretty.replace('{\n      "latency_ms": 1.5\n    }', '{"latency_ms": 1.5}')
    path = write(tmp_path / "mixed.ndjson", '{"model_name": "a"}\n' + pretty + "\n" + '{"model_name": "c", \n')

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    # the inner fragment must never be landed as if it were a document
    assert scalar(db, "select count(*) from raw.documents where payload->>'model_name' is null") == 0
    assert sorted(m for (m,) in query(db, "select payload->>'model_name' from raw.documents")) == ["a", "b"]


@pytest.mark.parametrize("value", ["infinity", "epoch"])
def test_special_timestamp_strings_are_not_iso8601(tmp_path, db, value):
    path = write(tmp_path / "e.ndjson", ndjson([event("task_started", occurred_at=value)]))

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert [r[3] for r in rejected(db)] == [f"occurred_at '{value}' is not an ISO-8601 timestamp"]
    assert scalar(db, "select count(*) from raw.task_events") == 0


def test_ndjson_with_bad_first_line_lands_the_rest(tmp_path, db):
    path = write(
        tmp_path / "firstbad.ndjson", '{"model_name": "x", \n' + ndjson([{"model_name": "y"}, {"model_name": "z"}])
    )

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert model_names(db) == [(2, "y"), (3, "z")]
    assert [(r[2], r[3]) for r in rejected(db)] == [
        (1, "not valid JSON: Expecting property name enclosed in double quotes")
    ]


def test_progress_line_only_on_a_terminal_and_not_with_quiet(tmp_path, db):
    path = write(tmp_path / "p.ndjson", ndjson([{"model_name": f"m{i}"} for i in range(10)]))

    def on_terminal(*args: str) -> str:
        return run_on_terminal([sys.executable, "-m", "ingest", "--db", str(db), *args, str(path)], ROOT)

    shown = on_terminal()
    assert "\r[" in shown and "1/1 files" in shown, shown
    assert "\r[" not in on_terminal("--quiet")
    assert "\r[" not in run_ingest(db, path).stderr  # not a terminal


def test_duckdb_progress_bar_is_off_on_ingest_connections(db):
    """DuckDB printed its own bar on stdout, with --quiet too, for a statement over 2 s when ingest
    was called from `python -c` (DuckDB turns its bar on there); ingest turns it off."""
    script = (
        "import sys; from ingest.cli import common_arguments, open_warehouse; "
        "con = open_warehouse(common_arguments().parse_args(['--db', sys.argv[1]])); "
        "print(con.execute(\"select current_setting('enable_progress_bar')\").fetchone()[0])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(db)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_landing_tables_compress_each_column_with_the_method_chosen_for_it(db, tmp_path):
    """A load's rows share source_path (dictionary); documents and hashes are distinct (FSST).
    Choosing per column spares DuckDB trying every method on every segment it writes."""
    path = write(
        tmp_path / "events.ndjson",
        ndjson(event("task_started", task_id=f"t{i}", model_name=f"m{i}") for i in range(5000)),
    )
    assert run_ingest(db, path).returncode == 0

    methods = dict(
        query(
            db,
            "select column_name, string_agg(distinct compression order by compression) "
            "from pragma_storage_info('raw.task_events_all') "
            "where segment_type <> 'VALIDITY' group by column_name",
        )
    )
    assert (methods["source_path"], methods["record_hash"], methods["payload"]) == ("Dictionary", "FSST", "FSST")
