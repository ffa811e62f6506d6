"""``python -m ingest PATH...``: land JSON files into the warehouse's ``raw`` schema."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys

import duckdb

from ingest import DEFAULT_DB_PATH, lake, lake_land
from ingest.connect import LockTimeout, NotADatabase, connect, one_row
from ingest.discover import Source, UsageError, discover
from ingest.land import (
    BATCH_BYTES,
    BATCH_FILES,
    BatchNotReadable,
    LoadResult,
    is_batchable,
    land_batch,
    recover_interrupted_loads,
    rejected_details,
)
from ingest.progress import Progress, StatusStream
from ingest.reader import fit_threads
from ingest.schema import LANDING_DDL

log = logging.getLogger("ingest")

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
REJECTIONS_SHOWN = 20


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


def add_db_argument(parser: argparse.ArgumentParser, how: str = "") -> None:
    """``--db``, as every command of the project takes it (ingest, delete, export, the gate, the report)."""
    parser.add_argument(
        "--db",
        default=os.environ.get("DUCKDB_PATH", DEFAULT_DB_PATH),
        help=f"DuckDB file or ducklake:postgres:<dsn>{how} (default: $DUCKDB_PATH or %(default)s)",
    )


def common_arguments() -> argparse.ArgumentParser:
    """Options every ingest command shares: which database, how long to wait for it, how loud."""
    parser = argparse.ArgumentParser(add_help=False)
    add_db_argument(parser)
    parser.add_argument(
        "--lock-timeout",
        type=seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for another writer to release the file (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-limit",
        type=memory_size,
        default=os.environ.get("INGEST_MEMORY_LIMIT", "512MB"),
        help="DuckDB memory_limit; larger inputs spill to disk (default: $INGEST_MEMORY_LIMIT or %(default)s)",
    )
    parser.add_argument("--threads", type=positive_int, default=None, help="DuckDB threads (default: one per core)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    return parser


def configure(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> None:
    con.execute("set memory_limit = ?", [args.memory_limit])
    # ingest draws its own progress line (ingest.progress); DuckDB's bar went to stdout, even with
    # --quiet, when ingest was called from `python -c` (a statement over 2 s)
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = true")  # DuckDB's default; record indexes rely on it
    fit_threads(con, args.threads)  # no more than the readers' buffers fit in the memory limit


def setup_logging(quiet: bool) -> StatusStream:
    """Log to stderr; the stream returned also carries the progress line (kept below log lines)."""
    stream = StatusStream(sys.stderr)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="ingest: %(message)s", stream=stream)
    return stream


def open_warehouse(args: argparse.Namespace) -> duckdb.DuckDBPyConnection | None:
    """Open the database for writing with the landing tables in place; None (logged) on timeout.
    Raises NotADatabase (exit 2) for an existing file that is not a DuckDB database."""
    try:
        con = connect(args.db, args.lock_timeout)
    except (LockTimeout, lake.LakeUnavailable) as err:
        log.error("%s", err)
        return None
    configure(con, args)
    if lake.is_lake(args.db):
        lake.prepare_lake(con)
    else:
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
        if current and (not batchable or len(current) >= BATCH_FILES or current_bytes + size > BATCH_BYTES):
            groups.append(current)
            current, current_bytes = [], 0
        if batchable:
            current.append(source)
            current_bytes += size
        else:
            groups.append([source])
    return groups + ([current] if current else [])


def report(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    if result.rejected and result.load_id is not None:
        for index, reason in rejected_details(con, result.load_id, REJECTIONS_SHOWN):
            where = "whole file" if index is None else f"record {index}"
            log.error("%s: %s: rejected: %s", result.source, where, reason)
        if result.rejected > REJECTIONS_SHOWN:
            log.error(
                "%s: ... %d more rejected, see raw.rejected_records (load_id = %d)",
                result.source,
                result.rejected - REJECTIONS_SHOWN,
                result.load_id,
            )
    log.log(logging.ERROR if result.rejected else logging.INFO, "%s", result.summary())


def database_file(con: duckdb.DuckDBPyConnection) -> str:
    """The absolute path of the connection's database file."""
    (path, kind) = one_row(
        con.execute("select path, type from duckdb_databases() where database_name = current_database()")
    )
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


def label(text: str) -> tuple[str, str]:
    """argparse type of ``--label KEY=VALUE``: the key is not empty; the value is any text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def land_all(
    con: duckdb.DuckDBPyConnection,
    sources: list[Source],
    progress: Progress | None = None,
    labels: dict[str, str] | None = None,
) -> int:
    """Land the sources (small files in batches, each file its own load); return the exit code.
    The last line logged sums up the run."""
    exit_code = EXIT_OK
    landed: list[LoadResult] = []
    pending = batches(sources)
    land = lake_land.land_batch if lake.is_lake_connection(con) else land_batch
    while pending:
        group = pending.pop(0)
        if progress:
            progress.start(group)
        try:
            results = land(con, group, labels)
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
    parser.add_argument(
        "--label",
        type=label,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="record a label on every load (repeatable); commit, branch, machine and "
        "ci_run become columns of the benchmark and test marts",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    stream = setup_logging(args.quiet)
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
        con = open_warehouse(args)
    except NotADatabase as err:
        log.error("%s", err)
        return EXIT_USAGE
    if con is None:
        return EXIT_REJECTED
    with con:
        exit_code = land_all(con, sources, Progress.for_terminal(sources, args.quiet, stream), dict(args.label))
    return EXIT_REJECTED if problems else exit_code
