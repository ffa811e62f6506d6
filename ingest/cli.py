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
from ingest.land import land, rejected_details
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
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    return parser


def setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="ingest: %(message)s", stream=sys.stderr)


def open_warehouse(db_path: str, lock_timeout: float) -> duckdb.DuckDBPyConnection | None:
    """Open the database for writing with the landing tables in place; None (logged) on timeout."""
    try:
        con = connect(db_path, lock_timeout)
    except LockTimeout as err:
        log.error("%s", err)
        return None
    con.execute(LANDING_DDL)
    return con


def land_all(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> int:
    """Land each source in its own transaction; report per file; return the exit code."""
    exit_code = EXIT_OK
    for source in sources:
        try:
            result = land(con, source)
        except (duckdb.Error, OSError) as err:
            log.error("%s: not loaded, nothing from it was stored: %s", source.name, err)
            exit_code = EXIT_REJECTED
            continue
        finally:
            if source.is_spooled:
                source.path.unlink(missing_ok=True)
        if result.rejected:
            exit_code = EXIT_REJECTED
            for index, reason in rejected_details(con, result.load_id, REJECTIONS_SHOWN):
                where = "whole file" if index is None else f"record {index}"
                log.error("%s: %s: rejected: %s", source.name, where, reason)
            if result.rejected > REJECTIONS_SHOWN:
                log.error("%s: ... %d more rejected, see raw.rejected_records (load_id = %d)",
                          source.name, result.rejected - REJECTIONS_SHOWN, result.load_id)
        log.log(logging.ERROR if result.rejected else logging.INFO, "%s", result.summary())
    return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest", parents=[common_arguments()],
        description="Append task-event and benchmark JSON (files, folders, globs, NDJSON, '-' for "
                    "stdin; optionally gzip-compressed) to the raw landing tables.",
        epilog="Exit codes: 0 all landed (or were duplicates), 1 something was rejected or failed, "
               "2 usage error. See also: python -m ingest.delete, python -m ingest.export.",
    )
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

    con = open_warehouse(args.db, args.lock_timeout)
    if con is None:
        return EXIT_REJECTED
    with con:
        exit_code = land_all(con, sources)
    return EXIT_REJECTED if problems else exit_code
