"""Open the warehouse file, waiting (bounded) for another writer to let go of it."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ingest.lake import connect_lake, is_lake, open_duckdb

log = logging.getLogger("ingest")


DUCKDB_MAGIC, DUCKDB_MAGIC_OFFSET = b"DUCK", 8  # where every DuckDB database file says what it is
IN_MEMORY = ("", ":memory:")


class LockTimeout(Exception):
    """Another process held the database for longer than the lock timeout."""


class NotADatabase(Exception):
    """The database path names something that exists and is not a DuckDB database file (exit 2)."""


def check_database_file(db_path: str) -> None:
    """Refuse an existing path that is not a DuckDB database file. DuckDB opens a ``.json``,
    ``.csv`` or ``.parquet`` file as a throwaway in-memory database over it: everything written
    would be lost."""
    if db_path in IN_MEMORY or not os.path.lexists(db_path):
        return
    try:
        with open(db_path, "rb") as handle:
            head = handle.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except OSError as err:
        raise NotADatabase(
            f"{db_path}: cannot be read as a database file ({err.strerror}); nothing was written"
        ) from err
    if head[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        raise NotADatabase(
            f"{db_path}: exists and is not a DuckDB database file; nothing was "
            "written. Name a DuckDB file or a new path (--db or $DUCKDB_PATH)."
        )


class _Waiting:
    """Bounded waiting for another process: a notice every 10 s, then LockTimeout at the deadline."""

    def __init__(self, db_path: str, lock_timeout: float) -> None:
        self.db_path, self.lock_timeout = db_path, lock_timeout
        self.deadline = time.monotonic() + lock_timeout
        self.delay, self.next_notice = 0.05, 0.0

    def pause(self, err: Exception) -> None:
        now = time.monotonic()
        if now >= self.deadline:
            raise LockTimeout(
                f"{self.db_path}: still locked by another process after {self.lock_timeout:g}s; "
                "nothing was written. Retry later or raise --lock-timeout."
            ) from err
        if now >= self.next_notice:
            log.warning("%s: locked by another process, waiting (up to %.1fs more)", self.db_path, self.deadline - now)
            self.next_notice = now + 10
        time.sleep(min(self.delay, max(self.deadline - now, 0.01)))
        self.delay = min(self.delay * 2, 1.0)


def connect(db_path: str, lock_timeout: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database (creating a new file unless read-only); NotADatabase for an existing path
    that is no DuckDB database, before anything is written. A ``ducklake:`` path attaches the lake
    (many writers at once: nothing to wait for)."""
    if is_lake(db_path):
        return connect_lake(db_path, read_only)
    waiting = _Waiting(db_path, lock_timeout)
    if read_only:
        check_database_file(db_path)
        return _open(db_path, read_only, waiting)
    folder = Path(db_path).parent
    folder.mkdir(parents=True, exist_ok=True)  # a no-op when the file exists
    with _folder_lock(folder, waiting):  # no other ingest is creating the file: checked whole
        check_database_file(db_path)
        return _open(db_path, read_only, waiting)


def _open(db_path: str, read_only: bool, waiting: _Waiting) -> duckdb.DuckDBPyConnection:
    while True:
        try:
            return open_duckdb(db_path, read_only)
        except duckdb.IOException as err:
            if "lock" not in str(err).lower():
                raise
            waiting.pause(err)


@contextmanager
def _folder_lock(folder: Path, waiting: _Waiting) -> Iterator[None]:
    """Open for writing one process at a time. DuckDB creates a new warehouse's file, then writes its
    header: another process opening the file in between finds it "not a valid DuckDB database file".
    Ingest processes hold a lock on the folder while they open the warehouse, so the next one opens
    the finished file."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                waiting.pause(err)
        yield
    finally:
        os.close(fd)  # releases the lock


def one_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of a statement that always returns one (an aggregate, a setting, a ``returning`` count)."""
    row = result.fetchone()
    if row is None:
        raise RuntimeError("expected one row, got none")
    return row
