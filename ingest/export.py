"""``python -m ingest.export OUTDIR``: write the marts as the upstream JSON export and as Parquet.

The JSON file has the upstream export shape ``{tasks, batches, stats, export_date}`` (tasks carry
their ``steps``, ``metrics`` and ``tags``), so ``python -m ingest`` can land it again elsewhere.
Parquet: one file per mart. Nothing is written outside OUTDIR, and no file is overwritten unless
``--force`` is given; the JSON file's name may not be one of the export's own Parquet files. Each
file is written to a temporary name first, then renamed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import duckdb

from ingest.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, common_arguments, configure, setup_logging
from ingest.connect import LockTimeout, NotADatabase, connect
from ingest.options import from_arguments

log = logging.getLogger("ingest")

EXPORT_SQL = """
with steps as (
    select task_id, list({step_name: step_name, status: status, progress: progress,
                          started_at: started_at, completed_at: completed_at, duration: duration,
                          error: error} order by started_at, step_name) as steps
    from marts.generator_task_steps group by task_id
),
metrics as (
    select task_id, list({metric_name: metric_name, metric_value: metric_value,
                          metric_unit: metric_unit, recorded_at: recorded_at}
                         order by metric_name) as metrics
    from marts.generator_task_metrics group by task_id
),
tags as (
    select task_id, map_from_entries(list((tag_name, tag_value) order by tag_name)) as tags
    from marts.generator_task_tags group by task_id
),
members as (
    select batch_id, list(task_id order by task_id) as task_ids
    from marts.generator_tasks where batch_id is not null group by batch_id
)
select
    coalesce((
        select list({
            task_id: t.task_id, model_name: t.model_name, hardware: t.hardware, status: t.status,
            progress: t.progress, current_step: t.current_step, template_type: t.template_type,
            template_context: t.template_context, architecture: t.architecture,
            output_dir: t.output_dir, output_file: t.output_file, error: t.error,
            creator: t.creator, task_type: t.task_type, batch_id: t.batch_id,
            started_at: t.started_at, completed_at: t.completed_at, duration: t.duration,
            steps: coalesce(s.steps, []), metrics: coalesce(m.metrics, []), tags: g.tags
        } order by t.started_at, t.task_id)
        from marts.generator_tasks as t
        left join steps as s on s.task_id = t.task_id
        left join metrics as m on m.task_id = t.task_id
        left join tags as g on g.task_id = t.task_id
    ), []) as tasks,
    coalesce((
        select list({
            batch_id: b.batch_id, description: b.description, task_count: b.task_count,
            status: b.status, creator: b.creator, started_at: b.started_at,
            completed_at: b.completed_at, task_ids: coalesce(mb.task_ids, [])
        } order by b.started_at, b.batch_id)
        from marts.generator_batch_tasks as b
        left join members as mb on mb.batch_id = b.batch_id
    ), []) as batches,
    (select {total_tasks: count(*),
             completed_tasks: count(*) filter (where status = 'completed'),
             failed_tasks: count(*) filter (where status = 'error'),
             running_tasks: count(*) filter (where status not in ('completed', 'error')),
             total_batches: (select count(*) from marts.generator_batch_tasks)}
     from marts.generator_tasks) as stats,
    strftime(now() at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') as export_date
"""


class ExportError(Exception):
    """The export would write outside its folder or over an existing file."""


def target(folder: Path, name: str, force: bool) -> Path:
    """The path for file ``name`` in ``folder``: a plain name, inside it, not clobbering."""
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name or "\0" in name:
        raise ExportError(f"{name!r}: not a plain file name (no folders, no '..')")
    path = (folder / name).resolve()
    if path.parent != folder.resolve():
        raise ExportError(f"{name!r}: would be written outside {folder}")
    if path.exists() and not force:
        raise ExportError(f"{path}: exists; use --force to overwrite")
    return path


def partial_name(name: str) -> str:
    """The temporary name a file is written under before it is renamed."""
    return f".{name}.partial"


def check_json_name(name: str, marts: list[str]) -> None:
    """Refuse a JSON file name that is also a file of the Parquet export (or its temporary name);
    compared case-insensitively, as some file systems do."""
    own = {}
    for mart in marts:
        parquet = f"{mart}.parquet"
        own[parquet.casefold()] = own[partial_name(parquet).casefold()] = f"the Parquet file of mart {mart}"
    if name.casefold() in own:
        raise ExportError(f"{name!r}: the export writes {own[name.casefold()]} under that name; choose another --name")


def write(con: duckdb.DuckDBPyConnection, sql: str, path: Path, fmt: str) -> None:
    partial = path.with_name(partial_name(path.name))
    quoted = str(partial).replace("'", "''")
    con.execute(f"copy ({sql}) to '{quoted}' (format {fmt})")
    os.replace(partial, path)
    log.info("wrote %s", path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.export",
        parents=[common_arguments()],
        description="Export the marts: the upstream JSON shape {tasks, batches, stats, export_date} "
        "and/or one Parquet file per mart.",
    )
    parser.add_argument("folder", metavar="OUTDIR", type=Path)
    parser.add_argument("--format", choices=["json", "parquet", "all"], default="all")
    parser.add_argument(
        "--name",
        default="generator_export.json",
        help="file name of the JSON export inside OUTDIR (default: %(default)s)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    options = from_arguments(args)
    setup_logging(options.quiet)
    try:
        con = connect(options.db, options.lock_timeout, read_only=True)
    except NotADatabase as err:
        log.error("%s", err)
        return EXIT_USAGE
    except (LockTimeout, duckdb.IOException) as err:
        log.error("%s", err)
        return EXIT_REJECTED
    with con:
        configure(con, options)
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        if "generator_tasks" not in marts:
            log.error("%s: no marts yet; run dbt build first", args.db)
            return EXIT_REJECTED
        try:
            check_json_name(args.name, marts)
            args.folder.mkdir(parents=True, exist_ok=True)
            plan = []
            if args.format in ("json", "all"):
                plan.append((EXPORT_SQL, target(args.folder, args.name, args.force), "json"))
            if args.format in ("parquet", "all"):
                plan += [
                    (f"select * from marts.{name}", target(args.folder, f"{name}.parquet", args.force), "parquet")
                    for name in marts
                ]
        except (ExportError, OSError) as err:
            log.error("export refused, nothing written: %s", err)
            return EXIT_USAGE
        for sql, path, fmt in plan:
            write(con, sql, path, fmt)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
