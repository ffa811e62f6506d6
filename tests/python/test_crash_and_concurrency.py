"""Robustness of ``python -m ingest``: a SIGKILL in the middle of a large file, and concurrent writers.

* Crash: the real CLI is started on a large NDJSON file and killed with SIGKILL at several points
  (0.3 s after the start, while DuckDB parses the file, while rows are being written to the database
  file, while the commit is written, while the closing checkpoint runs). Afterwards the warehouse
  opens, the killed load is either entirely absent (no row, no ``raw.loads`` entry) or, only if the
  kill came after its commit, entirely present; earlier data is untouched; and running the same
  command again lands every record exactly once.
* Concurrency: ingests wait for the single-writer lock with a bounded ``--lock-timeout``, say so
  while waiting, and fail cleanly (exit 1, nothing written) when it runs out; 8 ingests started at
  once together with a ``dbt build`` (plus ingests started while the build runs) all succeed and
  every record lands exactly once.
* A file that changes between the two reads of its landing fails its load, and nothing of it is kept.

The kill points are found by watching the database file, not by guessing times: DuckDB first reads
the whole file into an index in a temp table (database file untouched), then reads it again and
writes the new row groups into the database file before the commit, then appends the commit to
``<db>.wal`` and finally, on close, checkpoints the WAL into the file and removes it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest

from conftest import (
    GENERATOR_MARTS,
    ROOT,
    counts,
    dbt_invocation,
    ingest_invocation,
    loads,
    minified,
    ndjson,
    query,
    run_ingest,
    scalar,
    write,
)
from ingest import land
from ingest.connect import connect
from ingest.discover import Source
from ingest.land import FileChanged
from ingest.schema import LANDING_DDL

LANDING = ("raw.task_events", "raw.documents")
BIG_RECORDS = 400_000  # ~24 MB of NDJSON; a full landing takes ~3 s on an idle 2-core machine
POLL = 0.005


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def start(invocation: tuple[list[str], dict[str, str]], log: Path) -> subprocess.Popen:
    """Start a conftest invocation in the background; stdout+stderr go to ``log``."""
    command, env = invocation
    with open(log, "wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )


def start_ingest(db: Path, *paths: Path, args: tuple[str, ...] = (), log: Path) -> subprocess.Popen:
    """Start ``python -m ingest`` in the background."""
    return start(ingest_invocation(db, *paths, args=args), log)


def start_dbt(db: Path, work: Path, *args: str, log: Path) -> subprocess.Popen:
    """Start the real ``dbt`` in the background."""
    return start(dbt_invocation(db, work, *args), log)


def stop(proc: subprocess.Popen) -> None:
    """Kill a background process this test started, if it is still running."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def snapshot(db: Path) -> dict:
    """Everything a finished load can change, summarised per load (cheap even with a million rows).

    A load is registered in raw.loads as `running` before its rows are written, so a killed one
    leaves that row behind (not finished, nothing counted): it is left out here."""
    per_load = (
        "select load_id, count(*), count(distinct record_index), "
        "bit_xor(hash(record_index, record_hash)) from {} group by load_id order by load_id"
    )
    return {
        "counts": {**counts(db), "loads": scalar(db, "select count(*) from raw.loads where finished_at is not null")},
        "loads": query(db, "select * from raw.loads where finished_at is not null order by load_id"),
        "task_events": query(db, per_load.format("raw.task_events")),
        "documents": query(db, per_load.format("raw.documents")),
        "rejected": query(db, "select load_id, record_index, reason from raw.rejected_records order by all"),
    }


def assert_consistent(db: Path, recovered: bool = True) -> None:
    """Invariants that hold after any number of complete loads (and no partial one)."""
    for table in LANDING:
        total, distinct = query(db, f"select count(*), count(distinct record_hash) from {table}")[0]
        assert total == distinct, f"{table}: {total - distinct} record(s) stored more than once"
    for table in LANDING + ("raw.rejected_records",):
        orphans = scalar(db, f"select count(*) from {table} where load_id not in (select load_id from raw.loads)")
        assert orphans == 0, f"{table}: {orphans} row(s) of a load that raw.loads does not know"
    bad = query(
        db,
        "select load_id, status, finished_at from raw.loads "
        "where (finished_at is null) <> (status in ('running', 'interrupted', 'failed')) "
        "or records_in <> records_landed + duplicates_skipped + records_rejected",
    )
    assert bad == [], bad
    if recovered:  # an ingest ran since: it removed what unfinished loads had stored (invisibly)
        hidden = [
            scalar(
                db,
                f"select count(*) from {table}_all where load_id in "
                "(select load_id from raw.loads where finished_at is null)",
            )
            for table in LANDING + ("raw.rejected_records",)
        ]
        assert hidden == [0, 0, 0], f"rows of unfinished loads are still stored: {hidden}"
    per_load = query(
        db,
        """
        select l.load_id, l.records_landed,
               (select count(*) from raw.task_events t where t.load_id = l.load_id)
             + (select count(*) from raw.documents d where d.load_id = l.load_id)
        from raw.loads l where l.records_landed <> (
               (select count(*) from raw.task_events t where t.load_id = l.load_id)
             + (select count(*) from raw.documents d where d.load_id = l.load_id))
    """,
    )
    assert per_load == [], f"raw.loads.records_landed disagrees with the stored rows: {per_load}"


# --------------------------------------------------------------------------------------------
# 1. SIGKILL in the middle of a large file
# --------------------------------------------------------------------------------------------


def big_record(i: int) -> dict:
    if i % 2:
        return {
            "event": "task_updated",
            "occurred_at": "2026-11-01T09:00:00Z",
            "task_id": f"big-t{i % 5000}",
            "status": "running",
            "progress": 0.5,
            "seq": i,
        }
    return {"probe": "big", "seq": i, "latency_ms": i * 0.25, "tags": ["crash", "test"]}


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.ndjson"
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, BIG_RECORDS, 50_000):
            handle.write(
                "".join(minified(big_record(i)) + "\n" for i in range(start, min(start + 50_000, BIG_RECORDS)))
            )
    return path


SMALL = [
    {"probe": "small", "model_name": "earlier"},
    {
        "event": "task_started",
        "occurred_at": "2026-11-01T08:00:00Z",
        "task_id": "earlier-t1",
        "model_name": "bert-base-uncased",
    },
]


def land_small(tmp_path: Path, db: Path) -> None:
    """The earlier data that must survive: two good records and one rejected line."""
    small = write(tmp_path / "small.ndjson", "".join(minified(d) + "\n" for d in SMALL) + '{"truncated": \n')
    proc = run_ingest(db, small)
    assert proc.returncode == 1, proc.stderr  # the bad line is rejected, the rest lands
    assert counts(db) == {"loads": 1, "documents": 1, "task_events": 1, "rejected_records": 1}


def reads(fds: Path, name: str) -> bool:
    try:
        return any(os.readlink(fd) == name for fd in fds.iterdir())
    except OSError:  # the process or one of its descriptors just went away
        return False


DATA_COMMIT_WAL_BYTES = 2048  # more than the `running` row's WAL, less than a data commit's first write


def kill_when(proc: subprocess.Popen, db: Path, point: str, big_file_name: str) -> dict:
    """Wait until ``proc`` reaches ``point``, SIGKILL it, and describe where it was."""
    started = time.monotonic()
    base_size = size(db)
    wal_seen_at_size = opened_at = None
    fds = Path(f"/proc/{proc.pid}/fd")
    # ingest commits the load's `running` row first (a WAL of a few hundred bytes); the data commit
    # writes kilobytes at once. The commit is a ~20 ms window: poll it finely.
    poll = 0.0005 if point == "committing" else POLL
    while proc.poll() is None:
        elapsed = time.monotonic() - started
        db_size, wal_size = size(db), size(wal(db))
        if wal_size >= DATA_COMMIT_WAL_BYTES and wal_seen_at_size is None:
            wal_seen_at_size = db_size
        if point == "parsing" and opened_at is None and reads(fds, big_file_name):
            opened_at = elapsed  # DuckDB's JSON reader has the file open
        hit = {
            "after_0.3s": elapsed >= 0.3,
            "parsing": (opened_at is not None and elapsed >= opened_at + 0.5)
            if fds.exists()
            else elapsed >= 1.0,  # no /proc: by time
            "inserting": wal_size < DATA_COMMIT_WAL_BYTES and db_size >= base_size + (4 << 20),
            "committing": wal_size >= DATA_COMMIT_WAL_BYTES,
            "checkpointing": wal_seen_at_size is not None and db_size > wal_seen_at_size,
        }[point]
        if hit:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"after_s": round(elapsed, 3), "db_grew_by": db_size - base_size, "wal_bytes": wal_size}
        time.sleep(poll)
    pytest.fail(f"ingest finished (exit {proc.returncode}) before reaching kill point {point!r}; raise BIG_RECORDS")


def big_rows(db: Path) -> dict[str, int]:
    """Rows of the big file per landing table, and how many of them no raw.loads row accounts for."""
    return {
        "documents": scalar(db, "select count(*) from raw.documents where payload->>'probe' = 'big'"),
        "task_events": scalar(db, "select count(*) from raw.task_events where payload->>'task_id' like 'big-%'"),
        "orphaned": scalar(
            db,
            """
            select count(*) from (select load_id from raw.documents union all
                                  select load_id from raw.task_events)
            where load_id not in (select load_id from raw.loads)""",
        ),
    }


# Why a load is registered as `running` before its rows are written, and raw views show finished loads
# only: DuckDB 1.5.5 replays a commit cut off mid-WAL-write (two writes ~8 ms apart) partly. Before
# that design, a SIGKILL between the writes left the killed load's raw.documents rows visible without
# their raw.loads row, and the rerun counted them as duplicates. The `committing` kill point below
# probes exactly that window.


@pytest.mark.parametrize(
    "point",
    [
        "after_0.3s",
        "parsing",
        "inserting",
        "committing",
        "checkpointing",
    ],
)
def test_sigkill_mid_load_is_atomic_and_rerun_lands_exactly_once(tmp_path, db, big_file, point):
    # The commit window is short. A kill in it that finds the commit complete, or no entry of it in
    # the WAL yet, did not probe it: try again on a fresh warehouse (3 attempts at most).
    for attempt in range(3):
        if attempt:
            for leftover in db.parent.glob(db.name + "*"):
                leftover.unlink()
        land_small(tmp_path, db)
        before = snapshot(db)

        proc = start_ingest(db, big_file, log=tmp_path / "killed.log")
        try:
            where = kill_when(proc, db, point, str(big_file))
        finally:
            stop(proc)
        assert proc.returncode == -signal.SIGKILL
        output = (tmp_path / "killed.log").read_text()
        print(f"attempt {attempt + 1}: killed while {point}: {where}; wal left: {wal(db).exists()}")
        if point in ("after_0.3s", "parsing"):  # the kill really came before anything was written
            assert where["db_grew_by"] == 0 and where["wal_bytes"] < DATA_COMMIT_WAL_BYTES, where

        # the warehouse opens (read-only, as any client would)
        after = snapshot(db)
        its_loads = [row for row in loads(db) if row["source_path"] == str(big_file)]
        committed = [row for row in its_loads if row["status"] != "running"]
        visible = big_rows(db)
        print(f"after the kill: raw.loads rows for it: {its_loads}, its rows: {visible}")
        # not finished, or not there at all, and nothing counted
        assert [(r["status"], r["records_landed"]) for r in its_loads if r not in committed] in ([], [("running", 0)])
        if point != "committing" or not committed:
            break  # a kill meant for the commit that found it complete did not probe it: again

    assert visible["orphaned"] == 0 and (committed or visible["documents"] + visible["task_events"] == 0), (
        f"killed load is half visible: {visible['documents']} documents and "
        f"{visible['task_events']} task events of it are stored, {visible['orphaned']} rows belong "
        f"to a load_id raw.loads does not know, raw.loads rows for the file: {committed}"
    )
    if point in ("after_0.3s", "parsing", "inserting"):
        assert committed == [], f"killed before its commit, yet raw.loads shows it: {committed}"
    if not committed:
        assert after == before  # nothing of the killed load is visible anywhere
    else:
        # killed after the commit was complete (during the closing checkpoint): all of it is there
        assert committed == [
            {
                "load_id": 2,
                "source_path": str(big_file),
                "records_in": BIG_RECORDS,
                "records_landed": BIG_RECORDS,
                "duplicates_skipped": 0,
                "records_rejected": 0,
                "status": "succeeded",
                "message": None,
            }
        ], output
        assert visible == {"documents": BIG_RECORDS // 2, "task_events": BIG_RECORDS // 2, "orphaned": 0}
        assert after["rejected"] == before["rejected"]
    assert_consistent(db, recovered=False)
    for table in ("task_events", "documents", "rejected"):  # earlier data survived untouched
        assert [r for r in after[table] if r[0] == 1] == [r for r in before[table] if r[0] == 1]

    # the same command again: no stale lock, exit 0, every record exactly once
    rerun = run_ingest(db, big_file, args=["--lock-timeout", "10"], timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "waiting" not in rerun.stderr, rerun.stderr
    landed_now = 0 if committed else BIG_RECORDS
    assert re.search(
        rf"{re.escape(str(big_file))}: load \d+: {BIG_RECORDS} records, {landed_now} "
        rf"landed, {BIG_RECORDS - landed_now} duplicates skipped, 0 rejected",
        rerun.stderr,
    ), rerun.stderr
    assert_consistent(db)
    # the earlier one, the killed one if it got as far as registering itself, the rerun
    assert counts(db) == {
        "loads": 2 + len(its_loads),
        "documents": 1 + BIG_RECORDS // 2,
        "task_events": 1 + BIG_RECORDS // 2,
        "rejected_records": 1,
    }
    seqs = query(
        db,
        """
        select count(*), count(distinct seq), min(seq), max(seq) from (
            select (payload->>'seq')::bigint as seq from raw.documents where payload->>'probe' = 'big'
            union all
            select (payload->>'seq')::bigint from raw.task_events where payload->>'task_id' like 'big-%'
        )
    """,
    )
    assert seqs == [(BIG_RECORDS, BIG_RECORDS, 0, BIG_RECORDS - 1)]
    big_loads = [row for row in loads(db) if row["source_path"] == str(big_file)]
    assert sum(row["records_landed"] for row in big_loads) == BIG_RECORDS
    assert sorted(row["status"] for row in big_loads) in (
        ["succeeded"],
        ["interrupted", "succeeded"],
        ["succeeded", "succeeded"],
    )
    assert snapshot(db)["rejected"] == before["rejected"]


# --------------------------------------------------------------------------------------------
# 2. the single-writer lock: bounded wait, clear messages, clean failure
# --------------------------------------------------------------------------------------------


def fixture_warehouse(db: Path) -> dict:
    proc = run_ingest(db, ROOT / "tests" / "fixtures")
    assert proc.returncode == 0, proc.stderr
    return snapshot(db)


def test_lock_timeout_fails_cleanly_and_changes_nothing(tmp_path, db):
    before = fixture_warehouse(db)
    files = [
        write(
            tmp_path / f"locked{i}.ndjson",
            "".join(minified({"probe": "locked", "file": i, "n": n}) + "\n" for n in range(50)),
        )
        for i in range(3)
    ]

    procs: list[subprocess.Popen] = []
    holder = duckdb.connect(str(db))  # a writer in this process: ingest cannot get the file
    try:
        started = time.monotonic()
        procs += [
            start_ingest(db, f, args=("--lock-timeout", "1"), log=tmp_path / f"l{i}.log") for i, f in enumerate(files)
        ]
        for proc in procs:
            proc.wait(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        for proc in procs:
            stop(proc)
        holder.close()

    for i, proc in enumerate(procs):
        output = (tmp_path / f"l{i}.log").read_text()
        assert proc.returncode == 1, output
        assert f"{db}: locked by another process, waiting (up to " in output
        assert (
            f"{db}: still locked by another process after 1s; nothing was written. Retry later or raise --lock-timeout."
        ) in output
        assert "landed" not in output
    assert 1 <= elapsed < 20, f"--lock-timeout 1 took {elapsed:.1f}s"
    assert snapshot(db) == before

    # nothing lost: once the file is free the same commands land everything, once
    for f in files + files:
        assert run_ingest(db, f).returncode == 0
    assert_consistent(db)
    assert scalar(db, "select count(*) from raw.documents where payload->>'probe' = 'locked'") == 150


def test_waiting_message_does_not_understate_the_remaining_wait(tmp_path, db):
    db.parent.mkdir(parents=True)
    path = write(tmp_path / "w.json", '{"probe": "message"}')
    holder = duckdb.connect(str(db))
    try:
        started = time.monotonic()
        proc = run_ingest(db, path, args=["--lock-timeout", "1"])
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    assert proc.returncode == 1, proc.stderr
    stated = re.findall(r"waiting \(up to ([0-9.]+)s more\)", proc.stderr)
    assert stated, proc.stderr
    assert float(stated[0]) > 0, f"said {proc.stderr.splitlines()[0]!r}, then waited {elapsed:.1f}s"


def test_ingest_waits_for_the_lock_and_lands_once_it_is_released(tmp_path, db):
    before = fixture_warehouse(db)
    path = write(tmp_path / "late.ndjson", "".join(minified({"probe": "waited", "n": n}) + "\n" for n in range(100)))

    holder = duckdb.connect(str(db))
    release = threading.Timer(2.0, holder.close)
    release.start()
    try:
        started = time.monotonic()
        proc = run_ingest(db, path, args=["--lock-timeout", "30"])
        elapsed = time.monotonic() - started
    finally:
        release.cancel()
        release.join()
        holder.close()

    assert proc.returncode == 0, proc.stderr
    assert f"{db}: locked by another process, waiting (up to " in proc.stderr
    assert re.search(
        rf"{re.escape(str(path))}: load \d+: 100 records, 100 landed, "
        "0 duplicates skipped, 0 rejected",
        proc.stderr,
    ), proc.stderr
    assert 2 <= elapsed < 30
    assert counts(db)["documents"] == before["counts"]["documents"] + 100
    assert_consistent(db)


# --------------------------------------------------------------------------------------------
# 3. 8 ingests at once, racing a dbt build (and ingests started while it runs)
# --------------------------------------------------------------------------------------------

RACE_FILES, LATE_FILES = 8, 2
# `dbt build` of the generator marts, everything they are built from and raw.loads' staging model (the
# whole project's build takes minutes on 2 cores); tests only when all their parents are selected.
DBT_BUILD = (
    "build",
    "--select",
    GENERATOR_MARTS + " +stg_raw__loads",
    "--exclude",
    "resource_type:unit_test",
    "--indirect-selection",
    "cautious",
)


def race_records(i: int) -> list[dict]:
    """File i: 250 complete tasks of its own (1000 events), 1500 documents of its own, 300 records
    shared by every file (half of them events) and the 200 + 200 shared with its two neighbours."""
    records: list[dict] = []
    at = "2026-11-02T10:00:{:02d}Z".format
    for t in range(250):
        task = f"race-f{i}-t{t}"
        records += [
            {
                "event": "task_started",
                "occurred_at": at(0),
                "task_id": task,
                "model_name": "bert-base-uncased",
                "hardware": ["cpu"],
                "rid": f"{task}-1",
            },
            {
                "event": "task_updated",
                "occurred_at": at(1),
                "task_id": task,
                "status": "running",
                "progress": 0.5,
                "current_step": "render",
                "metrics": {"tokens": t},
                "tags": {"race": str(i)},
                "rid": f"{task}-2",
            },
            {
                "event": "task_updated",
                "occurred_at": at(2),
                "task_id": task,
                "progress": 0.9,
                "current_step": "write",
                "rid": f"{task}-3",
            },
            {
                "event": "task_completed",
                "occurred_at": at(3),
                "task_id": task,
                "result": {"success": True, "duration": 3.0},
                "rid": f"{task}-4",
            },
        ]
    records += [{"probe": "race", "file": i, "n": n, "rid": f"f{i}-d{n}"} for n in range(1500)]
    records += [
        {
            "event": "task_started",
            "occurred_at": at(n % 60),
            "task_id": f"race-shared-t{n}",
            "model_name": "bert-base-uncased",
            "rid": f"shared-{n}",
        }
        if n % 2
        else {"probe": "race-shared", "rid": f"shared-{n}"}
        for n in range(300)
    ]
    for pair in (i, (i - 1) % (RACE_FILES + LATE_FILES)):
        records += [{"probe": "race-pair", "rid": f"pair{pair}-{n}"} for n in range(200)]
    return records


@pytest.fixture
def race_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "race"
    return [
        write(folder / f"race{i}.ndjson", "".join(minified(r) + "\n" for r in race_records(i)))
        for i in range(RACE_FILES + LATE_FILES)
    ]


def wait_for_line(log: Path, needle: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if needle in log.read_text(errors="replace"):
            return proc.poll() is None
        time.sleep(0.05)
    return False


def test_eight_concurrent_ingests_and_a_dbt_build_land_everything_exactly_once(tmp_path, race_files):
    db = tmp_path / "race.duckdb"
    fixture_warehouse(db)  # dbt needs the raw tables to exist
    before = snapshot(db)
    logs = tmp_path / "logs"
    logs.mkdir()
    lock_args = ("--lock-timeout", "150")

    procs: dict[str, subprocess.Popen] = {}
    late_started_while_dbt_ran = []
    try:
        procs["dbt"] = start_dbt(db, tmp_path / "dbt", *DBT_BUILD, log=logs / "dbt.log")
        for i in range(RACE_FILES):
            procs[f"race{i}"] = start_ingest(db, race_files[i], args=lock_args, log=logs / f"race{i}.log")
        # two more once dbt is really building: at its first node and at its first mart
        for i, needle in zip(
            range(RACE_FILES, RACE_FILES + LATE_FILES), (" START ", "START sql table model marts."), strict=False
        ):
            running = wait_for_line(logs / "dbt.log", needle, procs["dbt"], timeout=120)
            late_started_while_dbt_ran.append(running)
            procs[f"race{i}"] = start_ingest(db, race_files[i], args=lock_args, log=logs / f"race{i}.log")
        for proc in procs.values():
            proc.wait(timeout=170)
    finally:
        for proc in procs.values():
            stop(proc)

    outputs = {name: (logs / f"{name}.log").read_text(errors="replace") for name in procs}
    assert procs["dbt"].returncode == 0, outputs["dbt"][-6000:]
    for i in range(RACE_FILES + LATE_FILES):
        name = f"race{i}"
        assert procs[name].returncode == 0, outputs[name]
        assert f"{race_files[i]}: load " in outputs[name], outputs[name]
    assert late_started_while_dbt_ran == [True] * LATE_FILES, outputs["dbt"][-3000:]
    waited = [name for name, out in outputs.items() if "waiting" in out and name != "dbt"]
    assert waited, "no ingest ever had to wait for the lock: the race did not happen"
    print(f"ingests that waited for the lock: {waited}")

    # every record exactly once
    expected = {r["rid"] for i in range(RACE_FILES + LATE_FILES) for r in race_records(i)}
    lines = sum(len(race_records(i)) for i in range(RACE_FILES + LATE_FILES))
    stored = query(
        db,
        "select payload->>'rid' from raw.task_events where payload->>'rid' is not null "
        "union all "
        "select payload->>'rid' from raw.documents where payload->>'rid' is not null",
    )
    stored_ids = [rid for (rid,) in stored]
    assert len(stored_ids) == len(set(stored_ids)), "a record was stored more than once"
    assert set(stored_ids) == expected
    assert_consistent(db)

    # raw.loads accounts for it: one succeeded load per file, earlier loads and rows untouched
    fixture_loads = {row[0] for row in before["loads"]}
    race = [row for row in loads(db) if row["load_id"] not in fixture_loads]
    assert sorted(row["source_path"] for row in race) == sorted(map(str, race_files))
    assert all(row["status"] == "succeeded" and row["records_rejected"] == 0 for row in race), race
    assert sum(row["records_in"] for row in race) == lines
    assert sum(row["records_landed"] for row in race) == len(expected)
    assert sum(row["duplicates_skipped"] for row in race) == lines - len(expected)
    after = snapshot(db)
    assert [row for row in after["loads"] if row[0] in fixture_loads] == before["loads"]
    assert after["rejected"] == before["rejected"]
    for table in ("task_events", "documents"):
        assert [r for r in after[table] if r[0] in fixture_loads] == before[table]


def test_concurrent_ingests_create_a_new_warehouse_once(tmp_path, race_files):
    db = tmp_path / "fresh" / "new.duckdb"  # does not exist yet: the first writer creates it
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = [
        start_ingest(db, race_files[i], args=("--lock-timeout", "60"), log=logs / f"{i}.log") for i in range(RACE_FILES)
    ]
    try:
        for proc in procs:
            proc.wait(timeout=90)
    finally:
        for proc in procs:
            stop(proc)
    for i, proc in enumerate(procs):
        assert proc.returncode == 0, (logs / f"{i}.log").read_text()
    expected = {r["rid"] for i in range(RACE_FILES) for r in race_records(i)}
    stored = [
        rid
        for (rid,) in query(
            db, "select payload->>'rid' from raw.task_events union all select payload->>'rid' from raw.documents"
        )
    ]
    assert len(stored) == len(set(stored)) and set(stored) == expected
    assert [row["load_id"] for row in loads(db)] == list(range(1, RACE_FILES + 1))
    assert_consistent(db)


# --------------------------------------------------------------------------------------------
# 4. a file written to between the two reads of its landing
# --------------------------------------------------------------------------------------------

GOOD_LINES = ndjson({"model_name": f"m{i}"} for i in range(5000))


@pytest.mark.parametrize(
    "rewrite, error",
    [
        (GOOD_LINES.replace('"m1"', '"changed"'), FileChanged),
        (GOOD_LINES.replace('"m1"', '"m0"'), FileChanged),  # as many documents, one index twice
        (GOOD_LINES + '{"model_name": \n', duckdb.InvalidInputException),
    ],
)
def test_file_changed_between_its_reads_fails_the_load_and_lands_nothing(tmp_path, db, monkeypatch, rewrite, error):
    """The file is indexed, then a document of it changes before they land: the load fails with
    the real error, nothing of it is kept, and the optimizer setting of the second read is reset."""
    path = write(tmp_path / "changing.ndjson", GOOD_LINES)
    stage_one = land._stage_one

    def stage_then_rewrite(con, source):
        staged = stage_one(con, source)
        path.write_text(rewrite)
        return staged

    monkeypatch.setattr(land, "_stage_one", stage_then_rewrite)
    con = connect(str(db), lock_timeout=10)
    try:
        con.execute(LANDING_DDL)
        with pytest.raises(error) as raised:
            land.land_batch(con, [Source(path, str(path))])
        assert con.execute("select current_setting('disabled_optimizers')").fetchone() == ("",)
    finally:
        con.close()
    assert [(row["status"], row["records_landed"]) for row in loads(db)] == [("failed", 0)]
    assert loads(db)[0]["message"].startswith(f"{type(raised.value).__name__}: ")
    assert [scalar(db, f"select count(*) from {table}_all") for table in (*LANDING, "raw.rejected_records")] == [
        0,
        0,
        0,
    ]
