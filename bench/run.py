#!/usr/bin/env python3
"""Rerunnable performance benchmark: ingest and dbt against baselines measured in the same run.

    .venv/bin/python bench/run.py [--scale 1.0] [--repeat 3] [--only SECTION ...] [--out bench/RESULTS.md]
                                  [--workdir DIR] [--keep]

Every figure is a median of --repeat runs, set against a baseline measured side by side (alternating
order) in the same run, so a shared, noisy machine shows up on both sides of each ratio. Nothing is
asserted: each row gets a verdict (meets / misses) against the issue's target, and a section that
fails records its error in its row while the others go on. See bench/README.md.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import duckdb

from ingest import lake
from ingest.connect import one_row

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
import generate

import planted_series
import postgres

log = logging.getLogger("bench")

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
DBT = str(VENV_BIN / "dbt") if (VENV_BIN / "dbt").exists() else "dbt"
SECTIONS = [
    "ingest",
    "array",
    "small-files",
    "memory",
    "dedup",
    "dbt",
    "queries",
    "report",
    "detectors",
    "alerts-cost",
    "lake",
]

# The sizes; --scale multiplies every one of them.
INGEST_RECORDS = 1_000_000
SMALL_FILES, SMALL_FILE_RECORDS = 10_000, 100  # --scale changes the number of files, not their size
MEMORY_FILE_BYTES = 2_000_000_000
BENCH_ROW_BYTES = 643  # average flat benchmark row written by generate.benchmarks()
DEDUP_HISTORY = 5_000_000
DBT_SIZES = [1_000_000, 5_000_000]  # events and, as many again, benchmark rows
DBT_APPEND = 0.01
QUERY_EVENTS = 5_000_000  # and as many benchmark rows; ~5.2 events per task: about 1M tasks
QUERY_RUNS = 5  # at least; more, up to QUERY_MAX_RUNS, while a query has used less than QUERY_BUDGET_S
QUERY_MAX_RUNS, QUERY_BUDGET_S = 25, 1.0

LAKE_WRITERS, LAKE_FILES_PER_WRITER = 8, 4  # each writer lands its own folder of files: half rows, half events
LAKE_WRITER_RECORDS = 1_000_000  # half benchmark rows, half generator events, cut into 8 × 4 files
LAKE_DBT_RECORDS = 100_000  # events and, as many again, benchmark rows

# Targets from the issue. Ratios are measured / baseline.
INGEST_MAX_RATIO = 2.0
SMALL_FILES_MIN_RECORDS_PER_S = 50_000
MEMORY_MAX_BYTES = 1 << 30
DEDUP_MAX_RATIO = 1.5
DBT_MAX_RATIO = 0.10
REPORT_MAX_SECONDS, REPORT_MAX_BYTES, REPORT_MAX_LOAD_SECONDS = 30, 5_000_000, 3  # the report: write, size, load
# the report's baseline: a process opening the database read-only for one full scan of a mart
REFERENCE_SCAN = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
    "con.execute('select sum(hash(task_id)) from marts.generator_tasks').fetchall()"
)
ALERTS_MAX_ADDED = 0.20  # performance_alerts + performance_change_points: at most +20% to an incremental build
LAKE_MIN_WRITERS_RATIO = 1.0  # 8 writers' aggregate records/s over one writer into a DuckDB file
LAKE_MAX_INCREMENTAL_RATIO = 2.0  # the lake's incremental dbt build over the file's
DETECTOR_MIN_SCORE = 0.9  # precision and recall (tests/python/test_change_point_quality.py asserts the same)
PLANTED_COUNT, PLANTED_SEED = 240, 19  # the quality test's series
# Apache Otava (PyPI apache-otava, the optional extra `bench`): its defaults, and with our minimum change
OTAVA_SETTINGS = {
    "defaults (window 50, p ≤ 0.001)": {},
    "min_magnitude 0.03 (our 3% minimum change)": {"min_magnitude": 0.03},
}
ALERT_MARTS = ["performance_alerts", "performance_change_points"]
# the nightly build the README recommends (unit tests and audits left out)
NIGHTLY = ["--exclude-resource-type", "unit_test", "--exclude", "tag:audit"]
COMMAND_TIMEOUT_S = 6 * 3600

# Creates a new lake's landing tables before it is measured (what every ingest does first, once per lake).
LAKE_PREPARE = """
import os
from ingest import lake
con = lake.connect_lake(os.environ["DUCKDB_PATH"])
lake.prepare_lake(con)
con.close()
"""

# The baseline: DuckDB's own reader landing the same input into a table, in a fresh python process.
BASELINE_SCRIPT = """
import glob, os, sys
import duckdb
db, path, shape = sys.argv[1:4]
call = "read_json_objects(?, format = 'array')" if shape == "array" else "read_ndjson_objects(?)"
con = duckdb.connect(db)
if os.path.isdir(path):  # one statement (one transaction) per file, like ingest
    files = sorted(glob.glob(os.path.join(path, "**", "*.ndjson"), recursive=True))
    con.execute(f"create table t as select * from {call} limit 0", [files[0]])
    for name in files:
        con.execute(f"insert into t select * from {call}", [name])
else:
    con.execute(f"create table t as select * from {call}", [path])
con.close()
"""


# --------------------------------------------------------------------------------------------------
# measuring


@dataclass
class Measured:
    seconds: float
    max_rss_bytes: int
    returncode: int
    log_path: Path
    cpu_seconds: float = 0.0  # user + system time of the command and its children

    def check(self, what: str) -> None:
        if self.returncode != 0:
            raise RuntimeError(f"{what} exited with {self.returncode}: {tail(self.log_path)}")


def tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no output)"
    return " | ".join(line.strip() for line in text[-lines:]) or "(no output)"


# Peak RSS comes from the kernel's wait4() accounting of the measured process, read by a tiny parent:
# GNU /usr/bin/time -v, else this wrapper. Not from this process: Python starts children with vfork,
# and Linux then carries this (large) process's peak RSS over into the child's figure.
TIME_BINARY = "/usr/bin/time"
RSS_WRAPPER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"Maximum resident set size (kbytes): {usage.ru_maxrss}\\n"
              f"User time (seconds): {usage.ru_utime}\\nSystem time (seconds): {usage.ru_stime}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


@functools.cache
def have_gnu_time() -> bool:
    if not os.access(TIME_BINARY, os.X_OK):
        return False
    return (
        subprocess.run([TIME_BINARY, "-v", "-o", os.devnull, "true"], capture_output=True, check=False).returncode == 0
    )


def rss_wrapped(command: list[str], report: Path) -> list[str]:
    if have_gnu_time():
        return [TIME_BINARY, "-v", "-o", str(report), *command]
    return [sys.executable, "-c", RSS_WRAPPER, str(report), *command]


def run_measured(command: list[str], log_path: Path, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Measured:
    """Run a command; its wall time (measured here), its peak resident memory and CPU time."""
    return run_measured_at_once([command], [log_path], env, cwd)[1][0]


def run_measured_at_once(
    commands: list[list[str]], log_paths: list[Path], env: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[float, list[Measured]]:
    """Start every command at once; the wall time until the last one exited, and each one's figures."""
    full_env = {**os.environ, **(env or {})}
    reports = [log_path.with_suffix(".rss") for log_path in log_paths]
    procs: list[subprocess.Popen] = []
    ended: dict[int, tuple[int, float]] = {}  # index -> (returncode, seconds)
    started = time.perf_counter()
    try:
        for command, log_path, report in zip(commands, log_paths, reports, strict=True):
            log_path.parent.mkdir(parents=True, exist_ok=True)
            report.unlink(missing_ok=True)
            with open(log_path, "wb") as output:
                procs.append(
                    subprocess.Popen(
                        rss_wrapped(command, report),
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        cwd=cwd,
                        env=full_env,
                        start_new_session=True,
                    )
                )
        deadline = started + COMMAND_TIMEOUT_S
        while len(ended) < len(procs):
            waiting = [index for index in range(len(procs)) if index not in ended]
            if len(waiting) == 1:  # the last one (or the only one): block until it exits
                procs[waiting[0]].wait(timeout=max(deadline - time.perf_counter(), 0))
            for index in waiting:
                if procs[index].poll() is not None:
                    ended[index] = (procs[index].returncode, time.perf_counter() - started)
            if len(ended) < len(procs):
                if time.perf_counter() > deadline:
                    raise subprocess.TimeoutExpired(commands[0], COMMAND_TIMEOUT_S)
                time.sleep(0.01)
    except BaseException:  # timeout or Ctrl-C: stop the whole process groups we started
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        raise
    wall = time.perf_counter() - started
    measured = []
    for index, (log_path, report) in enumerate(zip(log_paths, reports, strict=True)):
        text = report.read_text() if report.exists() else ""
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        cpu = sum(float(t) for t in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text))
        returncode, seconds = ended[index]
        measured.append(Measured(seconds, int(found.group(1)) * 1024 if found else 0, returncode, log_path, cpu))
    return wall, measured


def copy_db(source: Path, target: Path) -> None:
    """Copy a closed database file (and its write-ahead log, if one was left)."""
    shutil.copyfile(source, target)
    wal, target_wal = Path(f"{source}.wal"), Path(f"{target}.wal")
    if wal.exists():
        shutil.copyfile(wal, target_wal)
    else:
        target_wal.unlink(missing_ok=True)


def fresh(path: Path) -> Path:
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    return path


def warm(path: Path) -> None:
    """Read the input once so that neither side pays for the first read from disk."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for name in files:
        with open(name, "rb") as handle:
            while handle.read(1 << 24):
                pass


def ingest_command(db: Path | str, source: Path) -> list[str]:
    return [PYTHON, "-m", "ingest", "--quiet", "--db", str(db), str(source)]


def baseline_command(db: Path, source: Path, array: bool = False) -> list[str]:
    return [PYTHON, "-c", BASELINE_SCRIPT, str(db), str(source), "array" if array else "ndjson"]


def median(values: list[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------------------------------
# results


@dataclass
class Row:
    section: str
    measurement: str
    value: str = ""
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # markdown lines: per-repetition numbers
    section_seconds: dict[str, float] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        log.info(
            "%s | %s | %s | %s | %s | %s | %s %s",
            row.section,
            row.measurement,
            row.value,
            row.baseline,
            row.ratio,
            row.target,
            row.verdict,
            row.note,
        )
        return row

    def error(self, section: str, measurement: str, err: BaseException) -> None:
        message = " ".join(str(err).split())[:400] or type(err).__name__
        self.add(Row(section, measurement, verdict="error", note=f"{type(err).__name__}: {message}"))


def verdict(ok: bool) -> str:
    return "meets" if ok else "misses"


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}×"


def fmt_rate(records: int, seconds: float) -> str:
    return f"{records / seconds:,.0f} rec/s"


def fmt_mb(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


# --------------------------------------------------------------------------------------------------
# the benchmark


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.scale: float = args.scale
        self.dbt_scale: float = args.dbt_scale or args.scale
        self.dbt_sizes: list[int] = args.dbt_sizes or [self.n_dbt(size) for size in DBT_SIZES]
        self.repeat: int = args.repeat
        self.dbt_repeat: int = args.dbt_repeat or args.repeat
        self.work = workdir
        self.data = workdir / "data"
        self.dbs = workdir / "db"
        self.logs = workdir / "logs"
        for folder in (self.data, self.dbs, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self.results = Results()
        self.generated: dict[str, float] = {}  # file name -> seconds to generate
        self.checkpoint: Callable[[], None] = lambda: None  # rewrites --out (set by run) within a long section

    def n(self, count: int) -> int:
        return max(1, round(count * self.scale))

    def n_dbt(self, count: int) -> int:
        """Sizes of the dbt and queries sections (``--dbt-scale``)."""
        return max(1, round(count * self.dbt_scale))

    def events_seed(self, n: int) -> int:
        """The seed of the events of the dbt section's database at n: the queries and report sections'
        database (the largest size) has its own."""
        return 2 if n == self.n_dbt(QUERY_EVENTS) else 1

    # ---- input files (generated once per workdir; sections share them)

    def _cached(self, name: str, make: Callable[[Path], int]) -> Path:
        path = self.data / name
        if not path.exists():
            started = time.perf_counter()
            partial = path.with_name(path.name + ".partial")
            if partial.is_dir():
                shutil.rmtree(partial)
            partial.unlink(missing_ok=True)
            written = make(partial)
            partial.rename(path)
            self.generated[name] = time.perf_counter() - started
            size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
            log.info("generated %s: %s records, %s in %.1f s", name, f"{written:,}", fmt_mb(size), self.generated[name])
        return path

    def events_file(self, records: int, seed: int = 1, array: bool = False) -> Path:
        suffix = "json" if array else "ndjson"
        return self._cached(
            f"events-{records}-s{seed}.{suffix}", lambda p: generate.events(p, records, seed, array=array)
        )

    def benchmarks_file(self, records: int, seed: int = 1, first_row: int = 0) -> Path:
        return self._cached(
            f"benchmarks-{records}-s{seed}-from{first_row}.ndjson",
            lambda p: generate.benchmarks(p, records, seed, first_row=first_row),
        )

    def delta_events_file(self, records: int, base_records: int, seed: int) -> Path:
        return self._cached(
            f"delta-events-{records}-on{base_records}-s{seed}.ndjson",
            lambda p: generate.delta_events(p, records, base_records, seed),
        )

    def small_files(self, files: int) -> Path:
        """``files`` NDJSON files of 100 events each, cut from one generated file (lines copied as
        they are, 100 at a time; no JSON is built in Python), 1,000 files per subfolder."""

        def make(folder: Path) -> int:
            source = self.events_file(files * SMALL_FILE_RECORDS, seed=3)
            folder.mkdir(parents=True)
            lines = source.read_bytes().splitlines(keepends=True)
            for index in range(files):
                sub = folder / f"{index // 1000:03d}"
                sub.mkdir(exist_ok=True)
                chunk = lines[index * SMALL_FILE_RECORDS : (index + 1) * SMALL_FILE_RECORDS]
                (sub / f"events-{index:05d}.ndjson").write_bytes(b"".join(chunk))
            return min(len(lines), files * SMALL_FILE_RECORDS)

        return self._cached(f"small-files-{files}x{SMALL_FILE_RECORDS}", make)

    # ---- helpers

    def landed(self, db: Path) -> tuple[int, int, int]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return one_row(
                con.execute(
                    "select coalesce(sum(records_in), 0), coalesce(sum(records_landed), 0), "
                    "coalesce(sum(records_rejected), 0) from raw.loads"
                )
            )
        finally:
            con.close()

    def last_load_landed(self, db: Path) -> int:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return one_row(con.execute("select records_landed from raw.loads order by load_id desc limit 1"))[0]
        finally:
            con.close()

    def versus(self, label: str, source: Path, array: bool = False) -> tuple[list[Measured], list[Measured]]:
        """Ingest ``source`` and land it with the baseline, alternating which goes first; each run into
        a fresh database. The first ingest must land every record (else the figure would flatter)."""
        warm(source)
        ours: list[Measured] = []
        theirs: list[Measured] = []
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        for rep in range(self.repeat):
            order = ("ingest", "baseline") if rep % 2 == 0 else ("baseline", "ingest")
            for side in order:
                db = fresh(self.dbs / f"{slug}-{side}.duckdb")
                logfile = self.logs / f"{slug}-{side}-{rep}.log"
                if side == "ingest":
                    m = run_measured(ingest_command(db, source), logfile)
                    m.check(f"ingest of {source.name}")
                    if rep == 0:
                        records_in, landed, rejected = self.landed(db)
                        if rejected or landed < records_in:
                            raise RuntimeError(
                                f"ingest landed {landed:,} of {records_in:,} records "
                                f"({rejected:,} rejected): see {logfile}"
                            )
                    ours.append(m)
                else:
                    m = run_measured(baseline_command(db, source, array), logfile)
                    m.check(f"baseline load of {source.name}")
                    theirs.append(m)
                fresh(db)
        self.detail(label, "ingest", ours)
        self.detail(label, "baseline", theirs)
        return ours, theirs

    def detail(self, label: str, side: str, runs: list[Measured]) -> None:
        seconds = ", ".join(f"{m.seconds:.3f}" for m in runs)
        rss = ", ".join(f"{m.max_rss_bytes / 2**20:.0f}" for m in runs)
        self.results.details.append(f"| {label} | {side} | {seconds} | {rss} |")

    # ---- sections

    def section_ingest(self) -> None:
        records = self.n(INGEST_RECORDS)
        for kind, make in (
            ("benchmark rows", lambda: self.benchmarks_file(records)),
            ("generator events", lambda: self.events_file(records)),
        ):
            label = f"ingest {records:,} {kind} (NDJSON)"
            try:
                source = make()
                self.throughput_row("ingest", label, source, records)
            except Exception as err:  # noqa: BLE001  (one measurement failing must not stop the next)
                self.fail("ingest", label, err)

    def section_array(self) -> None:
        records = self.n(INGEST_RECORDS)
        label = f"ingest one JSON array of {records:,} generator events"
        source = self.events_file(records, array=True)
        self.throughput_row("array", label, source, records, array=True)

    def throughput_row(self, section: str, label: str, source: Path, records: int, array: bool = False) -> None:
        ours, theirs = self.versus(label, source, array=array)
        mine, base = median([m.seconds for m in ours]), median([m.seconds for m in theirs])
        ratio = mine / base
        size = source.stat().st_size
        self.results.add(
            Row(
                section,
                label,
                fmt_s(mine),
                fmt_s(base),
                fmt_ratio(ratio),
                f"≤ {INGEST_MAX_RATIO:g}×",
                verdict(ratio <= INGEST_MAX_RATIO),
                f"{fmt_mb(size)}; ingest {fmt_rate(records, mine)}, {size / 2**20 / mine:,.0f} MiB/s; "
                f"baseline {fmt_rate(records, base)}; peak RSS ingest "
                f"{fmt_mb(median([m.max_rss_bytes for m in ours]))}, baseline "
                f"{fmt_mb(median([m.max_rss_bytes for m in theirs]))}; CPU time (user + system) ingest "
                f"{fmt_s(median([m.cpu_seconds for m in ours]))}, "
                f"baseline {fmt_s(median([m.cpu_seconds for m in theirs]))}",
            )
        )

    def section_small_files(self) -> None:
        files = self.n(SMALL_FILES)
        records = files * SMALL_FILE_RECORDS
        label = f"ingest {files:,} files of {SMALL_FILE_RECORDS} events (one folder argument)"
        folder = self.small_files(files)
        ours, theirs = self.versus(label, folder)
        mine, base = median([m.seconds for m in ours]), median([m.seconds for m in theirs])
        ratio = mine / base
        self.results.add(
            Row(
                "small-files",
                label,
                fmt_s(mine),
                fmt_s(base),
                fmt_ratio(ratio),
                f"≤ {INGEST_MAX_RATIO:g}×",
                verdict(ratio <= INGEST_MAX_RATIO),
                f"{mine / files * 1000:.1f} ms per file; baseline: one INSERT per file",
            )
        )
        rate, base_rate = records / mine, records / base
        self.results.add(
            Row(
                "small-files",
                f"records/s over {files:,} small files",
                f"{rate:,.0f} rec/s",
                f"{base_rate:,.0f} rec/s",
                fmt_ratio(rate / base_rate),
                f"≥ {SMALL_FILES_MIN_RECORDS_PER_S:,} rec/s",
                verdict(rate >= SMALL_FILES_MIN_RECORDS_PER_S),
                "absolute target: depends on the machine, unlike the ratios",
            )
        )

    def section_memory(self) -> None:
        target_bytes = round(MEMORY_FILE_BYTES * self.scale)
        records = max(1, target_bytes // BENCH_ROW_BYTES)
        source = self.benchmarks_file(records, seed=4)
        size = source.stat().st_size
        label = f"peak RSS, ingest of one {size / 1e9:.2f} GB NDJSON file ({records:,} benchmark rows)"
        ours, theirs = self.versus(label, source)
        mine, base = median([m.max_rss_bytes for m in ours]), median([m.max_rss_bytes for m in theirs])
        note = (
            f"time: ingest {fmt_s(median([m.seconds for m in ours]))}, baseline "
            f"{fmt_s(median([m.seconds for m in theirs]))}"
        )
        if self.scale != 1:
            note += f"; at --scale {self.scale:g} the file is not 2 GB, so the absolute target says little"
        self.results.add(
            Row(
                "memory",
                label,
                fmt_mb(mine),
                fmt_mb(base),
                fmt_ratio(mine / base),
                "≤ 1 GiB",
                verdict(mine <= MEMORY_MAX_BYTES),
                note,
            )
        )

    def section_dedup(self) -> None:
        records, history = self.n(INGEST_RECORDS), self.n(DEDUP_HISTORY)
        source = self.events_file(records)  # the same file as the ingest section
        history_file = self.events_file(history, seed=2)  # other tasks: nothing in common with source
        # landed by the ingest code measured: how it stores the history (compression) is measured too
        populated = self.dbs / f"dedup-history-{history}-{code_digest(['ingest'])}.duckdb"
        if not populated.exists():
            for stale in self.dbs.glob(f"dedup-history-{history}-*.duckdb"):
                stale.unlink()
            partial = fresh(self.dbs / "dedup-history.partial.duckdb")
            m = run_measured(ingest_command(partial, history_file), self.logs / "dedup-history.log")
            m.check("ingest of the history")
            partial.rename(populated)
            log.info("history of %s events landed in %.1f s", f"{history:,}", m.seconds)
        warm(populated)
        label = f"ingest {records:,} events into a database already holding {history:,}"
        full_runs: list[Measured] = []
        empty_runs: list[Measured] = []
        for rep in range(self.repeat):
            order = ("full", "empty") if rep % 2 == 0 else ("empty", "full")
            for side in order:
                db = fresh(self.dbs / f"dedup-{side}.duckdb")
                if side == "full":
                    copy_db(populated, db)
                m = run_measured(ingest_command(db, source), self.logs / f"dedup-{side}-{rep}.log")
                m.check(f"ingest of {source.name} ({side} database)")
                if rep == 0:
                    landed_now = self.last_load_landed(db)
                    if landed_now != records:
                        raise RuntimeError(f"{side} database: {landed_now:,} of {records:,} records landed")
                (full_runs if side == "full" else empty_runs).append(m)
                fresh(db)
        self.detail(label, f"into {history:,}", full_runs)
        self.detail(label, "into empty", empty_runs)
        mine, base = median([m.seconds for m in full_runs]), median([m.seconds for m in empty_runs])
        ratio = mine / base
        self.results.add(
            Row(
                "dedup",
                label,
                fmt_s(mine),
                fmt_s(base) + " (empty database)",
                fmt_ratio(ratio),
                f"< {DEDUP_MAX_RATIO:g}×",
                verdict(ratio < DEDUP_MAX_RATIO),
                "all records new; each is checked against the history's hashes",
            )
        )

    # ---- dbt

    def dbt_build(
        self,
        db: Path | str,
        full_refresh: bool,
        name: str,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        side: str = "",
    ) -> dict:
        """Run ``dbt build [args]`` on ``db`` (a file, or a lake with DUCKLAKE_DATA_PATH in ``env``);
        return its wall time, model time sum and failures. A ``side`` gets a target path of its own
        (dbt's partial parse stays valid when builds of two databases alternate)."""
        target = self.work / "dbt-target" / side if side else self.work / "dbt-target"
        command = [
            DBT,
            "build",
            "--project-dir",
            str(ROOT),
            "--profiles-dir",
            str(ROOT),
            "--target-path",
            str(target),
            "--log-path",
            str(self.work / "dbt-logs"),
            *(args or []),
        ]
        if full_refresh:
            command.append("--full-refresh")
        results_file = target / "run_results.json"
        results_file.unlink(missing_ok=True)
        env = {
            **(env or {}),
            "DUCKDB_PATH": str(db),
            "DBT_PROFILES_DIR": str(ROOT),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        m = run_measured(command, self.logs / f"{name}.log", env=env)
        if not results_file.exists():
            raise RuntimeError(f"dbt build wrote no run_results.json (exit {m.returncode}): {tail(m.log_path)}")
        kept = self.logs / f"{name}.run_results.json"
        shutil.copyfile(results_file, kept)
        nodes = json.loads(kept.read_text(encoding="utf-8"))["results"]
        models = [r for r in nodes if r["unique_id"].startswith("model.")]
        bad = [r for r in nodes if r["status"] in ("error", "fail", "skipped", "runtime error")]
        bad_models = [r for r in models if r["status"] != "success"]
        return {
            "wall": m.seconds,
            "returncode": m.returncode,
            "log": m.log_path,
            "model_seconds": sum(r["execution_time"] for r in models if r["status"] == "success"),
            "other_seconds": sum(r["execution_time"] for r in nodes if not r["unique_id"].startswith("model.")),
            "model_times": {r["unique_id"].split(".")[-1]: r["execution_time"] for r in models},
            "models": len(models),
            "bad_models": bad_models,
            "bad": bad,
            "slowest": sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in models), reverse=True)[:5],
        }

    def build_details(self, label: str, side: str, builds: list[dict]) -> None:
        """One details row of dbt builds: the summed model execution_time and the wall time of each."""
        self.results.details.append(
            f"| {label} | {side}: sum of model execution_time | "
            + ", ".join(f"{b['model_seconds']:.2f}" for b in builds)
            + " | dbt wall s: "
            + ", ".join(f"{b['wall']:.1f}" for b in builds)
            + " |"
        )

    @staticmethod
    def build_problem(build: dict) -> str | None:
        if not build["bad"]:
            return None
        worst_first = build["bad_models"] + [r for r in build["bad"] if r not in build["bad_models"]]
        failed = ", ".join(f"{r['unique_id'].split('.', 1)[-1]} ({r['status']})" for r in worst_first[:4])
        more = f" and {len(build['bad']) - 4} more" if len(build["bad"]) > 4 else ""
        return (
            f"dbt build exit {build['returncode']}: {len(build['bad'])} nodes failed or skipped "
            f"({len(build['bad_models'])} of {build['models']} models): {failed}{more}"
        )

    def ingest_into(self, db: Path | str, files: list[Path], name: str, env: dict[str, str] | None = None) -> float:
        m = run_measured(
            [PYTHON, "-m", "ingest", "--quiet", "--db", str(db), *map(str, files)], self.logs / f"{name}.log", env=env
        )
        m.check(f"ingest of {', '.join(f.name for f in files)}")
        return m.seconds

    def dbt_db(self, n: int) -> tuple[Path, Path]:
        """The database the dbt section builds at size n, and the marker saying it is fully built.
        dbt's views name their database by its file name, so a built file is never renamed: states
        are saved and restored by copying to and from this same path."""
        db = self.dbs / f"dbt-{n}.duckdb"
        return db, db.with_suffix(".built")

    def dbt_size(self, n: int, events_seed: int) -> dict:
        """Full refresh on n events + n benchmark rows (saved), then per repetition: restore it, append
        1%, ``dbt build`` (incremental), ``dbt build --full-refresh`` (the same data)."""
        delta = max(1, round(n * DBT_APPEND))
        events = self.events_file(n, seed=events_seed)
        rows = self.benchmarks_file(n)
        delta_events = self.delta_events_file(delta, n, seed=events_seed)
        delta_rows = self.benchmarks_file(delta, first_row=n)
        db, built = self.dbt_db(n)
        snapshot = self.dbs / f"dbt-{n}.snapshot"
        saved = snapshot.with_suffix(".saved")  # the snapshot is complete; holds the code digest it was built with
        digest = code_digest()
        if not saved.exists() or saved.read_text().strip() != digest:
            built.unlink(missing_ok=True)
            if saved.exists():  # the models changed since: the landed data is reused, the marts rebuilt
                copy_db(snapshot, db)
                saved.unlink()
            else:
                seconds = self.ingest_into(fresh(db), [events, rows], f"dbt-{n}-ingest")
                log.info("dbt %s: ingested %s events + %s rows in %.1f s", f"{n:,}", f"{n:,}", f"{n:,}", seconds)
            setup = self.dbt_build(db, True, f"dbt-{n}-setup")
            log.info("dbt %s: full build %.1f s (%s)", f"{n:,}", setup["wall"], self.build_problem(setup) or "ok")
            copy_db(db, snapshot)
            saved.write_text(digest)
        incremental, full, problems = [], [], []
        for rep in range(self.dbt_repeat):
            built.unlink(missing_ok=True)
            copy_db(snapshot, db)
            self.ingest_into(db, [delta_events, delta_rows], f"dbt-{n}-append-{rep}")
            incremental.append(self.dbt_build(db, False, f"dbt-{n}-incremental-{rep}"))
            full.append(self.dbt_build(db, True, f"dbt-{n}-full-{rep}"))
            problems += [p for p in (self.build_problem(incremental[-1]), self.build_problem(full[-1])) if p]
            if not self.build_problem(full[-1]):
                built.touch()
        for side, builds in (("incremental", incremental), ("full refresh", full)):
            self.build_details(f"dbt build at {n:,} events + {n:,} rows", side, builds)
        return {"n": n, "delta": delta, "incremental": incremental, "full": full, "problems": problems}

    def section_dbt(self) -> None:
        sizes = []
        for n in self.dbt_sizes:
            label = f"dbt build after +1% on {n:,} events + {n:,} benchmark rows"
            try:
                outcome = self.dbt_size(n, events_seed=self.events_seed(n))
            except Exception as err:  # noqa: BLE001  (a failed size is recorded; the next still runs)
                self.fail("dbt", label, err)
                continue
            mine = median([b["model_seconds"] for b in outcome["incremental"]])
            base = median([b["model_seconds"] for b in outcome["full"]])
            ratio = mine / base if base else float("nan")
            problems = outcome["problems"]
            note = (
                f"sum of model execution_time; +{outcome['delta']:,} events and rows; wall: "
                f"incremental {fmt_s(median([b['wall'] for b in outcome['incremental']]))}, full "
                f"{fmt_s(median([b['wall'] for b in outcome['full']]))}; slowest models, incremental: "
                + ", ".join(f"{name} {sec:.1f}s" for sec, name in outcome["incremental"][-1]["slowest"][:4])
                + "; full: "
                + ", ".join(f"{name} {sec:.1f}s" for sec, name in outcome["full"][-1]["slowest"][:4])
            )
            if problems:
                note = (
                    problems[0]
                    + (f" (+{len(problems) - 1} more builds)" if len(problems) > 1 else "")
                    + "; sums are over the models that ran. "
                    + note
                )
            self.results.add(
                Row(
                    "dbt",
                    label,
                    fmt_s(mine),
                    fmt_s(base) + " (full refresh)",
                    fmt_ratio(ratio),
                    f"≤ {DBT_MAX_RATIO:.0%}",
                    "error" if problems else verdict(ratio <= DBT_MAX_RATIO),
                    note,
                )
            )
            sizes.append((n, mine, base, bool(problems)))
        if len(sizes) == 2:
            (n1, inc1, full1, bad1), (n2, inc2, full2, bad2) = sizes
            growth = inc2 / inc1 if inc1 else float("nan")
            full_growth = full2 / full1 if full1 else float("nan")
            self.results.add(
                Row(
                    "dbt",
                    f"incremental cost as history grows {n1:,} → {n2:,}",
                    fmt_ratio(growth),
                    fmt_ratio(full_growth) + " (full refresh)",
                    fmt_ratio(growth / full_growth),
                    "flat: ≈ 1× (no number in the issue)",
                    "error" if bad1 or bad2 else "n/a",
                    "value = incremental model time at the larger size / at the smaller; "
                    "baseline = the same for the full refresh",
                )
            )

    # ---- README queries

    def built_db(self, n: int) -> Path:
        """The dbt section's database of n events + n benchmark rows, fully built (else built here, as
        the dbt section would: its full build's run_results.json is logs/dbt-N-setup.run_results.json)."""
        db, built = self.dbt_db(n)
        if not built.exists():
            files = [self.events_file(n, seed=self.events_seed(n)), self.benchmarks_file(n)]
            self.ingest_into(fresh(db), files, f"dbt-{n}-ingest")
            build = self.dbt_build(db, True, f"dbt-{n}-setup")
            log.info("dbt %s: full build %.1f s (%s)", f"{n:,}", build["wall"], self.build_problem(build) or "ok")
            built.touch()
        return db

    def largest_db(self) -> tuple[Path, int, int]:
        """The database the dbt section leaves at its largest size (5M events: ~1M tasks, and 5M
        benchmark rows), with its numbers of events and rows."""
        n = self.n_dbt(QUERY_EVENTS)
        return self.built_db(n), n, n

    def section_queries(self) -> None:
        db, events, rows = self.largest_db()
        queries = readme_queries(ROOT / "README.md")
        con = duckdb.connect(str(db), read_only=True)
        try:
            tasks, events, rows = one_row(
                con.execute(
                    "select (select count(*) from marts.generator_tasks), (select count(*) from raw.task_events), "
                    "(select count(*) from raw.documents)"
                )
            )
            task_id, batch_id = con.execute(
                "select task_id, batch_id from marts.generator_tasks where batch_id is not null "
                "and step_count > 1 order by task_id limit 1"
            ).fetchone() or ("t1", "b1")
            reference = "select sum(hash(task_id)) from marts.generator_tasks"
            timed: list[tuple[str, list[float] | Exception]] = []
            reference_runs: list[float] = []
            for number, (title, sql) in enumerate(queries, 1):
                sql = sql.replace("'t1'", f"'{task_id}'").replace("'b1'", f"'{batch_id}'")
                try:
                    mine: list[float] = []
                    for statement in (sql, reference):  # warm-up
                        con.execute(statement).fetchall()
                    deadline = time.perf_counter() + QUERY_BUDGET_S
                    at_least = max(QUERY_RUNS, self.repeat)
                    while len(mine) < at_least or (len(mine) < QUERY_MAX_RUNS and time.perf_counter() < deadline):
                        for statement, into in ((sql, mine), (reference, reference_runs)):
                            started = time.perf_counter()
                            con.execute(statement).fetchall()
                            into.append(time.perf_counter() - started)
                    timed.append((f"q{number}: {title}", mine))
                except Exception as err:  # noqa: BLE001  (a failed query is recorded; the next still runs)
                    log.error("queries: q%d failed:\n%s", number, traceback.format_exc())
                    timed.append((f"q{number}: {title}", err))
            ref50 = median(reference_runs) * 1000 if reference_runs else float("nan")
            for label, outcome in timed:
                if isinstance(outcome, Exception):
                    self.results.error("queries", label, outcome)
                    continue
                p50 = median(outcome) * 1000
                self.results.add(
                    Row(
                        "queries",
                        label,
                        f"{p50:.1f} ms",
                        f"{ref50:.1f} ms",
                        fmt_ratio(p50 / ref50),
                        "— (none in the issue)",
                        "n/a",
                        f"p50 of {len(outcome)} runs after a warm-up",
                    )
                )
            self.results.details.append(
                f"| README queries on {events:,} events ({tasks:,} tasks) + {rows:,} benchmark rows "
                f"('t1' → {task_id}, 'b1' → {batch_id}) | baseline: `{reference}`, "
                "run after each run of each "
                f"query | p50 {ref50:.1f} ms of {len(reference_runs)} runs | |"
            )
        finally:
            con.close()

    # ---- the HTML report (python -m report) on the largest database, and Chromium opening it

    def section_report(self) -> None:
        db, events, rows = self.largest_db()
        out = self.work / "report" / "index.html"
        reference = [PYTHON, "-c", REFERENCE_SCAN, str(db)]
        ours: list[Measured] = []
        theirs: list[Measured] = []
        for rep in range(self.repeat):
            for side in ("report", "baseline") if rep % 2 == 0 else ("baseline", "report"):
                if side == "report":
                    command = [PYTHON, "-m", "report", "--db", str(db), "--out", str(out)]
                    ours.append(run_measured(command, self.logs / f"report-{rep}.log"))
                    ours[-1].check("python -m report")
                else:
                    theirs.append(run_measured(reference, self.logs / f"report-baseline-{rep}.log"))
                    theirs[-1].check("the reference scan")
        label = f"write the report of {events:,} events + {rows:,} benchmark rows"
        self.detail(label, "report", ours)
        self.detail(label, "baseline", theirs)
        mine, base = median([m.seconds for m in ours]), median([m.seconds for m in theirs])
        self.results.add(
            Row(
                "report",
                f"`python -m report`, {events:,} events + {rows:,} benchmark rows",
                fmt_s(mine),
                fmt_s(base) + " (reference scan)",
                fmt_ratio(mine / base),
                f"≤ {REPORT_MAX_SECONDS:g} s",
                verdict(mine <= REPORT_MAX_SECONDS),
                "a process of its own, wall time; baseline: a process that opens the same database read-only "
                "and runs `select sum(hash(task_id)) from marts.generator_tasks`; peak RSS "
                f"{median([m.max_rss_bytes for m in ours]) / 2**20:,.0f} MiB",
            )
        )
        size = out.stat().st_size
        self.results.add(
            Row(
                "report",
                "size of the HTML file (every script and style inside)",
                f"{size / 1e6:.2f} MB",
                "",
                "",
                f"≤ {REPORT_MAX_BYTES / 1e6:g} MB",
                verdict(size <= REPORT_MAX_BYTES),
                f"{size:,} bytes",
            )
        )
        self.browser_load(out)

    def browser_load(self, page: Path) -> None:
        """Chromium's load event and the time until every chart has rendered, opening ``page`` from
        disk; baseline: the load event of an HTML file of the same size without scripts."""
        from chromium import CHROMIUM_ARGS, MISSING, find_chromium

        executable = find_chromium()
        if executable is None:
            raise RuntimeError(MISSING)
        from playwright.sync_api import sync_playwright

        blank = page.with_name("baseline.html")
        lines = page.stat().st_size // 100
        blank.write_text("<!doctype html><title>baseline</title><pre>" + ("x" * 99 + "\n") * lines + "</pre>")
        timing = "() => performance.getEntriesByType('navigation')[0].loadEventEnd"
        loads: list[float] = []
        ready: list[float] = []
        blank_loads: list[float] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            try:
                for rep in range(self.repeat):
                    for side in ("report", "baseline") if rep % 2 == 0 else ("baseline", "report"):
                        tab = browser.new_page(viewport={"width": 1200, "height": 900})
                        started = time.perf_counter()
                        tab.goto((page if side == "report" else blank).resolve().as_uri(), wait_until="load")
                        if side == "report":
                            tab.wait_for_function("document.body.dataset.ready", timeout=120_000)
                            ready.append(time.perf_counter() - started)
                            loads.append(tab.evaluate(timing) / 1000)
                        else:
                            blank_loads.append(tab.evaluate(timing) / 1000)
                        tab.close()
            finally:
                browser.close()
        mine, base = median(loads), median(blank_loads)
        self.results.details.append(
            "| Chromium opening the report | load event s; every chart rendered s | "
            + ", ".join(f"{s:.3f}" for s in loads)
            + " | "
            + ", ".join(f"{s:.2f}" for s in ready)
            + " |"
        )
        self.results.details.append(
            "| Chromium opening the report | baseline: load event s | "
            + ", ".join(f"{s:.3f}" for s in blank_loads)
            + " | |"
        )
        self.results.add(
            Row(
                "report",
                "Chromium (headless, Playwright) opening the report from disk: load event",
                fmt_s(mine),
                fmt_s(base) + " (same size, no scripts)",
                fmt_ratio(mine / base),
                f"≤ {REPORT_MAX_LOAD_SECONDS:g} s",
                verdict(mine <= REPORT_MAX_LOAD_SECONDS),
                "`loadEventEnd` of the navigation timing, a new tab each time; every chart rendered "
                f"(the page's `data-ready`) after {fmt_s(median(ready))} of wall time from `goto`",
            )
        )

    # ---- change-point detectors: ours (performance_change_points) beside Apache Otava

    def section_detectors(self) -> None:
        try:
            import otava.analysis
        except ImportError as err:
            raise RuntimeError("apache-otava is not installed: pip install -e '.[bench]' (make bench does)") from err
        otava_change_points = otava.analysis.compute_change_points
        series = planted_series.generate(PLANTED_COUNT, seed=PLANTED_SEED)
        source = planted_series.write_results(series, self.data / f"planted-{PLANTED_COUNT}-s{PLANTED_SEED}.ndjson")
        what = f"{len(series)} planted series (seed {PLANTED_SEED}, {sum(len(s.values) for s in series):,} runs)"
        db = fresh(self.dbs / "planted.duckdb")
        self.ingest_into(db, [source], "planted-ingest")
        ours, builds = None, []
        for rep in range(self.repeat):  # full refresh: the detector over every run of every series
            builds.append(
                self.dbt_build(
                    db,
                    True,
                    f"planted-build-{rep}",
                    ["-s", "+performance_change_points", "--indirect-selection", "cautious", *NIGHTLY],
                )
            )
            if self.build_problem(builds[-1]):
                raise RuntimeError(self.build_problem(builds[-1]))
        con = duckdb.connect(str(db), read_only=True)
        try:
            found: dict[str, list[int]] = {}
            for name, run in con.execute(
                "select model_name, date_diff('day', ?::timestamp, changed_at) from marts.performance_change_points "
                "where metric = 'throughput'",
                [planted_series.START.replace(tzinfo=None)],
            ).fetchall():
                found.setdefault(name, []).append(run)
        finally:
            con.close()
        ours = planted_series.score(series, found)
        detector_models = ("int_performance_series_tails", "performance_change_points")
        our_seconds = median([sum(b["model_times"][m] for m in detector_models) for b in builds])
        for label, settings in OTAVA_SETTINGS.items():
            runs: list[float] = []
            theirs = None
            for _ in range(self.repeat):
                started = time.perf_counter()
                detected = {
                    s.name: [int(cp.index) for cp in otava_change_points(s.values, **settings)[0]] for s in series
                }
                runs.append(time.perf_counter() - started)
                theirs = planted_series.score(series, detected)
            assert theirs is not None  # self.repeat >= 1
            self.results.details.append(
                f"| detectors: Apache Otava {label} on {what} | seconds | "
                + ", ".join(f"{r:.3f}" for r in runs)
                + " | |"
            )
            self.results.add(
                Row(
                    "detectors",
                    f"precision / recall / F1 on {what}: ours vs Apache Otava {label}",
                    f"{ours.precision:.3f} / {ours.recall:.3f} / {ours.f1:.3f}",
                    f"{theirs.precision:.3f} / {theirs.recall:.3f} / {theirs.f1:.3f}",
                    f"F1 {ours.f1 / theirs.f1:.2f}×",
                    f"precision and recall ≥ {DETECTOR_MIN_SCORE:g} (ours)",
                    verdict(min(ours.precision, ours.recall) >= DETECTOR_MIN_SCORE),
                    f"ours: {ours.true_positives} true, {ours.false_positives} false detections, "
                    f"{ours.found_required} of {ours.required} required changes found; Otava: {theirs.true_positives} "
                    f"true, {theirs.false_positives} false, {theirs.found_required} of {theirs.required}; a detection "
                    f"within {planted_series.MATCH_RUNS} runs of a planted change counts",
                )
            )
            self.results.add(
                Row(
                    "detectors",
                    f"time to find the change points of {what}: ours vs Apache Otava {label}",
                    fmt_s(our_seconds),
                    fmt_s(median(runs)),
                    fmt_ratio(our_seconds / median(runs)),
                    "— (none in the issue)",
                    "n/a",
                    "ours: dbt execution_time of int_performance_series_tails (which also judges every run for "
                    "the alerts) + performance_change_points, full refresh, median of "
                    f"{len(builds)}; dbt wall {fmt_s(median([b['wall'] for b in builds]))}. Otava: "
                    "otava.analysis.compute_change_points per series, in this process",
                )
            )
        self.results.details.append(
            f"| detectors: ours on {what} | model seconds (tails + change points) | "
            + ", ".join(f"{sum(b['model_times'][m] for m in detector_models):.3f}" for b in builds)
            + " | dbt wall s: "
            + ", ".join(f"{b['wall']:.1f}" for b in builds)
            + " |"
        )

    # ---- what performance_alerts and performance_change_points add to an incremental build

    def section_alerts_cost(self) -> None:
        sizes = []
        for n in self.dbt_sizes:
            label = (
                f"performance_alerts + performance_change_points in an incremental dbt build, {n:,} benchmark rows +1%"
            )
            try:
                sizes.append((n, self.alerts_cost(n, label)))
            except Exception as err:  # noqa: BLE001 -- a failed section is reported, the others still run
                self.fail("alerts-cost", label, err)
        if len(sizes) == 2:
            (n1, (marts1, late1)), (n2, (marts2, late2)) = sizes
            for what, t1, t2 in (
                ("the two marts' incremental time (a normal night)", marts1, marts2),
                ("int_performance_series_tails' incremental time on late runs", late1, late2),
            ):
                self.results.add(
                    Row(
                        "alerts-cost",
                        f"{what} as history grows {n1:,} → {n2:,} benchmark rows",
                        fmt_ratio(t2 / t1) if t1 else "n/a",
                        "",
                        "",
                        "flat",
                        verdict(t1 > 0 and t2 / t1 <= 1.5),
                        "execution_time at the larger size / at the smaller, for 5× the history ('meets' up to 1.5×)",
                    )
                )

    def alerts_cost(self, n: int, label: str) -> tuple[float, float]:
        """The dbt section's database at n (n events + n benchmark rows, built once); per repetition:
        restore it, +1% rows, the nightly build with the two marts; restore, +1%, the same build without
        them; restore, +1% rows dated before the newest stored runs (late runs), the build with them.
        Returns the two marts' median model time and that of int_performance_series_tails on late runs."""
        delta = max(1, round(n * DBT_APPEND))
        # a night's new runs, dated after every stored run; and benchmarks_file's continuation, dated in
        # the last 1% of the year, before the newest stored runs: late runs
        after = datetime.now(UTC).date() + timedelta(days=7)
        night_rows = self._cached(
            f"benchmarks-{delta}-s1-from{n}-{after}.ndjson",
            lambda p: generate.benchmarks(p, delta, first_row=n, base=after),
        )
        late_rows = self.benchmarks_file(delta, first_row=n)
        db = self.built_db(n)
        setup = self.logs / f"dbt-{n}-setup.run_results.json"
        snapshot = self.dbs / f"alerts-{n}.snapshot"
        copy_db(db, snapshot)
        runs: dict[str, list[dict]] = {"with": [], "without": [], "late": []}
        try:
            for rep in range(self.dbt_repeat):
                for side, rows, extra in (
                    ("with", night_rows, []),
                    ("without", night_rows, ["--exclude", *ALERT_MARTS]),
                    ("late", late_rows, []),
                ):
                    copy_db(snapshot, db)
                    self.ingest_into(db, [rows], f"alerts-{n}-append-{side}-{rep}")
                    build = self.dbt_build(db, False, f"alerts-{n}-{side}-{rep}", NIGHTLY + extra)
                    if self.build_problem(build):
                        raise RuntimeError(self.build_problem(build))
                    runs[side].append(build)
        finally:
            copy_db(snapshot, db)  # the built state, as the other sections expect it
            snapshot.unlink()
        with_marts, without, late = runs["with"], runs["without"], runs["late"]
        theirs = median([sum(b["model_times"][m] for m in ALERT_MARTS) for b in with_marts])
        tails = median([b["model_times"]["int_performance_series_tails"] for b in with_marts])
        late_tails = median([b["model_times"]["int_performance_series_tails"] for b in late])
        mine, base = median([b["model_seconds"] for b in with_marts]), median([b["model_seconds"] for b in without])
        added = mine / base - 1 if base else float("nan")
        full_tails = (json.loads(setup.read_text(encoding="utf-8")) if setup.exists() else {"results": []})["results"]
        full = next(
            (r["execution_time"] for r in full_tails if r["unique_id"].endswith(".int_performance_series_tails")), None
        )
        self.results.add(
            Row(
                "alerts-cost",
                label,
                fmt_s(mine),
                fmt_s(base) + " (without the two)",
                f"{added:+.0%}",
                f"≤ +{ALERTS_MAX_ADDED:.0%}",
                verdict(added <= ALERTS_MAX_ADDED),
                f"sum of model execution_time of `dbt build {' '.join(NIGHTLY)}` after +{delta:,} rows dated after "
                f"every stored run, with and without `--exclude {' '.join(ALERT_MARTS)}`; the two marts themselves: "
                f"{fmt_s(theirs)} ({theirs / mine:.0%} of the build); int_performance_series_tails, which "
                f"performance_regressions needs too: {fmt_s(tails)}; dbt wall: with "
                f"{fmt_s(median([b['wall'] for b in with_marts]))}, without "
                f"{fmt_s(median([b['wall'] for b in without]))}; the database also holds {n:,} generator events",
            )
        )
        self.results.add(
            Row(
                "alerts-cost",
                f"int_performance_series_tails after +1% late runs, {n:,} benchmark rows",
                fmt_s(late_tails),
                fmt_s(tails) + " (after a normal night)",
                fmt_ratio(late_tails / tails) if tails else "n/a",
                "flat (no number in the issue)",
                "n/a",
                f"+{delta:,} rows dated in the last days before the newest stored runs; the whole build: "
                f"{fmt_s(median([b['model_seconds'] for b in late]))} of model time"
                + (f"; the model's full refresh took {fmt_s(full)}" if full else ""),
            )
        )
        for side, builds in runs.items():
            self.build_details(f"alerts-cost at {n:,} rows", side, builds)
        return theirs, late_tails

    # ---- DuckLake with a PostgreSQL catalog: 8 writers at once, and dbt, against a DuckDB file

    def section_lake(self) -> None:
        writers_label = (
            f"{LAKE_WRITERS} `python -m ingest` at once into one lake vs one into a new DuckDB file, "
            f"{self.n(LAKE_WRITER_RECORDS):,} records"
        )
        n = self.n(LAKE_DBT_RECORDS)
        dbt_label = f"dbt build on the lake vs on a file, {n:,} events + {n:,} benchmark rows"
        reason = lake_unavailable()
        if reason is not None:
            for label in (writers_label, dbt_label):
                self.results.error("lake", label, RuntimeError(f"the lake cannot be measured here: {reason}"))
            return
        if os.geteuid() == 0:  # PostgreSQL runs as `postgres`, which must reach its folder in the workdir
            for folder in (self.work, self.dbs):
                folder.chmod(folder.stat().st_mode | 0o711)
        server = postgres.Postgres(parent=self.dbs)
        try:
            server.start()
            for label, measure in ((writers_label, self.lake_writers), (dbt_label, self.lake_dbt)):
                try:
                    measure(server, label)
                except Exception as err:  # noqa: BLE001  (one measurement failing must not stop the next)
                    self.fail("lake", label, err)
                self.checkpoint()
        finally:
            server.stop()

    def new_lake(self, server: postgres.Postgres, name: str) -> dict[str, str]:
        """DUCKDB_PATH and DUCKLAKE_DATA_PATH of a new, empty lake (a database of ``server``)."""
        data = self.dbs / "lake-files" / name
        shutil.rmtree(data, ignore_errors=True)
        env = {"DUCKDB_PATH": lake.LAKE_PREFIX + "postgres:" + server.create(name), "DUCKLAKE_DATA_PATH": str(data)}
        run_measured([PYTHON, "-c", LAKE_PREPARE], self.logs / f"lake-{name}-prepare.log", env=env).check(
            f"creating the lake {name}"
        )
        return env

    def writer_files(self, records: int) -> Path:
        """``records`` records (half benchmark rows, half generator events) cut into LAKE_WRITERS folders
        of LAKE_FILES_PER_WRITER files, lines dealt round-robin (copied as they are)."""
        parts = LAKE_WRITERS * LAKE_FILES_PER_WRITER
        rows = records // 2

        def make(folder: Path) -> int:
            paths = [
                folder / f"w{i % LAKE_WRITERS}" / f"{'benchmarks' if i < parts // 2 else 'events'}-{i:02d}.ndjson"
                for i in range(parts)
            ]
            for path in paths:
                path.parent.mkdir(parents=True, exist_ok=True)
            sources = (
                (self.benchmarks_file(rows, seed=5), paths[: parts // 2]),
                (self.events_file(records - rows, seed=5), paths[parts // 2 :]),
            )
            for source, targets in sources:
                outputs = [open(path, "wb") for path in targets]  # noqa: SIM115  (closed below)
                try:
                    with open(source, "rb") as lines:
                        for index, line in enumerate(lines):
                            outputs[index % len(outputs)].write(line)
                finally:
                    for output in outputs:
                        output.close()
            return records

        return self._cached(f"lake-writers-{records}-{LAKE_WRITERS}x{LAKE_FILES_PER_WRITER}", make)

    def lake_writers(self, server: postgres.Postgres, label: str) -> None:
        """Per repetition, alternating: LAKE_WRITERS ingest processes started at once, each landing its
        own folder into one new lake; one ingest process landing every folder into a new DuckDB file."""
        records = self.n(LAKE_WRITER_RECORDS)
        folder = self.writer_files(records)
        writers = sorted(p for p in folder.iterdir() if p.is_dir())
        files = sum(1 for p in folder.rglob("*.ndjson"))
        warm(folder)
        lake_walls: list[float] = []
        lake_runs: list[list[Measured]] = []
        local: list[Measured] = []
        for rep in range(self.repeat):
            for side in ("lake", "file") if rep % 2 == 0 else ("file", "lake"):
                if side == "lake":
                    env = self.new_lake(server, f"writers_{rep}")
                    wall, runs = run_measured_at_once(
                        [ingest_command(env["DUCKDB_PATH"], writer) for writer in writers],
                        [self.logs / f"lake-writers-{rep}-{writer.name}.log" for writer in writers],
                        env=env,
                    )
                    for writer, m in zip(writers, runs, strict=True):
                        m.check(f"writer {writer.name}")
                    exactly_once(env["DUCKDB_PATH"], records, files)
                    lake_walls.append(wall)
                    lake_runs.append(runs)
                else:
                    db = fresh(self.dbs / "lake-writers-file.duckdb")
                    m = run_measured(ingest_command(db, folder), self.logs / f"lake-writers-file-{rep}.log")
                    m.check(f"ingest of {folder.name}")
                    if rep == 0:
                        records_in, landed, rejected = self.landed(db)
                        if (records_in, landed, rejected) != (records, records, 0):
                            raise RuntimeError(
                                f"one writer: {landed:,} of {records:,} records landed, {rejected:,} rejected"
                            )
                    local.append(m)
                    fresh(db)
        self.results.details.append(
            f"| {label} | {LAKE_WRITERS} writers: wall to the last exit | "
            + ", ".join(f"{w:.3f}" for w in lake_walls)
            + " | max peak RSS of a writer: "
            + ", ".join(f"{max(m.max_rss_bytes for m in runs) / 2**20:.0f}" for runs in lake_runs)
            + " |"
        )
        self.detail(label, "one writer into a DuckDB file", local)
        lake_wall, file_wall = median(lake_walls), median([m.seconds for m in local])
        ratio = file_wall / lake_wall  # records/s over records/s, the same records
        self.results.add(
            Row(
                "lake",
                label,
                fmt_rate(records, lake_wall) + " (aggregate)",
                fmt_rate(records, file_wall),
                fmt_ratio(ratio),
                f"≥ {LAKE_MIN_WRITERS_RATIO:g}×",
                verdict(ratio >= LAKE_MIN_WRITERS_RATIO),
                f"{files} NDJSON files ({fmt_mb(sum(p.stat().st_size for p in folder.rglob('*.ndjson')))}, half "
                f"benchmark rows, half generator events), {LAKE_FILES_PER_WRITER} per writer; wall: "
                f"{LAKE_WRITERS} writers {fmt_s(lake_wall)} (first start to last exit; a writer's own median "
                f"{fmt_s(median([m.seconds for runs in lake_runs for m in runs]))}), one writer "
                f"{fmt_s(file_wall)}; CPU time (user + system): all writers "
                f"{fmt_s(median([sum(m.cpu_seconds for m in runs) for runs in lake_runs]))}, one writer "
                f"{fmt_s(median([m.cpu_seconds for m in local]))}; each repetition into a new lake (PostgreSQL "
                "on loopback, Parquet files in the workdir) whose landing tables exist; every record landed "
                "exactly once each time (raw.loads accounting per load, rows per load, distinct record hashes)",
            )
        )

    def lake_dbt(self, server: postgres.Postgres, label: str) -> None:
        """The same n events + n rows landed in a new lake and in a new file; the nightly ``dbt build
        --full-refresh`` on each (the full-refresh figure, one run per side: the state then saved); per
        repetition: restore both, append 1% to both, the nightly ``dbt build`` on each (alternating)."""
        n = self.n(LAKE_DBT_RECORDS)
        delta = max(1, round(n * DBT_APPEND))
        inputs = [self.events_file(n), self.benchmarks_file(n)]
        appended = [self.delta_events_file(delta, n, seed=1), self.benchmarks_file(delta, first_row=n)]
        lake_env = self.new_lake(server, "dbt")
        lake_data = Path(lake_env["DUCKLAKE_DATA_PATH"])
        file_db = fresh(self.dbs / "lake-dbt-file.duckdb")
        file_saved = self.dbs / "lake-dbt-file.snapshot"
        dbs = {"lake": lake_env["DUCKDB_PATH"], "file": str(file_db)}
        envs = {"lake": lake_env, "file": {}}
        builds: dict[tuple[str, str], list[dict]] = {}
        for side in ("lake", "file"):
            self.ingest_into(dbs[side], inputs, f"lake-dbt-{side}-ingest", env=envs[side])
        for side in ("file", "lake"):
            setup = self.dbt_build(dbs[side], True, f"lake-dbt-{side}-full-refresh", NIGHTLY, envs[side], side)
            if self.build_problem(setup):
                raise RuntimeError(f"{side} full refresh: {self.build_problem(setup)}")
            builds[("full refresh", side)] = [setup]
        self.checkpoint()
        copy_db(file_db, file_saved)
        clone_database(server, "dbt_saved", "dbt")
        shutil.rmtree(lake_data.with_name("dbt_saved"), ignore_errors=True)  # left by an earlier run
        shutil.copytree(lake_data, lake_data.with_name("dbt_saved"))
        problems: list[str] = []
        for rep in range(self.dbt_repeat):
            if rep:  # restore the state the full refresh left
                copy_db(file_saved, file_db)
                server.psql('drop database "dbt" with (force)')
                clone_database(server, "dbt", "dbt_saved")
                shutil.rmtree(lake_data)
                shutil.copytree(lake_data.with_name("dbt_saved"), lake_data)
            order = ("lake", "file") if rep % 2 == 0 else ("file", "lake")
            for side in order:
                self.ingest_into(dbs[side], appended, f"lake-dbt-{side}-append-{rep}", env=envs[side])
            for side in order:
                build = self.dbt_build(
                    dbs[side], False, f"lake-dbt-{side}-incremental-{rep}", NIGHTLY, envs[side], side
                )
                builds.setdefault(("incremental", side), []).append(build)
                if self.build_problem(build):
                    problems.append(f"{side} incremental: {self.build_problem(build)}")
        for (kind, side), runs in builds.items():
            self.build_details(f"{label}: {kind}", side, runs)
        for kind, target, limit in (
            ("full refresh", "— (none in the issue)", None),
            ("incremental", f"≤ {LAKE_MAX_INCREMENTAL_RATIO:g}×", LAKE_MAX_INCREMENTAL_RATIO),
        ):
            lake_runs, file_runs = builds[(kind, "lake")], builds[(kind, "file")]
            mine, base = median([b["wall"] for b in lake_runs]), median([b["wall"] for b in file_runs])
            ratio = mine / base
            bad = [p for p in problems if kind in p]
            lake_models, file_models = (median([b["model_seconds"] for b in runs]) for runs in (lake_runs, file_runs))
            lake_other, file_other = (median([b["other_seconds"] for b in runs]) for runs in (lake_runs, file_runs))
            note = (
                f"wall time of `dbt build {' '.join(NIGHTLY)}"
                + (
                    " --full-refresh`, one run per side (it makes the state the incremental runs start from)"
                    if kind == "full refresh"
                    else f"` after +{delta:,} events and rows on both, median of {len(lake_runs)}"
                )
                + f"; sum of model execution_time: lake {fmt_s(lake_models)}, file {fmt_s(file_models)} "
                f"({fmt_ratio(lake_models / file_models) if file_models else 'n/a'}); of the other nodes (data "
                f"tests, seeds): lake "
                f"{fmt_s(lake_other)}, file {fmt_s(file_other)}; slowest on the lake: "
                + ", ".join(f"{name} {sec:.1f}s" for sec, name in lake_runs[-1]["slowest"][:3])
            )
            if bad:
                note = bad[0] + (f" (+{len(bad) - 1} more builds)" if len(bad) > 1 else "") + ". " + note
            self.results.add(
                Row(
                    "lake",
                    f"{kind} {label}",
                    fmt_s(mine),
                    fmt_s(base) + " (file)",
                    fmt_ratio(ratio),
                    target,
                    "error" if bad else (verdict(ratio <= limit) if limit else "n/a"),
                    note,
                )
            )

    # ---- running

    def fail(self, section: str, label: str, err: BaseException) -> None:
        log.error("%s: %s failed:\n%s", section, label, traceback.format_exc())
        self.results.error(section, label, err)

    def run(self, sections: list[str], write: Callable[[Results, bool], None]) -> None:
        self.checkpoint = functools.partial(write, self.results, False)
        for name in sections:
            started = time.perf_counter()
            log.info("=== section %s", name)
            try:
                getattr(self, "section_" + name.replace("-", "_"))()
            except Exception as err:  # noqa: BLE001  (recorded in the section row; the next section still runs)
                self.fail(name, f"({name} section)", err)
            self.results.section_seconds[name] = time.perf_counter() - started
            log.info("=== section %s done in %.0f s", name, self.results.section_seconds[name])
            write(self.results, False)


def lake_unavailable() -> str | None:
    """Why the lake cannot be measured here (no PostgreSQL binaries, no extensions); None: it can."""
    reason = postgres.missing_reason()
    if reason is not None:
        return reason
    try:
        if not (Path(lake.EXTENSION_DIRECTORY) / f"v{duckdb.__version__}").is_dir():
            lake.install_extensions()  # offline, from the wheels of `pip install -e '.[lake]'`
    except (lake.LakeUnavailable, duckdb.Error) as err:
        return f"{err} (make lake-extensions)"
    return None


def clone_database(server: postgres.Postgres, name: str, template: str) -> None:
    """CREATE DATABASE name TEMPLATE template, retried while the template's last sessions end."""
    for attempt in range(20):
        try:
            server.create(name, template=template)
            return
        except RuntimeError as err:
            if "being accessed by other users" not in str(err) or attempt == 19:
                raise
            time.sleep(0.5)


def exactly_once(db: str, records: int, files: int) -> None:
    """Raise unless the lake holds every record once: its loads' accounting is exact, each load's rows
    are what it says it landed, every file was landed, and the records' hashes are all distinct."""
    con = lake.connect_lake(db, read_only=True)
    try:
        loads, load_ids, paths, records_in, landed, duplicates, rejected, bad_loads = one_row(
            con.execute(
                """
                with stored as (
                    select load_id, record_hash from raw.documents
                    union all
                    select load_id, record_hash from raw.task_events
                ),
                per_load as (select load_id, count(*) as n from stored group by load_id)
                select count(*), count(distinct l.load_id), count(distinct l.source_path),
                    coalesce(sum(l.records_in), 0), coalesce(sum(l.records_landed), 0),
                    coalesce(sum(l.duplicates_skipped), 0), coalesce(sum(l.records_rejected), 0),
                    count(*) filter (
                        where l.records_in <> l.records_landed + l.duplicates_skipped + l.records_rejected
                        or l.records_landed <> coalesce(p.n, 0)
                    )
                from raw.loads as l left join per_load as p on l.load_id = p.load_id
                """
            )
        )
        rows, distinct = one_row(
            con.execute(
                "select count(*), count(distinct record_hash) from (select record_hash from raw.documents "
                "union all select record_hash from raw.task_events)"
            )
        )
    finally:
        con.close()
    problems = [
        what
        for what, wrong in (
            (f"{load_ids:,} distinct load ids in {loads:,} loads", load_ids != loads),
            (f"{paths:,} of {files:,} files in raw.loads", paths != files),
            (f"{records_in:,} records in, {records:,} expected", records_in != records),
            (
                f"{landed:,} landed, {duplicates:,} duplicates, {rejected:,} rejected",
                (landed, duplicates, rejected) != (records, 0, 0),
            ),
            (f"{bad_loads:,} loads whose counts do not add up or match their rows", bad_loads != 0),
            (f"{rows:,} rows stored, {distinct:,} distinct records", (rows, distinct) != (records, records)),
        )
        if wrong
    ]
    if problems:
        raise RuntimeError("after the writers, the lake is not exactly once: " + "; ".join(problems))


def readme_queries(readme: Path) -> list[tuple[str, str]]:
    """Every statement of every ```sql block (split on ';'), titled by its first line or comment."""
    text = readme.read_text(encoding="utf-8")
    queries = []
    for block in re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL):
        for statement in block.split(";"):
            if not statement.strip():
                continue
            lines = [line.strip() for line in statement.strip().splitlines()]
            comment = next((line[2:].strip() for line in lines if line.startswith("--")), None)
            code = " ".join(line for line in lines if not line.startswith("--"))
            source = re.search(r"\bfrom\s+([\w.]+)", code)
            title = comment or f"{code[:60]}…"
            if source and not comment:
                title = f"from {source.group(1)}: {code[:50]}…"
            queries.append((title.replace("|", "\\|"), statement.strip()))
    return queries


# --------------------------------------------------------------------------------------------------
# report


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kb / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown"
    try:
        nproc = str(len(os.sched_getaffinity(0)))
    except AttributeError:
        nproc = str(os.cpu_count())

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", ".", ":!bench"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
        commit += f" (+ {len(dirty.splitlines())} uncommitted changes outside bench/)" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "cpu": cpu,
        "ram": ram,
        "nproc": nproc,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "dbt-core": version("dbt-core"),
        "dbt-duckdb": version("dbt-duckdb"),
        "commit": commit,
    }


MEASURED_CODE = ["ingest", "models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml", "README.md"]


def code_digest(names: list[str] = MEASURED_CODE) -> str:
    """A short digest of the code being measured, as it is in the working tree right now (others may be
    editing the same checkout: a digest that differs between start and end flags a mixed run)."""
    digest = hashlib.sha256()
    for name in names:
        top = ROOT / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            try:
                content = path.read_bytes()
            except OSError:
                continue
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:12]


def repetitions(args: argparse.Namespace) -> str:
    """The header's repetitions cell, naming the dbt and query counts only for sections that ran."""
    extra = []
    if not args.only or "dbt" in args.only:
        extra.append(f"dbt: {args.dbt_repeat or args.repeat} incremental + full refresh pairs")
    if not args.only or "lake" in args.only:
        extra.append(f"lake dbt: one full refresh, then {args.dbt_repeat or args.repeat} incremental builds, each side")
    if not args.only or "queries" in args.only:
        extra.append(
            f"README queries: {max(QUERY_RUNS, args.repeat)} to {QUERY_MAX_RUNS} runs each, "
            f"while under {QUERY_BUDGET_S:g} s"
        )
    return f"{args.repeat}" + (f" ({'; '.join(extra)})" if extra else "")


def render(results: Results, info: dict[str, str], args: argparse.Namespace, started: datetime, finished: bool) -> str:
    elapsed = (datetime.now(UTC) - started).total_seconds()
    lines = [
        "# Benchmark results",
        "",
        (
            "Written by `bench/run.py` (see `bench/README.md`). Every ratio is measured / baseline, both "
            "medians of repetitions run alternately in the same run on the same machine."
        ),
        "",
        "| | |",
        "|---|---|",
        (
            f"| date | {started:%Y-%m-%d %H:%M} UTC; {'took' if finished else 'RUN IN PROGRESS after'} "
            f"{elapsed / 60:.1f} min |"
        ),
        f"| command | `{shlex.join(getattr(sys, 'orig_argv', [sys.executable, *sys.argv]))}` |",
        f"| scale | {args.scale:g} (the issue's sizes × {args.scale:g})"
        + (f"; dbt and queries sections: {args.dbt_scale:g}" if args.dbt_scale else "")
        + " |",
        f"| repetitions | {repetitions(args)} |",
        f"| machine | {info['cpu']}; nproc {info['nproc']}; {info['ram']} RAM; {info['os']} |",
        (
            f"| software | duckdb {info['duckdb']}, dbt-core {info['dbt-core']}, dbt-duckdb {info['dbt-duckdb']}, "
            f"Python {info['python']} |"
        ),
        f"| code | commit {info['commit']}; digest of {', '.join(MEASURED_CODE)}: {info['digest']}"
        + (
            f" at the start, **{info['digest_end']} at the end: the code changed during the run**"
            if info.get("digest_end") not in (None, info["digest"])
            else ""
        )
        + " |",
        "",
        "| section | measurement | median | baseline median | ratio | target | verdict | notes |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for row in results.rows:
        cells = [
            row.section,
            row.measurement,
            row.value,
            row.baseline,
            row.ratio,
            row.target,
            f"**{row.verdict}**" if row.verdict in ("misses", "error") else row.verdict,
            row.note,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    lines += [
        "",
        "## Per repetition",
        "",
        "| measurement | side | seconds, each run | peak RSS MiB, each run (or other) |",
        "|---|---|---|---|",
        *results.details,
    ]
    if results.section_seconds:
        lines += [
            "",
            "Section wall times: "
            + ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in results.section_seconds.items())
            + ".",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark ingest and dbt against baselines measured in the same run; "
        "writes a Markdown table of medians and ratios."
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiplier of the issue's sizes (default 1.0; 0.01 for a quick smoke run)",
    )
    parser.add_argument(
        "--dbt-scale",
        type=float,
        default=None,
        help="multiplier for the dbt and queries sections only (default: --scale)",
    )
    parser.add_argument(
        "--dbt-sizes",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="sizes (events, and as many benchmark rows) of the dbt and alerts-cost sections, instead of "
        "1M and 5M × --dbt-scale",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per measurement (default 3)")
    parser.add_argument(
        "--dbt-repeat",
        type=int,
        default=None,
        help="repetitions of the dbt measurement (default: --repeat); each is two builds",
    )
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, metavar="SECTION", help=f"run only these sections: {', '.join(SECTIONS)}"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "RESULTS.md",
        help="Markdown file to write (default bench/RESULTS.md)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where data and databases go (default: a new folder under /tmp); generated files already there are reused",
    )
    parser.add_argument("--keep", action="store_true", help="keep the workdir at the end")
    args = parser.parse_args(argv)
    if (
        args.scale <= 0
        or (args.dbt_scale is not None and args.dbt_scale <= 0)
        or args.repeat < 1
        or (args.dbt_repeat is not None and args.dbt_repeat < 1)
    ):
        parser.error("--scale and --dbt-scale must be > 0, --repeat and --dbt-repeat >= 1")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s bench: %(message)s", datefmt="%H:%M:%S", stream=sys.stderr
    )

    created = args.workdir is None or not args.workdir.exists()
    workdir = Path(tempfile.mkdtemp(prefix="ml-analytics-bench-")) if args.workdir is None else args.workdir
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(workdir).free
    log.info("workdir %s (%.0f GB free; --scale 1 needs about 40 GB)", workdir, free / 1e9)

    started = datetime.now(UTC)
    info = machine()
    sections = [s for s in SECTIONS if not args.only or s in args.only]
    out: Path = args.out

    info["digest"] = code_digest()

    def write(results: Results, finished: bool) -> None:
        info["digest_end"] = code_digest()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(results, info, args, started, finished), encoding="utf-8")

    bench = Bench(args, workdir)
    try:
        bench.run(sections, write)
    finally:
        write(bench.results, True)
        log.info("wrote %s", out)
        if args.keep:
            log.info("kept %s", workdir)
        elif created:
            shutil.rmtree(workdir, ignore_errors=True)
        else:  # a workdir given by the user: remove only what this run put there
            for name in ("data", "db", "logs", "dbt-target", "dbt-logs"):
                shutil.rmtree(workdir / name, ignore_errors=True)
    print(out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
