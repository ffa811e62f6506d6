"""``python -m ingest PATH...``: land JSON files into the warehouse's ``raw`` schema."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import duckdb

from ingest import DEFAULT_DB_PATH
from ingest.connect import LockTimeout, connect
from ingest.discover import Source, UsageError, discover
from ingest.land import (BATCH_BYTES, BATCH_FILES, BatchNotReadable, LoadResult, is_batchable,
                         land_batch, recover_interrupted_loads, rejected_details)
from ingest.progress import Progress
from ingest.schema import LANDING_DDL

log = logging.getLogger("ingest")

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
REJECTIONS_SHOWN = 20


def common_arguments() -> argparse.ArgumentParser:
    """Options every ingest command shares: which database, how long to wait for it, how loud."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", default=os.environ.get("DUCKDB_PATH", DEFAULT_DB_PATH),
                        help="DuckDB file (default: $DUCKDB_PATH or %(default)s)")
    parser.add_argument("--lock-timeout", type=float, default=300.0, metavar="SECONDS",
                        help="how long to wait for another writer to release the file "
                             "(default: %(default)s)")
    parser.add_argument("--memory-limit", default=os.environ.get("INGEST_MEMORY_LIMIT", "512MB"),
                        help="DuckDB memory_limit; larger inputs spill to disk "
                             "(default: $INGEST_MEMORY_LIMIT or %(default)s)")
    parser.add_argument("--threads", type=int, default=None,
                        help="DuckDB threads (default: one per core)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    return parser


def configure(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    con.execute("set memory_limit = ?", [args.memory_limit])
    # ingest draws its own progress line (ingest.progress); DuckDB's bar went to stdout, even with
    # --quiet, when ingest was called from `python -c` (a statement over 2 s)
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = true")  # DuckDB's default; record indexes rely on it
    if args.threads:
        con.execute("set threads = ?", [args.threads])


def setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="ingest: %(message)s", stream=sys.stderr)


def open_warehouse(args: argparse.Namespace) -> duckdb.DuckDBPyConnection | None:
    """Open the database for writing with the landing tables in place; None (logged) on timeout."""
    try:
        con = connect(args.db, args.lock_timeout)
    except LockTimeout as err:
        log.error("%s", err)
        return None
    configure(con, args)
    con.execute(LANDING_DDL)
    recover_interrupted_loads(con)
    return con


def batches(sources: list[Source]) -> list[list[Source]]:
    """Group consecutive small files so that DuckDB reads each group in one scan; others go alone."""
    groups: list[list[Source]] = []
    current: list[Source] = []
    current_bytes = 0
    for source in sources:
        try:
            batchable = is_batchable(source)
        except OSError:
            batchable = False  # land() reports it
        size = source.path.stat().st_size if batchable else 0
        if current and (not batchable or len(current) >= BATCH_FILES
                        or current_bytes + size > BATCH_BYTES):
            groups.append(current)
            current, current_bytes = [], 0
        if batchable:
            current.append(source)
            current_bytes += size
        else:
            groups.append([source])
    return groups + ([current] if current else [])


def report(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    if result.rejected:
        for index, reason in rejected_details(con, result.load_id, REJECTIONS_SHOWN):
            where = "whole file" if index is None else f"record {index}"
            log.error("%s: %s: rejected: %s", result.source, where, reason)
        if result.rejected > REJECTIONS_SHOWN:
            log.error("%s: ... %d more rejected, see raw.rejected_records (load_id = %d)",
                      result.source, result.rejected - REJECTIONS_SHOWN, result.load_id)
    log.log(logging.ERROR if result.rejected else logging.INFO, "%s", result.summary())


def label(text: str) -> tuple[str, str]:
    """argparse type of ``--label KEY=VALUE``: the key is not empty; the value is any text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def land_all(con: duckdb.DuckDBPyConnection, sources: list[Source],
             progress: Progress | None = None, labels: dict[str, str] | None = None) -> int:
    """Land the sources (small files in batches, each file its own load); return the exit code."""
    exit_code = EXIT_OK
    pending = batches(sources)
    while pending:
        group = pending.pop(0)
        if progress:
            progress.start(group)
        try:
            results = land_batch(con, group, labels)
        except BatchNotReadable:  # one of them is broken: land each alone, with its own diagnosis
            pending[:0] = [[source] for source in group]
            continue
        except (duckdb.Error, OSError) as err:
            log.error("%s: not loaded, nothing from it was stored: %s", group[0].name, err)
            exit_code = EXIT_REJECTED
            continue
        finally:
            if len(group) == 1 and group[0].is_spooled:  # a spooled copy of stdin is never batched
                group[0].path.unlink(missing_ok=True)
        for result in results:
            report(con, result)
            exit_code = EXIT_REJECTED if result.rejected else exit_code
        if progress:
            progress.advance(group)
    if progress:
        progress.close()
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest", parents=[common_arguments()],
        description="Append task-event and benchmark JSON (files, folders, globs, NDJSON, '-' for "
                    "stdin; optionally gzip-compressed) to the raw landing tables.",
        epilog="Exit codes: 0 all landed (or were duplicates), 1 something was rejected or failed, "
               "2 usage error. See also: python -m ingest.delete, python -m ingest.export.",
    )
    parser.add_argument("--label", type=label, action="append", default=[], metavar="KEY=VALUE",
                        help="record a label on every load (repeatable); commit, branch, machine and "
                             "ci_run become columns of the benchmark and test marts")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    setup_logging(args.quiet)
    problems: list[str] = []
    try:
        sources = discover(args.paths, problems)
    except UsageError as err:
        log.error("%s", err)
        return EXIT_USAGE
    for problem in problems:
        log.error("%s", problem)

    con = open_warehouse(args)
    if con is None:
        return EXIT_REJECTED
    with con:
        exit_code = land_all(con, sources, Progress.for_terminal(sources, args.quiet), dict(args.label))
    return EXIT_REJECTED if problems else exit_code
