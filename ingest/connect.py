"""Open the warehouse file, waiting (bounded) for another writer to let go of it."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb

log = logging.getLogger("ingest")


class LockTimeout(Exception):
    """Another process held the database for longer than the lock timeout."""


def connect(db_path: str, lock_timeout: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    delay, next_notice = 0.05, 0.0
    while True:
        try:
            return duckdb.connect(db_path, read_only=read_only)
        except duckdb.IOException as err:
            if "lock" not in str(err).lower():
                raise
            now = time.monotonic()
            if now >= deadline:
                raise LockTimeout(
                    f"{db_path}: still locked by another process after {lock_timeout:g}s; "
                    "nothing was written. Retry later or raise --lock-timeout."
                ) from err
            if now >= next_notice:
                log.warning("%s: locked by another process, waiting (up to %.1fs more)",
                            db_path, deadline - now)
                next_notice = now + 10
            time.sleep(min(delay, max(deadline - now, 0.01)))
            delay = min(delay * 2, 1.0)
