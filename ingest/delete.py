"""``python -m ingest.delete task|batch ID...``: hide tasks or batches from every mart.

Deleting appends tombstone events (``task_deleted`` / ``batch_deleted``) like any other load; the
next ``dbt build`` removes what they name from the marts. Events that occur later start the task or
batch afresh. ``--purge`` also removes the raw rows of those events (never the tombstones, so
re-ingesting an old file cannot bring a deleted task back) and records what it removed in
``raw.purges``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.cli import EXIT_OK, EXIT_REJECTED, common_arguments, land_all, open_warehouse, setup_logging
from ingest.discover import Source

log = logging.getLogger("ingest")

# Raw event rows of one entity that occurred at or before its tombstone, tombstones excepted.
# (`->>` binds more loosely than `and` in DuckDB: comparisons on it are parenthesized.)
PURGEABLE_EVENTS = """
    from raw.task_events_all
    where (payload ->> '$.event') not in ('task_deleted', 'batch_deleted')
        and try_cast(payload ->> '$.occurred_at' as timestamptz) <= ?::timestamptz
        and {match}
"""
MATCH = {
    "task": "(payload ->> '$.task_id') = ?",
    "batch": "(payload ->> '$.batch_id') = ? and (payload ->> '$.event') like 'batch_%'",
}
BATCH_MEMBERS = """
    select distinct unnest(from_json(payload -> '$.task_ids', '["VARCHAR"]')) as task_id
    from raw.task_events
    where (payload ->> '$.event') = 'batch_started' and (payload ->> '$.batch_id') = ?
    union
    select distinct payload ->> '$.task_id' as task_id
    from raw.task_events
    where (payload ->> '$.batch_id') = ? and (payload ->> '$.task_id') is not null
"""


def tombstones(kind: str, ids: list[str], with_tasks: bool, occurred_at: str) -> list[dict]:
    if kind == "task":
        return [{"event": "task_deleted", "occurred_at": occurred_at, "task_id": i} for i in ids]
    return [{"event": "batch_deleted", "occurred_at": occurred_at, "batch_id": i,
             "delete_tasks": with_tasks} for i in ids]


def purge(con: duckdb.DuckDBPyConnection, kind: str, ids: list[str], with_tasks: bool,
          occurred_at: str) -> int:
    """Delete the raw events hidden by the tombstones just landed, in one transaction."""
    targets = [(kind, entity_id) for entity_id in ids]
    if kind == "batch" and with_tasks:
        for batch_id in ids:
            members = con.execute(BATCH_MEMBERS, [batch_id, batch_id]).fetchall()
            targets += [("task", task_id) for (task_id,) in members]
    load_id = con.execute("select max(load_id) from raw.loads").fetchone()[0]
    purged = 0
    con.execute("begin transaction")
    try:
        for target_kind, entity_id in targets:
            where = PURGEABLE_EVENTS.format(match=MATCH[target_kind])
            rows = con.execute("delete " + where, [occurred_at, entity_id]).fetchone()[0]
            con.execute("insert into raw.purges values (?, ?, ?, 'raw.task_events_all', ?, now())",
                        [load_id, target_kind, entity_id, rows])
            log.info("purged %d raw events of %s %s", rows, target_kind, entity_id)
            purged += rows
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return purged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.delete", parents=[common_arguments()],
        description="Append tombstones that hide tasks or batches from every mart "
                    "(run dbt build afterwards).")
    parser.add_argument("kind", choices=["task", "batch"])
    parser.add_argument("ids", nargs="+", metavar="ID")
    parser.add_argument("--with-tasks", action="store_true",
                        help="with batch: hide the batch's tasks too")
    parser.add_argument("--purge", action="store_true",
                        help="also delete the hidden events' raw rows (recorded in raw.purges)")
    args = parser.parse_args(argv)
    if args.with_tasks and args.kind != "batch":
        parser.error("--with-tasks goes with 'batch'")
    setup_logging(args.quiet)

    occurred_at = datetime.now(timezone.utc).isoformat()
    events = tombstones(args.kind, args.ids, args.with_tasks, occurred_at)
    con = open_warehouse(args)
    if con is None:
        return EXIT_REJECTED
    with con, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tombstones.ndjson"
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        exit_code = land_all(con, [Source(path, f"ingest.delete {args.kind}")])
        if exit_code == EXIT_OK and args.purge:
            purge(con, args.kind, args.ids, args.with_tasks, occurred_at)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
