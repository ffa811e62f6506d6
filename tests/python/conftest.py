"""Shared helpers for the ingest CLI tests: run the real CLI in a subprocess, read DuckDB read-only."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import termios
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"acceptance corpus not present at {REALDATA}")

_UNSET = object()


def readme_code_blocks(language: str) -> list[str]:
    """The bodies of the README's fenced code blocks of one language (```sql, ```sh)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def ingest_invocation(
    db: Path | str | None, *paths: Any, args: Iterable[str] = (), env: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of ``python -m ingest [--db DB] [args] PATH...``.

    ``db=None`` omits ``--db`` (so ``$DUCKDB_PATH`` or the built-in default applies).
    ``env`` entries are added to a copy of the environment from which DUCKDB_PATH is removed,
    so a developer's own DUCKDB_PATH never leaks into a test.
    """
    command = [sys.executable, "-m", "ingest"]
    if db is not None:
        command += ["--db", str(db)]
    command += list(args)
    command += [str(p) for p in paths]
    full_env = {k: v for k, v in os.environ.items() if k != "DUCKDB_PATH"}
    full_env.update(env or {})
    return command, full_env


def run_ingest(
    db: Path | str | None,
    *paths: Any,
    stdin: bytes | str | None = None,
    args: Iterable[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess:
    """Run ``python -m ingest`` (see ingest_invocation) from the project root; stdout/stderr come
    back as text."""
    command, full_env = ingest_invocation(db, *paths, args=args, env=env)
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    proc = subprocess.run(
        command,
        cwd=ROOT,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", errors="replace"),
        proc.stderr.decode("utf-8", errors="replace"),
    )


def query(db: Path | str, sql: str, params: list | None = None) -> list[tuple]:
    """Run one query on a read-only connection and return all rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def scalar(db: Path | str, sql: str, params: list | None = None) -> Any:
    rows = query(db, sql, params)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


LOAD_COLUMNS = (
    "load_id",
    "source_path",
    "records_in",
    "records_landed",
    "duplicates_skipped",
    "records_rejected",
    "status",
    "message",
)


def loads(db: Path | str) -> list[dict]:
    """raw.loads as dicts, in load order."""
    rows = query(db, f"select {', '.join(LOAD_COLUMNS)} from raw.loads order by load_id")
    return [dict(zip(LOAD_COLUMNS, row, strict=False)) for row in rows]


def counts(db: Path | str) -> dict[str, int]:
    return {
        t: scalar(db, f"select count(*) from raw.{t}")
        for t in ("loads", "documents", "task_events", "rejected_records")
    }


def minified(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def ndjson(docs: Iterable[Any]) -> str:
    return "".join(minified(d) + "\n" for d in docs)


def write(path: Path, content: str | bytes, *, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def event(name: str, **fields: Any) -> dict:
    doc = {"event": name, "occurred_at": "2026-11-01T09:00:00Z"}
    if name.startswith("task_"):
        doc["task_id"] = "t1"
    if name.startswith("batch_"):
        doc["batch_id"] = "b1"
    doc.update(fields)
    return {k: v for k, v in doc.items() if v is not None}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "test.duckdb"


# `dbt run --select` of the generator marts and everything they are built from.
GENERATOR_MARTS = (
    "+generator_tasks +generator_task_steps +generator_task_metrics +generator_task_tags "
    "+generator_batch_tasks +model_stats +hardware_stats +daily_task_stats"
)


def dbt_invocation(db: Path | str, work: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment of the real ``dbt`` of this environment on database ``db``,
    artifacts under ``work``."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "DUCKDB_PATH": str(db), "DBT_PROFILES_DIR": str(ROOT)}
    return [str(dbt), *args, "--target-path", str(work / "target"), "--log-path", str(work / "logs")], env


def run_dbt(db: Path | str, work: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real ``dbt`` (see dbt_invocation) from the project root."""
    command, env = dbt_invocation(db, work, *args)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def ingest_and_build(db: Path, *paths: Path, timeout: float = 600) -> Path:
    """Land ``paths`` into a new warehouse ``db`` and run a real `dbt build` of its models and data tests
    (unit tests run in `make test`); both must succeed."""
    landed = run_ingest(db, *paths, timeout=timeout)
    assert landed.returncode == 0, landed.stderr
    build = run_dbt(db, db.parent, "build", "--exclude-resource-type", "unit_test", timeout=3 * timeout)
    assert build.returncode == 0, build.stdout[-5000:]
    return db


@pytest.fixture(scope="session")
def built_fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with tests/fixtures ingested and a real `dbt build` run on it (shared, read-only)."""
    work = tmp_path_factory.mktemp("built")
    db = work / "warehouse.duckdb"
    landed = run_ingest(db, ROOT / "tests" / "fixtures")
    assert landed.returncode == 0, landed.stderr
    build = run_dbt(db, work, "build")
    assert build.returncode == 0, build.stdout[-5000:]
    return db


@pytest.fixture
def built_copy(built_fixture_db: Path, tmp_path: Path) -> Path:
    """A private copy of the built fixture warehouse, for tests that change it."""
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(built_fixture_db, db)
    return db


def run_on_terminal(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, columns: int | None = None
) -> str:
    """Run ``command`` with stderr on a pty (``columns`` wide, or never sized); what the terminal received."""
    controller, terminal = os.openpty()
    if columns is not None:
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode("utf-8", errors="replace")
