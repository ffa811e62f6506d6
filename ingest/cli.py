"""``python -m ingest PATH...``: land JSON files into the warehouse's ``raw`` schema."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import duckdb

from ingest import lake, lake_land
from ingest.connect import LockTimeout, NotADatabase, connect
from ingest.discover import Source, UsageError, discover
from ingest.land import (
    BatchNotReadable,
    LoadResult,
    is_batchable,
    land_batch,
    recover_interrupted_loads,
    rejected_details,
)
from ingest.options import IngestOptions, add_label_argument, common_arguments, from_arguments
from ingest.progress import Progress, StatusStream
from ingest.reader import fit_threads
from ingest.schema import LANDING_DDL

log = logging.getLogger("ingest")

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def configure(con: duckdb.DuckDBPyConnection, options: IngestOptions) -> None:
    """Set the connection's memory limit and threads, as the options say, for ingest's readers."""
    con.execute("set memory_limit = ?", [options.memory_limit])
    # ingest draws its own progress line (ingest.progress); DuckDB's bar went to stdout, even with
    # --quiet, when ingest was called from `python -c` (a statement over 2 s)
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = true")  # DuckDB's default; record indexes rely on it
    fit_threads(con, options.threads)  # no more than the readers' buffers fit in the memory limit


def setup_logging(quiet: bool) -> StatusStream:
    """Log to stderr; the stream returned also carries the progress line (kept below log lines)."""
    stream = StatusStream(sys.stderr)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="ingest: %(message)s", stream=stream)
    return stream


def open_warehouse(options: IngestOptions) -> duckdb.DuckDBPyConnection | None:
    """Open the database for writing with the landing tables in place; None (logged) on timeout.
    Raises NotADatabase (exit 2) for an existing file that is not a DuckDB database."""
    try:
        con = connect(options.db, options.lock_timeout)
    except (LockTimeout, lake.LakeUnavailable) as err:
        log.error("%s", err)
        return None
    configure(con, options)
    if lake.is_lake(options.db):
        lake.prepare_lake(con)
    else:
        con.execute(LANDING_DDL)
        recover_interrupted_loads(con)
    return con


def batches(sources: list[Source], options: IngestOptions) -> list[list[Source]]:
    """Group consecutive small files so that DuckDB reads each group in one scan; others go alone."""
    groups: list[list[Source]] = []
    current: list[Source] = []
    current_bytes = 0
    for source in sources:
        try:
            batchable = is_batchable(source, options)
        except OSError:
            batchable = False  # land() reports it
        size = source.path.stat().st_size if batchable else 0
        full = len(current) >= options.batch_files or current_bytes + size > options.batch_bytes
        if current and (not batchable or full):
            groups.append(current)
            current, current_bytes = [], 0
        if batchable:
            current.append(source)
            current_bytes += size
        else:
            groups.append([source])
    return groups + ([current] if current else [])


def report(con: duckdb.DuckDBPyConnection, result: LoadResult, shown: int) -> None:
    """Log a load's summary, after the first ``shown`` of its rejected records."""
    if result.rejected and result.load_id is not None:
        for index, reason in rejected_details(con, result.load_id, shown):
            where = "whole file" if index is None else f"record {index}"
            log.error("%s: %s: rejected: %s", result.source, where, reason)
        if result.rejected > shown:
            log.error(
                "%s: ... %d more rejected, see raw.rejected_records (load_id = %d)",
                result.source,
                result.rejected - shown,
                result.load_id,
            )
    log.log(logging.ERROR if result.rejected else logging.INFO, "%s", result.summary())


def database_file(con: duckdb.DuckDBPyConnection) -> str:
    """The absolute path of the connection's database file."""
    path, kind = lake.current_database(con)
    if kind == "ducklake":
        return lake.LAKE_PREFIX + path
    return os.path.abspath(path) if path else ":memory:"


def run_summary(con: duckdb.DuckDBPyConnection, files: int, results: list[LoadResult]) -> str:
    """One line for the whole run, naming the database file written."""
    total = {key: sum(getattr(r, key) for r in results) for key in ("records_in", "landed", "duplicates", "rejected")}
    text = (
        f"{files} file{'' if files == 1 else 's'} into {database_file(con)}: "
        f"{total['records_in']} records, {total['landed']} landed, "
        f"{total['duplicates']} duplicates skipped, {total['rejected']} rejected"
    )
    not_loaded = files - len(results)
    return text + (f", {not_loaded} not loaded" if not_loaded else "")


def land_all(
    con: duckdb.DuckDBPyConnection,
    sources: list[Source],
    options: IngestOptions,
    progress: Progress | None = None,
) -> int:
    """Land the sources (small files in batches, each file its own load, with the options' labels);
    return the exit code. The last line logged sums up the run."""
    exit_code = EXIT_OK
    landed: list[LoadResult] = []
    pending = batches(sources, options)
    land = lake_land.land_batch if lake.is_lake_connection(con) else land_batch
    while pending:
        group = pending.pop(0)
        if progress:
            progress.start(group)
        try:
            results = land(con, group, options)
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
            report(con, result, options.rejections_shown)
            exit_code = EXIT_REJECTED if result.rejected else exit_code
        landed += results
        if progress:
            progress.advance(group)
    if progress:
        progress.close()
    log.log(logging.ERROR if exit_code else logging.INFO, "%s", run_summary(con, len(sources), landed))
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        parents=[common_arguments()],
        description="Append task-event and benchmark JSON (files, folders, globs, NDJSON, '-' for "
        "stdin; optionally gzip-compressed) to the raw landing tables.",
        epilog="Exit codes: 0 all landed (or were duplicates), 1 something was rejected or failed, "
        "2 usage error (nothing written; also when the paths hold no JSON file). "
        "See also: python -m ingest.delete, python -m ingest.export.",
    )
    add_label_argument(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    options = from_arguments(args)
    stream = setup_logging(options.quiet)
    problems: list[str] = []
    try:
        sources = discover(args.paths, problems)
    except UsageError as err:
        log.error("%s", err)
        return EXIT_USAGE
    for problem in problems:
        log.error("%s", problem)
    if not sources:
        if problems:
            return EXIT_REJECTED
        log.error("nothing to land: no JSON/NDJSON file in %s; nothing was written", ", ".join(args.paths))
        return EXIT_USAGE

    try:
        con = open_warehouse(options)
    except NotADatabase as err:
        log.error("%s", err)
        return EXIT_USAGE
    if con is None:
        return EXIT_REJECTED
    with con:
        exit_code = land_all(con, sources, options, Progress.for_terminal(sources, options.quiet, stream))
    return EXIT_REJECTED if problems else exit_code
