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
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, common_arguments, land_all, open_warehouse, setup_logging
from ingest.connect import NotADatabase, one_row
from ingest.discover import Source
from ingest.lake import is_lake
from ingest.options import IngestOptions, from_arguments

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
# Every id of a kind that the warehouse names: in events, in batches' task lists, in upstream export
# documents (found as the dbt models find them: documents with an export_date).
EXPORT_DOCUMENTS = "from raw.documents where json_exists(payload, '$.export_date')"
MENTIONED = {
    "task": f"""
        select payload ->> '$.task_id' from raw.task_events
        union all
        select unnest(payload ->> '$.task_ids[*]') from raw.task_events
        where (payload ->> '$.event') = 'batch_started'
        union all
        select unnest(payload ->> '$.tasks[*].task_id') {EXPORT_DOCUMENTS}
    """,
    "batch": f"""
        select payload ->> '$.batch_id' from raw.task_events
        union all
        select unnest(payload ->> '$.batches[*].batch_id') {EXPORT_DOCUMENTS}
        union all
        select unnest(payload ->> '$.tasks[*].batch_id') {EXPORT_DOCUMENTS}
    """,
}
KNOWN_IDS = "select distinct entity_id from ({mentioned}) as mentioned(entity_id) where list_contains(?, entity_id)"
# The upstream export documents that hold one task or batch.
EXPORT_PATHS = {"task": "$.tasks[*].task_id", "batch": "$.batches[*].batch_id"}
EXPORTS_HOLDING = (
    "select source_path, record_index, load_id "
    + EXPORT_DOCUMENTS
    + " and list_contains(payload ->> '{path}', ?) order by load_id, record_index"
)
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
    return [
        {"event": "batch_deleted", "occurred_at": occurred_at, "batch_id": i, "delete_tasks": with_tasks} for i in ids
    ]


def known_ids(con: duckdb.DuckDBPyConnection, kind: str, ids: list[str]) -> list[str]:
    """The ids (in the order given, each once) that some event or export document names."""
    sql = KNOWN_IDS.format(mentioned=MENTIONED[kind])
    known = {entity_id for (entity_id,) in con.execute(sql, [ids]).fetchall()}
    return [entity_id for entity_id in dict.fromkeys(ids) if entity_id in known]


def why_kept(con: duckdb.DuckDBPyConnection, kind: str, entity_id: str, rows: int) -> str:
    """What a purge of ``rows`` events left of a task or batch, and why (empty: nothing)."""
    held = con.execute(EXPORTS_HOLDING.format(path=EXPORT_PATHS[kind]), [entity_id]).fetchall()
    if held:
        where = "; ".join(f"{path} record {index}, load {load_id}" for path, index, load_id in held)
        lead = ": it lives" if rows == 0 else "; it also lives"
        return (
            f"{lead} inside {len(held)} upstream export document(s) ({where}), which are kept "
            "whole (a document is never cut); its tombstone hides it from the marts"
        )
    if rows == 0:
        return (
            f": no raw event of its own occurred before its tombstone (a {kind} only listed "
            "by other events leaves nothing to purge)"
        )
    return ""


def purge(con: duckdb.DuckDBPyConnection, kind: str, ids: list[str], with_tasks: bool, occurred_at: str) -> int:
    """Delete the raw events hidden by the tombstones just landed, in one transaction."""
    targets = [(kind, entity_id) for entity_id in ids]
    if kind == "batch" and with_tasks:
        for batch_id in ids:
            members = con.execute(BATCH_MEMBERS, [batch_id, batch_id]).fetchall()
            targets += [("task", task_id) for (task_id,) in members]
    load_id = one_row(con.execute("select max(load_id) from raw.loads"))[0]
    purged = 0
    con.execute("begin transaction")
    try:
        for target_kind, entity_id in targets:
            where = PURGEABLE_EVENTS.format(match=MATCH[target_kind])
            rows = one_row(con.execute("delete " + where, [occurred_at, entity_id]))[0]
            con.execute(
                "insert into raw.purges values (?, ?, ?, 'raw.task_events_all', ?, now())",
                [load_id, target_kind, entity_id, rows],
            )
            log.info(
                "purged %d raw events of %s %s%s",
                rows,
                target_kind,
                entity_id,
                why_kept(con, target_kind, entity_id, rows),
            )
            purged += rows
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return purged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.delete",
        parents=[common_arguments()],
        description="Append tombstones that hide tasks or batches from every mart (run dbt build afterwards).",
    )
    parser.add_argument("kind", choices=["task", "batch"])
    parser.add_argument("ids", nargs="+", metavar="ID")
    parser.add_argument("--with-tasks", action="store_true", help="with batch: hide the batch's tasks too")
    parser.add_argument(
        "--purge", action="store_true", help="also delete the hidden events' raw rows (recorded in raw.purges)"
    )
    args = parser.parse_args(argv)
    if args.with_tasks and args.kind != "batch":
        parser.error("--with-tasks goes with 'batch'")
    if "" in args.ids:
        parser.error("an ID must not be empty")
    options = from_arguments(args)
    setup_logging(options.quiet)
    if not is_lake(args.db) and not Path(args.db).exists():
        log.error("%s: no such database file; nothing was written", args.db)
        return EXIT_USAGE
    try:
        con = open_warehouse(options)
    except NotADatabase as err:
        log.error("%s", err)
        return EXIT_USAGE
    if con is None:
        return EXIT_REJECTED
    with con, tempfile.TemporaryDirectory() as folder:
        return delete(con, args, options, Path(folder))


def delete(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, options: IngestOptions, folder: Path) -> int:
    """Land tombstones for the named ids the warehouse knows (and purge); return the exit code."""
    ids = known_ids(con, args.kind, args.ids)
    unknown = [entity_id for entity_id in dict.fromkeys(args.ids) if entity_id not in ids]
    if not ids:
        log.error("nothing deleted: no event or export document names %s %s", args.kind, ", ".join(unknown))
        return EXIT_REJECTED
    for entity_id in unknown:
        log.warning("%s %s: unknown (no event or export document names it); not deleted", args.kind, entity_id)
    occurred_at = datetime.now(UTC).isoformat()
    path = folder / "tombstones.ndjson"
    path.write_text(
        "".join(json.dumps(e) + "\n" for e in tombstones(args.kind, ids, args.with_tasks, occurred_at)),
        encoding="utf-8",
    )
    exit_code = land_all(con, [Source(path, f"ingest.delete {args.kind}")], options)
    if args.purge and exit_code != EXIT_OK:
        log.error("nothing purged: the tombstones did not land (see above), so no raw event was deleted")
    elif args.purge:
        purge(con, args.kind, ids, args.with_tasks, occurred_at)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
