"""Hostile input fed to the real CLI, on real files and a real DuckDB: odd names, odd times, big
files under a small memory limit, broken files whose good records must land, repeated names,
blank lines, a full disk. Always: records in = landed + duplicates + rejected."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, event, loads, minified, ndjson, query, run_dbt, run_ingest, scalar, write


def landed(db, table="documents"):
    return query(
        db, f"select source_path, record_index, payload ->> 'n' from raw.{table} order by load_id, record_index"
    )


def rejected(db):
    return query(db, "select record_index, reason from raw.rejected_records order by load_id, record_index")


def assert_accounting(db):
    assert query(
        db, "select count(*) from raw.loads where records_in <> records_landed + duplicates_skipped + records_rejected"
    ) == [(0,)]


def lines(count: int, start: int = 0) -> list[str]:
    return [minified({"n": str(i)}) for i in range(start, start + count)]


# --------------------------------------------------------------------------------------------
# issue 16.1: a path that exists is a file, never a pattern
# --------------------------------------------------------------------------------------------

NAMES = ["c1.json", "c[1].json", "ab.json", "a*b.json", "axb.json", "a?b.json", "results[2024].json", "results2.json"]


def test_a_file_named_with_glob_characters_lands_its_own_content(db, tmp_path):
    for name in ("c1.json", "c[1].json"):
        write(tmp_path / name, minified({"n": name}))

    proc = run_ingest(db, tmp_path / "c[1].json")

    assert proc.returncode == 0, proc.stderr
    assert landed(db) == [(str(tmp_path / "c[1].json"), 1, "c[1].json")]


def test_glob_characters_in_a_batched_folder(db, tmp_path):
    for name in NAMES:
        write(tmp_path / "in" / name, minified({"n": name}) + "\n" + minified({"n": name + "/2"}) + "\n")

    proc = run_ingest(db, tmp_path / "in")

    assert proc.returncode == 0, proc.stderr
    assert sorted(landed(db)) == sorted(
        [(str(tmp_path / "in" / name), 1, name) for name in NAMES]
        + [(str(tmp_path / "in" / name), 2, name + "/2") for name in NAMES]
    )
    assert [(l["records_in"], l["records_landed"]) for l in loads(db)] == [(2, 2)] * len(NAMES)


# --------------------------------------------------------------------------------------------
# issue 16.2: times are ISO-8601 or rejected; one value never moves another
# --------------------------------------------------------------------------------------------


def test_a_named_time_zone_is_rejected_and_moves_no_other_time(db, tmp_path):
    docs = [
        event("task_started", task_id=f"t{i}", model_name="m", occurred_at=at)
        for i, at in enumerate(
            [
                "2026-01-01T00:00:00",
                "2026-01-01T00:00:00 America/New_York",
                "2026-01-01T00:00:00",
                "2026-01-01T00:00:00 UTC",
                "2026-01-01T00:00:00",
            ]
        )
    ]
    path = write(tmp_path / "zones.ndjson", ndjson(docs))

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert rejected(db) == [
        (2, "occurred_at '2026-01-01T00:00:00 America/New_York' is not an ISO-8601 timestamp"),
        (4, "occurred_at '2026-01-01T00:00:00 UTC' is not an ISO-8601 timestamp"),
    ]
    build = run_dbt(db, tmp_path, "run", "-s", "stg_raw__task_events")
    assert build.returncode == 0, build.stdout[-3000:]
    assert query(db, "select task_id, occurred_at::varchar from staging.stg_raw__task_events order by task_id") == [
        (f"t{i}", "2026-01-01 00:00:00") for i in (0, 2, 4)
    ]


@pytest.mark.parametrize(
    "value, lands",
    [
        ("2026-01-01T09:00:00Z", True),
        ("2026-01-01 09:00:00+05:30", True),
        ("2026-01-01T09:00:00+0530", True),
        ("2026-01-01T09:00:00-05", True),
        ("2026-01-01T09:00:00.123456Z", True),
        ("2026-01-01T09:00", True),
        ("2026-01-01", True),
        ("2026-01-01T09:00:00 Europe/Paris", False),
        ("2026-01-01T09:00:00 EST", False),
        ("2026-01-01T09:00:00Z junk", False),
        ("2026-13-01T00:00:00Z", False),
    ],
)
def test_only_iso_8601_occurred_at_lands(db, tmp_path, value, lands):
    proc = run_ingest(db, write(tmp_path / "t.ndjson", ndjson([event("task_started", occurred_at=value)])))

    assert proc.returncode == (0 if lands else 1), proc.stderr
    assert scalar(db, "select count(*) from raw.task_events") == (1 if lands else 0)


# --------------------------------------------------------------------------------------------
# issue 16.5: the memory limit holds on any number of threads
# --------------------------------------------------------------------------------------------


def events_file(path: Path, count: int) -> Path:
    """``count`` small generator events as NDJSON, written by DuckDB (no Python loop per line)."""
    con = duckdb.connect()
    con.execute(f"""
        copy (select '{{"event":"task_updated","occurred_at":"2026-11-01T09:00:00Z","task_id":"t' || i
                      || '","progress":0.5,"metrics":{{"loss":' || (i % 97) || '}},"message":"step ' || i
                      || ' of many, with some padding text"}}' as line
              from range({count}) as t(i))
        to '{path}' (format csv, header false, quote '', delimiter '\x01')
    """)
    con.close()
    return path


def test_a_big_file_lands_with_16_threads_under_a_small_memory_limit(db, tmp_path):
    path = events_file(tmp_path / "big.ndjson", 350_000)  # ~60 MB

    proc = run_ingest(db, path, args=["--threads", "16", "--memory-limit", "128MB"], timeout=300)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert scalar(db, "select count(*) from raw.task_events") == 350_000


@pytest.mark.parametrize("shape", ["ndjson", "object", "array"])
def test_a_24_mb_document_lands_at_the_default_limit_with_16_threads(db, tmp_path, shape):
    big = minified({"model_name": "big", "blob": "x" * 23_999_960})
    text = {
        "ndjson": minified({"model_name": "small"}) + "\n" + big + "\n",
        "object": big,
        "array": "[" + minified({"model_name": "small"}) + ",\n" + big + "]",
    }[shape]
    path = write(tmp_path / f"doc.{'ndjson' if shape == 'ndjson' else 'json'}", text)

    proc = run_ingest(db, path, args=["--threads", "16"], timeout=300)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert scalar(db, "select max(length(payload ->> 'blob')) from raw.documents") == 23_999_960


# --------------------------------------------------------------------------------------------
# issues 16.6, 16.7, 15.2: salvage lands every good record, in bounded memory
# --------------------------------------------------------------------------------------------

PEAK_RSS = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(proc.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.exit(proc.returncode)
"""


def test_one_bad_line_in_a_big_file_is_salvaged_in_bounded_memory(db, tmp_path):
    path = events_file(tmp_path / "big.ndjson", 700_000)  # ~120 MB
    with open(path, "a") as handle:
        handle.write('{"event": "task_updated", "broken\n')
        handle.write(minified(event("task_updated", task_id="last")) + "\n")
    size = path.stat().st_size

    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            PEAK_RSS,
            sys.executable,
            "-m",
            "ingest",
            "--db",
            str(db),
            "--memory-limit",
            "256MB",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert proc.returncode == 1, proc.stderr[-2000:]
    assert f"{path}: record 700001: rejected: not valid JSON: Unterminated string" in proc.stderr
    assert scalar(db, "select count(*) from raw.task_events") == 700_001
    assert scalar(db, "select record_index from raw.task_events where payload ->> 'task_id' = 'last'") == 700_002
    peak = int(proc.stdout.split()[-1])
    # DuckDB's 256 MB and Python's own ~100 MB; reading the file into Python took ~11x its size
    assert peak < 500 << 20, f"peak RSS {peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB file"
    assert_accounting(db)


def test_a_lone_surrogate_rejects_its_line_only(db, tmp_path):
    text = "\n".join(lines(2)) + '\n{"n": "bad \\ud800"}\n' + "\n".join(lines(2, 2)) + "\n"
    path = write(tmp_path / "surrogate.ndjson", text)

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert [n for _, _, n in landed(db)] == ["0", "1", "2", "3"]
    [(index, reason)] = rejected(db)
    assert index == 3 and reason.startswith("not valid JSON") and "tmp" not in reason
    assert_accounting(db)


def test_an_array_with_a_trailing_comma_keeps_its_elements(db, tmp_path):
    path = write(tmp_path / "trailing.json", '[{"n": "a"},\n {"n": "b"},\n]')

    proc = run_ingest(db, path)

    assert proc.returncode == 0, proc.stderr
    assert [(i, n) for _, i, n in landed(db)] == [(1, "a"), (2, "b")]
    assert_accounting(db)


def test_a_truncated_gzip_lands_what_decompresses(db, tmp_path):
    text = "".join(line + "\n" for line in lines(9870))
    compressed = gzip.compress(text.encode())
    path = write(tmp_path / "cut.ndjson.gz", compressed[: len(compressed) - 100])
    readable = subprocess.run(["zcat"], input=path.read_bytes(), capture_output=True, check=False).stdout.decode()
    complete = readable.count("\n")
    assert 9000 < complete < 9870

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert scalar(db, "select count(*) from raw.documents") == complete
    assert "gzip stream is cut off" in proc.stderr
    load = loads(db)[0]
    assert load["records_landed"] == complete and load["status"] == "partial"
    assert_accounting(db)


def test_more_bad_lines_than_good_lands_every_good_line(db, tmp_path):
    text = '{"n": \n' + lines(1)[0] + "\nnot json\n[1, 2\n" + lines(1, 1)[0] + "\n"
    path = write(tmp_path / "mostly_bad.ndjson", text)

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert [(i, n) for _, i, n in landed(db)] == [(2, "0"), (5, "1")]
    assert [index for index, _ in rejected(db)] == [1, 3, 4]
    assert all(reason.startswith("not valid JSON") for _, reason in rejected(db))
    for index in (1, 3, 4):
        assert f"{path}: record {index}: rejected: not valid JSON" in proc.stderr
    assert [(l["records_in"], l["records_landed"], l["records_rejected"]) for l in loads(db)] == [(5, 2, 3)]


# --------------------------------------------------------------------------------------------
# issue 16.9: accounting and lineage
# --------------------------------------------------------------------------------------------


def test_the_same_file_named_twice_is_landed_once(db, tmp_path):
    path = write(tmp_path / "twice.ndjson", "\n".join(lines(2)) + "\n")

    proc = run_ingest(db, path, path)

    assert proc.returncode == 0, proc.stderr
    assert [(l["records_in"], l["records_landed"], l["duplicates_skipped"]) for l in loads(db)] == [(2, 2, 0)]
    assert "skipped (the same file as" in proc.stderr
    assert [(i, n) for _, i, n in landed(db)] == [(1, "0"), (2, "1")]


@pytest.mark.parametrize("how", ["batched", "alone", "salvaged"])
def test_record_index_is_the_physical_line_with_blank_lines(db, tmp_path, how):
    good = lines(3)
    bad = '{"n": "broken", \n' if how == "salvaged" else ""
    text = "\n\n" + good[0] + "\n\n  \n" + (bad or "\n") + good[1] + "\n\n" + good[2] + "\n\n"
    path = write(tmp_path / "blank.ndjson", text)

    proc = (
        run_ingest(db, "-", stdin=text)
        if how == "alone"
        else run_ingest(db, path, write(tmp_path / "other.json", '{"n": "x"}'))
    )

    assert proc.returncode == (1 if bad else 0), proc.stderr
    rows = [(i, n) for _, i, n in landed(db) if n != "x"]
    assert rows == [(3, "0"), (7, "1"), (9, "2")]
    if bad:
        assert rejected(db) == [(6, "not valid JSON: Expecting property name enclosed in double quotes")]
        assert "record 6: rejected" in proc.stderr


# --------------------------------------------------------------------------------------------
# issue 15.3: started_at and finished_at are the load's real start and end
# --------------------------------------------------------------------------------------------


def test_started_at_and_finished_at_bracket_the_load(db, tmp_path):
    path = events_file(tmp_path / "timed.ndjson", 100_000)
    before = datetime.now(UTC)

    proc = run_ingest(db, path, timeout=300)

    after = datetime.now(UTC)
    assert proc.returncode == 0, proc.stderr
    started, finished, written = query(
        db, "select started_at, finished_at, (select max(loaded_at) from raw.task_events) from raw.loads"
    )[0]
    # rows are stamped when the landing transaction starts: the load began before it and ended after
    assert before <= started < written < finished <= after


# --------------------------------------------------------------------------------------------
# issue 15.10: a file that is not JSON at all, said once
# --------------------------------------------------------------------------------------------


def test_a_file_that_is_not_json_is_said_to_be_so_once(db, tmp_path):
    path = write(tmp_path / "archive.json", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(128, 256)) * 2)

    proc = run_ingest(db, path)

    assert proc.returncode == 1
    assert proc.stderr.count("not a JSON file") == 1
    assert f"{path}: whole file: rejected: not a JSON file: it starts with 'PK\\x03\\x04\\x14" in proc.stderr
    assert "record/value" not in proc.stderr and f"{path}: load 1: 1 records" not in proc.stderr
    assert f"{path}: load 1: rejected whole, nothing landed" in proc.stderr
    assert loads(db)[0]["message"].startswith("not a JSON file: it starts with 'PK")


# --------------------------------------------------------------------------------------------
# issue 16.10: a full disk is reported as such; earlier data stays
# --------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs (root only); unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or shutil.which("mount") is None
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("needs root and a tmpfs mount")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def test_a_full_disk_is_reported_and_earlier_data_stays(tmp_path, small_disk):
    db = small_disk / "w.duckdb"
    first = write(tmp_path / "first.ndjson", "\n".join(lines(100)) + "\n")
    assert run_ingest(db, first).returncode == 0
    big = events_file(tmp_path / "big.ndjson", 50_000)  # fewer than a row group: written at the commit

    proc = run_ingest(db, big, env={"TMPDIR": str(tmp_path)}, timeout=300)

    assert proc.returncode == 1
    assert "No space left on device" in proc.stderr, proc.stderr[-2000:]
    assert "cannot rollback" not in proc.stderr
    assert scalar(db, "select count(*) from raw.documents") == 100
    assert scalar(db, "select count(*) from raw.task_events") == 0
    assert "No space left on device" in query(db, "select message from raw.loads where load_id = 2")[0][0]

    subprocess.run(["mount", "-o", "remount,size=400m", str(small_disk)], check=True)
    again = run_ingest(db, big, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert scalar(db, "select count(*) from raw.task_events") == 50_000
    assert scalar(db, "select count(*) from raw.documents") == 100


def test_a_broken_one_line_array_of_many_elements_is_salvaged_whole(db, tmp_path):
    """Salvage finds each element's line without rescanning the line: 50,000 elements on one line."""
    elements = lines(50_000)
    path = write(tmp_path / "one_line.json", "[" + ",".join(elements) + ", 5,]")

    proc = run_ingest(db, path, timeout=120)

    assert proc.returncode == 1
    assert scalar(db, "select count(*), from raw.documents") == 50_000
    assert scalar(db, "select max(record_index) from raw.documents") == 50_000
    assert rejected(db) == [(50_001, "not a JSON object")]
    assert_accounting(db)
