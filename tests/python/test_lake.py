"""The warehouse on DuckLake with a real PostgreSQL catalog (started by the tests, see postgres.py):
many ingest processes at once land every document exactly once with exact accounting, a killed
writer leaves nothing visible, and dbt builds the same marts as on a DuckDB file.

Locally these skip (with the reason) when there is no PostgreSQL or no DuckLake extension; under
CI (env CI set) that is a failure instead."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import psycopg
import pytest

from conftest import ROOT, dbt_invocation, ingest_invocation, minified, run_dbt, run_ingest, write
from ingest import lake
from ingest.cli import land_all, open_warehouse
from ingest.connect import one_row
from ingest.discover import discover
from ingest.maintain import MIN_ORPHAN_HOURS, maintain
from ingest.maintain import main as maintain_main
from ingest.options import IngestOptions
from postgres import Postgres, missing_reason, skip_or_fail
from test_incremental import snapshot

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def postgres():
    reason = missing_reason()
    if reason is None:
        try:
            if not (Path(lake.EXTENSION_DIRECTORY) / f"v{duckdb.__version__}").is_dir():
                lake.install_extensions()  # offline, from the wheels of `pip install -e '.[lake]'`
        except lake.LakeUnavailable as err:
            reason = f"{err} (or run `make lake-extensions`)"
    if reason is not None:
        skip_or_fail(reason)
    server = Postgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lake_env(postgres, tmp_path, request) -> dict[str, str]:
    """DUCKDB_PATH and DUCKLAKE_DATA_PATH of a new, empty lake of this test's own."""
    name = re.sub(r"\W", "_", request.node.name.lower())[:50]
    return {
        "DUCKDB_PATH": lake.LAKE_PREFIX + "postgres:" + postgres.create(name),
        "DUCKLAKE_DATA_PATH": str(tmp_path / "lake_files"),
    }


def lake_query(env: dict[str, str], sql: str, params: list | None = None) -> list[tuple]:
    """One query on the lake, attached read-only as a reader would."""
    con = lake.connect_lake(env["DUCKDB_PATH"], read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def ingest_command(*paths: Path) -> list[str]:
    return [sys.executable, "-m", "ingest", "--quiet", "--threads", "1", *map(str, paths)]


def process_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **env}


def overlapping_files(folder: Path, writers: int) -> tuple[list[list[Path]], set[str], int]:
    """Per writer, the files it lands: documents drawn from one shared pool, so that writers race to
    land the same ones; some repeat within a file, some are rejected. Returns the files, the set of
    documents (their text) that must land, and how many rejects the files hold."""
    rng = random.Random(21)
    pool = [
        minified({"model_name": f"m{i % 17}", "hardware_type": "cpu", "batch_size": i, "run": i}) for i in range(300)
    ]
    pool += [
        minified({"event": "task_started", "task_id": f"t{i}", "occurred_at": "2026-11-01T09:00:00Z"})
        for i in range(100)
    ]
    bad = minified({"event": "task_started", "occurred_at": "2026-11-01T09:00:00Z"})  # no task_id
    plan, landed, rejects = [], set(), 0
    for writer in range(writers):
        files = []
        for index in range(1 if writer % 2 else 3):  # odd writers land one file alone, even a batch
            docs = rng.sample(pool, 120)
            docs += docs[:5]  # repeated within the file
            landed.update(docs)
            if index == 0:
                docs.append(bad)
                rejects += 1
            rng.shuffle(docs)
            files.append(write(folder / f"w{writer}" / f"part{index}.ndjson", "".join(d + "\n" for d in docs)))
        plan.append(files)
    return plan, landed, rejects


def check_accounting(env: dict[str, str]) -> list[tuple]:
    """Every load's counts add up and match the rows it landed; load ids are 1..n, each once."""
    loads = lake_query(
        env,
        """
        select l.load_id, l.records_in, l.records_landed, l.duplicates_skipped, l.records_rejected,
            (select count(*) from raw.documents as d where d.load_id = l.load_id)
            + (select count(*) from raw.task_events as e where e.load_id = l.load_id),
            (select count(*) from raw.rejected_records as r where r.load_id = l.load_id)
        from raw.loads as l order by l.load_id
    """,
    )
    assert [row[0] for row in loads] == list(range(1, len(loads) + 1))
    for load_id, records_in, landed, duplicates, rejected, rows, rejected_rows in loads:
        assert records_in == landed + duplicates + rejected, load_id
        assert (rows, rejected_rows) == (landed, rejected), load_id
    return loads


def read_while(writers: list[subprocess.Popen], env: dict[str, str]) -> list[tuple[int, int]]:
    """Poll the lake (read-only, one snapshot per query) until the writers exit: per poll, how many
    rows are stored and how many loads' rows differ from their recorded records_landed."""
    seen: list[tuple[int, int]] = []
    while True:  # until the first writer has created the lake
        try:
            con = lake.connect_lake(env["DUCKDB_PATH"], read_only=True)
            break
        except lake.LakeUnavailable:
            if all(w.poll() is not None for w in writers):
                return seen
            time.sleep(0.1)
    try:
        while any(w.poll() is None for w in writers):
            try:
                seen.append(
                    one_row(
                        con.execute("""
                    with landed as (
                        select load_id, count(*) as rows from (
                            select load_id from raw.documents_all
                            union all select load_id from raw.task_events_all)
                        group by load_id)
                    select (select count(*) from raw.documents_all) + (select count(*) from raw.task_events_all),
                        (select count(*) from landed full join raw.loads using (load_id)
                         where coalesce(landed.rows, 0) <> coalesce(loads.records_landed, -1))
                """)
                    )
                )
            except duckdb.CatalogException:  # the first writer has not created the tables yet
                pass
    finally:
        con.close()
    return seen


def test_eight_writers_at_once_land_every_document_exactly_once(lake_env, tmp_path):
    plan, expected, rejects = overlapping_files(tmp_path / "in", 8)
    writers = [
        subprocess.Popen(
            ingest_command(*files),
            cwd=ROOT,
            env=process_env(lake_env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for files in plan
    ]
    seen = read_while(writers, lake_env)
    outcomes = [(w.wait(timeout=600), w.stderr.read() if w.stderr else "") for w in writers]
    # a reader meanwhile saw whole loads only (each load's rows = its records_landed), never fewer rows
    assert seen and all(partial == 0 for _, partial in seen), seen
    assert [total for total, _ in seen] == sorted(total for total, _ in seen)
    # exit 1: each writer's first file holds one rejected record, and says so
    assert all(code == 1 and "has no task_id" in err for code, err in outcomes), outcomes

    stored = lake_query(
        lake_env, "select payload::varchar from raw.documents union all select payload::varchar from raw.task_events"
    )
    assert len(stored) == len(expected)  # no document twice
    assert {text for (text,) in stored} == expected  # and every one
    loads = check_accounting(lake_env)
    assert len(loads) == sum(len(files) for files in plan)
    assert sum(row[4] for row in loads) == rejects
    assert sum(row[1] for row in loads) == sum(len(f.read_text().splitlines()) for files in plan for f in files)
    assert advisory_locks(lake_env) == []  # no writer left its landing turn held


def advisory_locks(env: dict[str, str]) -> list[tuple]:
    """(granted, pid) of every advisory lock in the lake's catalog database, seen by a new session."""
    with psycopg.connect(env["DUCKDB_PATH"].removeprefix(lake.LAKE_PREFIX + "postgres:"), autocommit=True) as pg:
        return pg.execute(
            "select granted, pid from pg_locks where locktype = 'advisory' "
            "and database = (select oid from pg_database where datname = current_database()) order by granted"
        ).fetchall()


def test_writers_take_turns_at_landing_and_a_turn_ends_with_its_writer(lake_env):
    assert run_ingest(None, FIXTURES, env=lake_env).returncode == 0  # the lake exists
    events: list[str] = []
    first, second = (lake.connect_lake(lake_env["DUCKDB_PATH"]) for _ in range(2))

    def take_second_turn() -> None:
        events.append("second waits")
        with lake.landing_turn(second):
            events.append("second's turn")

    with lake.landing_turn(first):
        events.append("first's turn")
        (holder,) = advisory_locks(lake_env)
        waiting = threading.Thread(target=take_second_turn)
        waiting.start()
        while len(advisory_locks(lake_env)) < 2:  # the second writer's session queues for the lock
            assert waiting.is_alive()
            time.sleep(0.05)
        queued, held = advisory_locks(lake_env)
        assert held == holder and not queued[0] and queued[1] != holder[1]
        assert events == ["first's turn", "second waits"]
    waiting.join(timeout=60)
    assert events == ["first's turn", "second waits", "second's turn"]
    assert advisory_locks(lake_env) == []
    for con in (first, second):
        con.close()

    # a writer killed while it holds the turn: its session ends, and so does the turn
    holding = subprocess.Popen(
        [sys.executable, "-c", HOLDS_THE_TURN],
        cwd=ROOT,
        env=process_env(lake_env),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holding.stdout is not None and holding.stdout.readline().strip() == "holding"
    assert [granted for granted, _ in advisory_locks(lake_env)] == [True]
    holding.kill()
    holding.wait(timeout=60)
    deadline = time.monotonic() + 60
    while advisory_locks(lake_env) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert advisory_locks(lake_env) == []


HOLDS_THE_TURN = """
import os, time
from ingest import lake
con = lake.connect_lake(os.environ["DUCKDB_PATH"])
with lake.landing_turn(con):
    print("holding", flush=True)
    time.sleep(600)
"""


def run_dbt_on(env: dict[str, str], work: Path, *args: str) -> None:
    """The real dbt on the lake of ``env`` (the profile's lake target), artifacts under ``work``."""
    command, dbt_env = dbt_invocation(env["DUCKDB_PATH"], work, *args)
    proc = subprocess.run(
        command, cwd=ROOT, env={**dbt_env, **env}, capture_output=True, text=True, timeout=3600, check=False
    )
    assert proc.returncode == 0, proc.stdout[-5000:]


def lake_marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'lake' "
            "and table_schema = 'marts' order by table_name"
        ).fetchall()
    ]


def copy_lake_marts(env: dict[str, str], side: Path) -> None:
    """Copy every mart of the lake into a table of a DuckDB file, to compare after the next build."""
    con = lake.connect_lake(env["DUCKDB_PATH"], read_only=True)
    try:
        con.execute(f"attach '{side}' as side")
        for mart in lake_marts(con):
            con.execute(f"create table side.{mart} as select * from marts.{mart}")
    finally:
        con.close()


def lake_differences(env: dict[str, str], side: Path) -> dict[str, tuple]:
    """Per mart: rows only on the lake, rows only in ``side`` (except all, both ways); a mart
    missing on either side counts as all of its rows."""
    con = lake.connect_lake(env["DUCKDB_PATH"], read_only=True)
    try:
        con.execute(f"attach '{side}' as side (read_only)")
        on_side = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'side'"
            ).fetchall()
        }
        found: dict[str, tuple] = {}
        for mart in sorted(set(lake_marts(con)) | on_side):
            if mart not in on_side or mart not in lake_marts(con):
                found[mart] = ("missing",)
                continue
            only_lake, only_side = (
                one_row(con.execute(f"select count(*) from (select * from {a} except all select * from {b})"))[0]
                for a, b in ((f"marts.{mart}", f"side.{mart}"), (f"side.{mart}", f"marts.{mart}"))
            )
            if only_lake or only_side:
                found[mart] = (only_lake, only_side)
        return found
    finally:
        con.close()


def check_readers(env: dict[str, str], file_db: Path, work: Path) -> None:
    """The export, the CI gate and the report read the lake as they read the file."""
    for name, db in (("lake", env["DUCKDB_PATH"]), ("file", str(file_db))):
        tool_env = {**process_env(env), "DUCKDB_PATH": db}
        export = subprocess.run(
            [sys.executable, "-m", "ingest.export", str(work / f"export_{name}"), "--format", "json"],
            cwd=ROOT,
            env=tool_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert export.returncode == 0, export.stderr
        gate = subprocess.run(
            [sys.executable, "-m", "ingest.gate", "--label", "commit=none"],
            cwd=ROOT,
            env=tool_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert gate.returncode == 2 and "no load carries the labels commit=none" in gate.stderr, gate.stderr
    exported = [
        json.loads((work / f"export_{name}" / "generator_export.json").read_text()) for name in ("lake", "file")
    ]
    for export in exported:
        export.pop("export_date")  # the time of the export
    assert exported[0] == exported[1] and exported[0]["tasks"]
    report = subprocess.run(
        [sys.executable, "-m", "report", "--out", str(work / "report.html")],
        cwd=ROOT,
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.returncode == 0, report.stderr
    assert "generator" in (work / "report.html").read_text(encoding="utf-8").lower()


def test_dbt_on_the_lake_builds_the_marts_of_the_file_and_incremental_equals_full_refresh(lake_env, tmp_path):
    file_db = tmp_path / "file.duckdb"
    assert run_ingest(file_db, FIXTURES).returncode == 0
    landed = run_ingest(None, FIXTURES, env=lake_env)
    assert landed.returncode == 0, landed.stderr
    assert lake_query(lake_env, "select count(*) from raw.loads") == [(3,)]

    run_dbt_on(lake_env, tmp_path / "lake", "build")  # every data test passes on the lake too
    build = run_dbt(file_db, tmp_path / "file", "build", timeout=3600)
    assert build.returncode == 0, build.stdout[-5000:]
    file_marts = snapshot(file_db, tmp_path, "file_marts")
    assert lake_differences(lake_env, file_marts) == {}
    assert lake_query(lake_env, "select count(*) from marts.benchmark_results") == [(40,)]
    check_readers(lake_env, file_db, tmp_path)

    # new loads: late events, a duplicate, tombstones, restarts; an incremental build, then a full refresh
    assert run_ingest(None, ROOT / "tests" / "fixtures_late", env=lake_env).returncode == 0
    (before,) = lake_query(lake_env, "select max(snapshot_id) from lake.snapshots()")[0]
    run_dbt_on(lake_env, tmp_path / "lake", "build")
    # no view model or stored-failures view was made again (macros/unchanged_views.sql) ...
    changed = lake_query(lake_env, "select changes from lake.snapshots() where snapshot_id > ?", [before])
    assert changed and not [c for (c,) in changed if {"views_created", "views_dropped"} & set(c)], changed
    # ... and a kept view lists the failing rows of today's data: the warn-level conflict of the late loads
    assert lake_query(lake_env, "select * from test_failures.tasks_listed_by_another_batch") == [("t5", "b1", "b5")]
    # a view whose stored definition is not the project's is made again
    con = lake.connect_lake(lake_env["DUCKDB_PATH"])
    try:
        con.execute("create or replace view staging.stg_raw__loads as select * from raw.loads limit 0")
    finally:
        con.close()
    run_dbt_on(lake_env, tmp_path / "lake", "run", "--select", "stg_raw__loads")
    assert lake_query(lake_env, "select count(*), (select count(*) from raw.loads) from staging.stg_raw__loads") == [
        (5, 5)
    ]
    incremental = tmp_path / "lake_incremental.duckdb"
    copy_lake_marts(lake_env, incremental)
    run_dbt_on(lake_env, tmp_path / "lake", "run", "--full-refresh")
    assert lake_differences(lake_env, incremental) == {}
    assert lake_query(lake_env, "select count(*) from marts.benchmark_results") == [(50,)]


# An ingest process that SIGKILLs itself the moment its first landing COMMIT starts (a thread
# sends the signal while the main thread is inside DuckDB's commit, which releases the GIL): the
# real connection, only its "commit" statement watched.
KILLED_IN_COMMIT = """
import os, signal, sys, threading
import ingest.connect
from ingest.cli import main

class KilledInCommit:
    def __init__(self, con):
        self._con, self._commits = con, 0
    def execute(self, sql, *args):
        if sql == "commit":
            self._commits += 1
            if self._commits == 2:  # the first is the landing DDL's
                threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGKILL)).start()
        return self._con.execute(sql, *args)
    def __getattr__(self, name):
        return getattr(self._con, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self._con.__exit__(*exc)

connect_lake = ingest.connect.connect_lake
ingest.connect.connect_lake = lambda *a, **k: KilledInCommit(connect_lake(*a, **k))
sys.exit(main(sys.argv[1:]))
"""


def test_killed_writers_leave_nothing_visible_and_landing_again_lands_once(lake_env, tmp_path):
    plan, expected, _rejects = overlapping_files(tmp_path / "in", 6)
    env = process_env(lake_env)
    first = subprocess.run(ingest_command(*plan[0]), cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 1, first.stderr  # a lake with some loads in it already
    in_commit = subprocess.run(
        [sys.executable, "-c", KILLED_IN_COMMIT, "--quiet", *map(str, plan[1])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert in_commit.returncode == -9, in_commit.stderr
    rng = random.Random(5)
    writers = [
        subprocess.Popen(
            ingest_command(*files), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for files in plan[2:]
    ]
    for writer in writers[:2]:  # two of the four killed at random moments, the others finish
        try:
            writer.wait(timeout=rng.uniform(0.5, 4.0))
        except subprocess.TimeoutExpired:
            writer.kill()
    codes = [writer.wait(timeout=600) for writer in writers]
    assert codes[2:] == [1, 1], codes

    # whatever a killed writer wrote is not visible: every stored row belongs to a finished load
    assert lake_query(
        lake_env,
        """
        select count(*) from (select load_id from raw.documents_all union all
            select load_id from raw.task_events_all union all select load_id from raw.rejected_records_all)
        where load_id not in (select load_id from raw.loads)""",
    ) == [(0,)]
    check_accounting(lake_env)

    # orphaned files (a killed writer's) cleaned once no writer runs: every table stays readable
    con = lake.connect_lake(lake_env["DUCKDB_PATH"])
    try:
        maintain(con, keep_days=0, orphans_older_than_hours=0)
    finally:
        con.close()

    # every file landed again: each document stored exactly once, the accounting exact
    again = subprocess.run(
        ingest_command(*[f for files in plan for f in files]),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode == 1, again.stderr
    stored = lake_query(
        lake_env, "select payload::varchar from raw.documents union all select payload::varchar from raw.task_events"
    )
    assert len(stored) == len(expected) and {text for (text,) in stored} == expected
    check_accounting(lake_env)


def orphaned_rows(env: dict[str, str]) -> int:
    """Stored rows (landed or rejected) whose load_id is not in raw.loads: rows of a load that did
    not finish."""
    (count,) = lake_query(
        env,
        """
        select count(*) from (select load_id from raw.documents_all union all
            select load_id from raw.task_events_all union all select load_id from raw.rejected_records_all)
        where load_id not in (select load_id from raw.loads)""",
    )[0]
    return count


def benchmark_lines(first: int, count: int) -> str:
    """NDJSON of ``count`` distinct flat benchmark results (more rows than DuckLake inlines in its
    catalog, so landing them writes a Parquet file)."""
    return "".join(
        minified({"model_name": f"m{i}", "hardware_type": "cpu", "batch_size": i, "throughput_items_per_second": i + 1})
        + "\n"
        for i in range(first, first + count)
    )


AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]


def run_as_nobody(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``command`` (a ``python ...`` command line) run by the unprivileged user ``nobody``."""
    return subprocess.run(
        [*AS_NOBODY, *command[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_load_that_fails_after_parsing_leaves_no_row_and_lands_once_later(lake_env):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        skip_or_fail("needs root and setpriv, to land as an unprivileged user")
    if subprocess.run([*AS_NOBODY, "-c", "import duckdb, ingest"], cwd=ROOT, check=False).returncode != 0:
        skip_or_fail("the unprivileged user cannot read this checkout or its virtualenv")
    # an unprivileged user cannot see into pytest's own tmp folders: a world-readable one instead
    base = Path(tempfile.mkdtemp(prefix="lake-failed-load-"))
    try:
        base.chmod(0o755)
        env = {**lake_env, "DUCKLAKE_DATA_PATH": str(base / "lake_files")}
        first = write(base / "in" / "first.ndjson", benchmark_lines(0, 40))
        failing = write(
            base / "in" / "failing.ndjson",
            benchmark_lines(1000, 40) + minified({"event": "task_started", "occurred_at": "2026-11-01T09:00:00Z"}),
        )
        landed = run_ingest(None, first, env=env)  # as root: the lake, its data folders owned by root
        assert landed.returncode == 0, landed.stderr
        before = lake_query(env, "select * from raw.loads")

        # the same file parses, then writing its Parquet files into the data path is refused
        command, full_env = ingest_invocation(None, failing, env=env)
        failed = run_as_nobody(command, full_env)
        assert failed.returncode == 1, failed.stderr
        assert f"{failing}: not loaded, nothing from it was stored: " in failed.stderr, failed.stderr
        assert "Permission denied" in failed.stderr, failed.stderr
        assert "1 not loaded" in failed.stderr
        assert lake_query(env, "select * from raw.loads") == before  # no row for it, 'failed' or other
        assert lake_query(env, "select count(*) from raw.loads where source_path = ?", [str(failing)]) == [(0,)]
        assert orphaned_rows(env) == 0
        check_accounting(env)

        # the cause gone (the data path writable for that user), the same file lands, once
        for folder in [base / "lake_files", *(base / "lake_files").rglob("*")]:
            folder.chmod(0o777)
        again = run_as_nobody(command, full_env)
        assert again.returncode == 1, again.stderr  # its one rejected record (no task_id), and only that
        assert f"{failing}: load 2: 41 records, 40 landed, 0 duplicates skipped, 1 rejected" in again.stderr
        assert lake_query(env, "select load_id, source_path, status from raw.loads order by load_id") == [
            (1, str(first), "succeeded"),
            (2, str(failing), "partial"),
        ]
        stored = lake_query(env, "select payload::varchar from raw.documents")
        assert sorted(text for (text,) in stored) == sorted(
            (benchmark_lines(0, 40) + benchmark_lines(1000, 40)).split()
        )
        assert orphaned_rows(env) == 0
        check_accounting(env)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def land_beside(
    process: subprocess.Popen,
    ready: Callable[[], bool],
    writers: int,
    new_file: Callable[[int, int], Path],
    env: dict[str, str],
    rounds: int = 3,
) -> tuple[int, list[tuple[Path, int, str]]]:
    """Writers beside a running ``process``: once ``ready()`` (or the process has exited), per
    writer a thread lands ``rounds`` new files (``new_file(writer, 0)``, then 1, ...), one ingest
    process each. Returns the process's exit code, and every ingest's file, exit code and stderr."""
    outcomes: list[tuple[Path, int, str]] = []

    def writer(number: int) -> None:
        for index in range(rounds):
            path = new_file(number, index)
            proc = subprocess.run(
                ingest_command(path), cwd=ROOT, env=process_env(env), capture_output=True, text=True, check=False
            )
            outcomes.append((path, proc.returncode, proc.stderr))

    try:
        while not ready() and process.poll() is None:
            time.sleep(0.2)
        threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=900)
        return process.wait(timeout=900), outcomes
    finally:
        if process.poll() is None:
            process.kill()


def lines_of(paths: list[Path]) -> set[str]:
    return {line for path in paths for line in path.read_text().splitlines()}


def land_each(env: dict[str, str], paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Land the files with ingest's own code, in this process, each in a transaction of its own
    (batching off): one small data file per table and load, as many small CI runs leave them."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    options = IngestOptions(db=env["DUCKDB_PATH"], quiet=True, batch_files=1)
    con = open_warehouse(options)
    assert con is not None
    with con:
        assert land_all(con, discover([str(p) for p in paths], []), options) == 0


def events_lines(first: int, count: int) -> str:
    """NDJSON of ``count`` task_started events of distinct tasks."""
    return "".join(
        minified({"event": "task_started", "task_id": f"t{i}", "occurred_at": "2026-11-01T09:00:00Z"}) + "\n"
        for i in range(first, first + count)
    )


RAW_TABLES = ("loads", "documents_all", "task_events_all", "rejected_records_all")


def raw_data_files(env: dict[str, str]) -> int:
    """How many data files the raw tables' current snapshot reads (DuckLake's own list)."""
    return sum(
        lake_query(env, f"select count(*) from ducklake_list_files('{lake.LAKE_ALIAS}', ?, schema => 'raw')", [t])[0][0]
        for t in RAW_TABLES
    )


def copy_raw(env: dict[str, str], side: Path) -> None:
    """Copy the raw tables into a DuckDB file, to compare after maintenance."""
    con = lake.connect_lake(env["DUCKDB_PATH"], read_only=True)
    try:
        con.execute(f"attach '{side}' as side")
        for table in RAW_TABLES:
            con.execute(f"create table side.{table} as select * from raw.{table}")
    finally:
        con.close()


def raw_changes(env: dict[str, str], side: Path, last_load: int) -> dict[str, tuple[int, int]]:
    """Per raw table, rows of loads up to ``last_load`` only on the lake, and only in ``side``."""
    con = lake.connect_lake(env["DUCKDB_PATH"], read_only=True)
    try:
        con.execute(f"attach '{side}' as side (read_only)")
        found = {}
        for table in RAW_TABLES:
            lake_rows = f"(select * from raw.{table} where load_id <= {last_load})"
            counts = [
                one_row(con.execute(f"select count(*) from (select * from {a} except all select * from {b})"))[0]
                for a, b in ((lake_rows, f"side.{table}"), (f"side.{table}", lake_rows))
            ]
            if any(counts):
                found[table] = (counts[0], counts[1])
        return found
    finally:
        con.close()


def maintain_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ingest.maintain", *args]


def test_maintain_merges_small_files_and_removes_only_old_orphans_while_writers_land(
    lake_env, tmp_path, monkeypatch, capsys
):
    small = [
        write(tmp_path / "small" / f"s{i}.ndjson", benchmark_lines(100 * i, 20) + events_lines(100 * i, 15))
        for i in range(12)
    ]
    land_each(lake_env, small, monkeypatch)
    side = tmp_path / "raw_before.duckdb"
    copy_raw(lake_env, side)
    files_before = raw_data_files(lake_env)
    assert files_before >= 2 * len(small)  # each load wrote its own documents and events files

    # two orphaned Parquet files (as a writer killed mid-commit leaves them): one younger than the limit
    folder = Path(lake_env["DUCKLAKE_DATA_PATH"]) / "raw" / "documents_all"
    written = min(folder.glob("*.parquet"))
    young, old = folder / "ducklake-orphan-young.parquet", folder / "ducklake-orphan-old.parquet"
    shutil.copyfile(written, young)
    shutil.copyfile(written, old)
    three_hours_ago = time.time() - 3 * 3600
    os.utime(old, (three_hours_ago, three_hours_ago))

    # a limit below MIN_ORPHAN_HOURS, 0 or "all" is a usage error (the CLI's own main), and nothing is touched
    for limit in (str(MIN_ORPHAN_HOURS / 2), "0", "all"):
        with pytest.raises(SystemExit) as refused:
            maintain_main(["--db", lake_env["DUCKDB_PATH"], "--orphans-older-than-hours", limit])
        assert refused.value.code == 2, limit
        assert "--orphans-older-than-hours" in capsys.readouterr().err
    assert young.exists() and old.exists() and raw_data_files(lake_env) == files_before

    # maintenance while two writers land new documents
    log = tmp_path / "maintain.log"
    with log.open("w") as stderr:
        code, outcomes = land_beside(
            subprocess.Popen(
                maintain_command("--orphans-older-than-hours", "1"), cwd=ROOT, env=process_env(lake_env), stderr=stderr
            ),
            lambda: True,
            2,
            lambda w, i: write(tmp_path / "new" / f"w{w}_{i}.ndjson", benchmark_lines(10_000 + 100 * (2 * i + w), 20)),
            lake_env,
        )
    assert code == 0, log.read_text()
    assert all(code == 0 for _, code, _ in outcomes), outcomes
    assert "files merged: " in log.read_text() and "orphaned files deleted: 1" in log.read_text(), log.read_text()

    assert young.exists() and not old.exists()
    assert raw_data_files(lake_env) < files_before  # merged, writers' new files included
    # nothing stored before changed; the writers' documents landed once each; every table reads whole
    assert raw_changes(lake_env, side, last_load=len(small)) == {}
    stored = lake_query(lake_env, "select payload::varchar from raw.documents")
    expected = lines_of([path for path, _, _ in outcomes]) | set(
        "".join(benchmark_lines(100 * i, 20) for i in range(12)).split()
    )
    assert len(stored) == len(expected) and {text for (text,) in stored} == expected
    assert orphaned_rows(lake_env) == 0
    check_accounting(lake_env)
    for schema, table in lake_query(
        lake_env, "select table_schema, table_name from information_schema.tables where table_catalog = 'lake'"
    ):
        lake_query(lake_env, f"select * from {schema}.{table}")


# The incremental marts and everything they are built from (a whole `dbt build` takes several
# minutes on the lake; see README "Many writers: DuckLake")
INCREMENTAL_MARTS = ("--select", "+benchmark_results +generator_tasks")
NO_TASK_ID = minified({"event": "task_started", "occurred_at": "2026-11-01T09:00:00Z"})


def racing_file(folder: Path, writer: int, index: int) -> Path:
    """Writer ``writer``'s file ``index``: 30 benchmark documents and 10 task events, half of them
    also in the next writer's file of the same round (writers race to land them), one repeated
    within the file, and in a writer's first file a record without task_id (rejected)."""
    k = 4 * index + writer
    lines = (benchmark_lines(15 * k, 30) + events_lines(5 * k, 10)).splitlines()
    lines += lines[:1] + ([NO_TASK_ID] if index == 0 else [])
    random.Random(k).shuffle(lines)
    return write(folder / f"w{writer}_{index}.ndjson", "".join(line + "\n" for line in lines))


def test_dbt_build_beside_writers_passes_then_incremental_equals_full_refresh(lake_env, tmp_path):
    command, dbt_env = dbt_invocation(
        lake_env["DUCKDB_PATH"],
        tmp_path / "dbt",
        "build",
        *INCREMENTAL_MARTS,
        "--indirect-selection",
        "cautious",  # the data tests of these models, none that also reads another mart
        "--exclude-resource-type",
        "unit_test",
    )
    first = racing_file(tmp_path / "in", 4, 0)  # the lake's first load, so that dbt finds the raw tables
    landed = subprocess.run(
        ingest_command(first), cwd=ROOT, env=process_env(lake_env), capture_output=True, text=True, check=False
    )
    assert landed.returncode == 1 and "has no task_id" in landed.stderr, landed.stderr
    log = tmp_path / "build.log"
    with log.open("w") as out:
        code, outcomes = land_beside(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**dbt_env, **lake_env, "PYTHONUNBUFFERED": "1"},
                stdout=out,
                stderr=subprocess.STDOUT,
            ),
            lambda: " START " in log.read_text(),  # writers once the build runs its first model
            4,
            lambda w, i: racing_file(tmp_path / "in", w, i),
            lake_env,
        )
    assert code == 0, log.read_text()[-5000:]  # the build beside four writers passed, data tests included
    # every writer's every load landed (exit 1 only for the first file's one rejected record)
    assert [(c, "has no task_id" in err, "not loaded" in err) for path, c, err in outcomes] == [
        (1 if path.stem.endswith("_0") else 0, path.stem.endswith("_0"), False) for path, _, _ in outcomes
    ], outcomes
    expected = lines_of([first] + [path for path, _, _ in outcomes]) - {NO_TASK_ID}
    stored = lake_query(
        lake_env, "select payload::varchar from raw.documents union all select payload::varchar from raw.task_events"
    )
    assert len(stored) == len(expected) and {text for (text,) in stored} == expected
    loads = check_accounting(lake_env)
    assert len(loads) == 1 + len(outcomes) == 13 and sum(row[4] for row in loads) == 5

    # the writers done: an incremental run, then a full refresh of the same data, mart for mart
    run_dbt_on(lake_env, tmp_path / "dbt", "run", *INCREMENTAL_MARTS)
    incremental = tmp_path / "lake_incremental.duckdb"
    copy_lake_marts(lake_env, incremental)
    run_dbt_on(lake_env, tmp_path / "dbt", "run", *INCREMENTAL_MARTS, "--full-refresh")
    assert lake_differences(lake_env, incremental) == {}
    documents = [json.loads(text) for text in expected]
    assert lake_query(lake_env, "select count(*) from marts.benchmark_results") == [
        (sum("event" not in doc for doc in documents),)
    ]
    assert lake_query(lake_env, "select count(*), count(distinct task_id) from marts.generator_tasks") == [
        (len({doc["task_id"] for doc in documents if "event" in doc}),) * 2
    ]
