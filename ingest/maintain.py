"""``python -m ingest.maintain``: tidy a DuckLake warehouse while writers run.

Merges small data files (every load writes its own), expires snapshots older than ``--keep-days``
(time travel reaches back that far), deletes the data files only those snapshots used, and removes
orphaned files (left by a writer killed mid-commit) older than ``--orphans-older-than-hours``.
Never "all": a file younger than the limit may belong to a writer that is committing right now
(measured: cleaning every orphan while a writer was mid-insert deleted its file and broke the table).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime, timedelta

import duckdb

from ingest.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, common_arguments, setup_logging
from ingest.lake import LAKE_ALIAS, LakeUnavailable, connect_lake, is_lake

log = logging.getLogger("ingest")

MIN_ORPHAN_HOURS = 1.0  # no writer's commit takes this long; younger orphans are never touched


def maintain(con: duckdb.DuckDBPyConnection, keep_days: float, orphans_older_than_hours: float) -> dict[str, int]:
    """Compact, expire, clean; return how many files or snapshots each step handled."""
    now = datetime.now(UTC)
    snapshots_before = now - timedelta(days=keep_days)
    orphans_before = now - timedelta(hours=orphans_older_than_hours)
    steps = {
        "files merged": (f"call ducklake_merge_adjacent_files('{LAKE_ALIAS}')", []),
        "snapshots expired": (f"call ducklake_expire_snapshots('{LAKE_ALIAS}', older_than => ?)", [snapshots_before]),
        "old files deleted": (f"call ducklake_cleanup_old_files('{LAKE_ALIAS}', older_than => ?)", [orphans_before]),
        "orphaned files deleted": (
            f"call ducklake_delete_orphaned_files('{LAKE_ALIAS}', older_than => ?)",
            [orphans_before],
        ),
    }
    return {step: len(con.execute(sql, params).fetchall()) for step, (sql, params) in steps.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.maintain",
        parents=[common_arguments()],
        description=__doc__.splitlines()[0].split(": ", 1)[1],
    )
    parser.add_argument(
        "--keep-days",
        type=float,
        default=7.0,
        help="keep snapshots (time travel) this many days (default: %(default)s)",
    )
    parser.add_argument(
        "--orphans-older-than-hours",
        type=float,
        default=24.0,
        help=f"remove orphaned files older than this, at least {MIN_ORPHAN_HOURS:g} (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    setup_logging(args.quiet)
    if not is_lake(args.db):
        log.error(
            "%s: not a DuckLake warehouse (DUCKDB_PATH=ducklake:...); a DuckDB file needs no maintenance", args.db
        )
        return EXIT_USAGE
    if args.orphans_older_than_hours < MIN_ORPHAN_HOURS or args.keep_days < 0:
        parser.error(
            f"--orphans-older-than-hours must be at least {MIN_ORPHAN_HOURS:g} (a younger file "
            "may be a running writer's) and --keep-days at least 0"
        )
    try:
        con = connect_lake(args.db)
    except LakeUnavailable as err:
        log.error("%s", err)
        return EXIT_REJECTED
    with con:
        for step, count in maintain(con, args.keep_days, args.orphans_older_than_hours).items():
            log.info("%s: %d", step, count)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
