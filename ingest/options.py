"""What a run of ingest is told: one ``IngestOptions``, built once from the command line
(``from_arguments``) and passed down; and the arguments every ingest command shares."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from ingest import DEFAULT_DB_PATH


@dataclass(frozen=True)
class IngestOptions:
    """One run's options. The limits have no command-line argument; their defaults are the tested ones."""

    db: str = DEFAULT_DB_PATH  # a DuckDB file or ducklake:postgres:<dsn>
    lock_timeout: float = 300.0  # seconds to wait for another writer to release the file
    memory_limit: str = "512MB"  # DuckDB's memory_limit; larger inputs spill to disk
    threads: int | None = None  # DuckDB threads (None: one per core), fitted to the memory limit
    quiet: bool = False  # only errors are logged, and no progress line is drawn
    labels: Mapping[str, str] = field(default_factory=dict)  # recorded on every load
    small_file_bytes: int = 8 << 20  # files up to this size are read many at a time ...
    batch_files: int = 1000  # ... in batches of at most this many files ...
    batch_bytes: int = 256 << 20  # ... and this many bytes
    rejections_shown: int = 20  # rejected records logged per load (all are in raw.rejected_records)


DEFAULT_OPTIONS = IngestOptions()


def from_arguments(args: argparse.Namespace) -> IngestOptions:
    """The options of a parsed command line: those of ``common_arguments()``, and ``--label`` where
    the command takes it."""
    return IngestOptions(
        db=args.db,
        lock_timeout=args.lock_timeout,
        memory_limit=args.memory_limit,
        threads=args.threads,
        quiet=args.quiet,
        labels=dict(getattr(args, "label", [])),
    )


def memory_size(value: str) -> str:
    """argparse type of --memory-limit: a size DuckDB accepts (``512MB``, ``2GB``), unchanged.
    DuckDB itself judges it, on a throwaway in-memory connection, before any file is opened."""
    con = duckdb.connect()
    try:
        con.execute("set memory_limit = ?", [value])
    except duckdb.Error as err:
        reason = str(err).splitlines()[0].split(": ", 1)[-1]
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a usable memory size such as 512MB or 2GB: {reason}"
        ) from err
    finally:
        con.close()
    return value


def positive_int(value: str) -> int:
    """argparse type of --threads: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return number


def seconds(value: str) -> float:
    """argparse type of --lock-timeout: a finite number of seconds, 0 or more."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds (0 or more)")
    return number


def label(text: str) -> tuple[str, str]:
    """argparse type of ``--label KEY=VALUE``: the key is not empty; the value is any text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def add_db_argument(parser: argparse.ArgumentParser, how: str = "") -> None:
    """``--db``, as every command of the project takes it (ingest, delete, export, the gate, the report)."""
    parser.add_argument(
        "--db",
        default=os.environ.get("DUCKDB_PATH", IngestOptions.db),
        help=f"DuckDB file or ducklake:postgres:<dsn>{how} (default: $DUCKDB_PATH or %(default)s)",
    )


def common_arguments() -> argparse.ArgumentParser:
    """Options every ingest command shares: which database, how long to wait for it, how loud."""
    parser = argparse.ArgumentParser(add_help=False)
    add_db_argument(parser)
    parser.add_argument(
        "--lock-timeout",
        type=seconds,
        default=IngestOptions.lock_timeout,
        metavar="SECONDS",
        help="how long to wait for another writer to release the file (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-limit",
        type=memory_size,
        default=os.environ.get("INGEST_MEMORY_LIMIT", IngestOptions.memory_limit),
        help="DuckDB memory_limit; larger inputs spill to disk (default: $INGEST_MEMORY_LIMIT or %(default)s)",
    )
    parser.add_argument("--threads", type=positive_int, default=None, help="DuckDB threads (default: one per core)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    return parser


def add_label_argument(parser: argparse.ArgumentParser) -> None:
    """``--label KEY=VALUE`` (repeatable), of ``python -m ingest``."""
    parser.add_argument(
        "--label",
        type=label,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="record a label on every load (repeatable); commit, branch, machine and "
        "ci_run become columns of the benchmark and test marts",
    )
