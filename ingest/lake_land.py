"""Land files on DuckLake, exactly once, with many writers at once.

DuckLake holds no sequence, primary key or ``UPDATE ... RETURNING``, and appends of concurrent
writers never conflict, so the file's way (register a ``running`` load, dedup against the rows one
sees, finish the load with an UPDATE) would store a document twice when two writers race, and its
UPDATEs of ``raw.loads`` conflict. Here instead:

- every document is parsed and classified before the transaction (``classified``), so a retry
  repeats only the append;
- one transaction per batch takes its load ids from the one-row ``raw.load_counter`` (and
  increments it), appends the documents not landed before, and appends each load's finished
  ``raw.loads`` row: ``raw.loads`` is append-only and a load is visible whole or not at all;
- two landing transactions both update the counter's row, so they conflict at commit and one of
  them runs again (ingest.lake.retry_transaction), now seeing the winner's rows: duplicates across
  writers are skipped, and load ids are handed out in commit order (a reader that has seen load n
  has seen every load before it, as incremental models assume).
- the writers of a lake take turns at that transaction (ingest.lake.landing_turn, a PostgreSQL
  advisory lock), so that a writer seldom does its append only to lose the race; the turns save
  work, the conflicting commits keep it exactly once.

A writer killed at any point leaves nothing visible (at most orphaned data files, see
ingest.maintain).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import duckdb

from ingest.append import _check_unchanged, land_classified
from ingest.classify import BAD_LINES_COLUMNS, classify
from ingest.connect import one_row
from ingest.discover import Source
from ingest.lake import landing_turn, retry_transaction
from ingest.land import LoadResult, _now, _result, stage_load_results
from ingest.options import DEFAULT_OPTIONS, IngestOptions
from ingest.schema import rows_table
from ingest.stage import BatchNotReadable, Staged, stage_many, stage_one


def land_batch(
    con: duckdb.DuckDBPyConnection, sources: list[Source], options: IngestOptions = DEFAULT_OPTIONS
) -> list[LoadResult]:
    """Land files (one, or several small ones read in one scan), each its own load (with the
    options' labels), in one transaction that is retried whole when it conflicts with another writer's."""
    started_at = _now()
    staged = _stage(con, sources)
    files = [
        {"file_index": i, "source_path": source.name, "source_bytes": source.path.stat().st_size}
        for i, source in enumerate(sources)
    ]

    def write() -> list[LoadResult]:
        (first_id,) = one_row(con.execute("select next_load_id from raw.load_counter"))
        con.execute("update raw.load_counter set next_load_id = next_load_id + ?", [len(sources)])
        load_ids = [first_id + i for i in range(len(sources))]
        rows_table(
            con,
            "batch_files",
            {"file_index": "INTEGER", "load_id": "BIGINT", "source_path": "VARCHAR", "source_bytes": "BIGINT"},
            [dict(row, load_id=load_id) for row, load_id in zip(files, load_ids, strict=False)],
        )
        counts = land_classified(con, load_ids)
        results = [_result(source, staged, *load_counts) for source, load_counts in zip(sources, counts, strict=False)]
        _append_loads(con, results, started_at, options.labels)
        return results

    with landing_turn(con):
        return retry_transaction(con, write)


def _stage(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> Staged:
    """Parse and classify every document of the batch into ``classified`` (and ``bad_lines``)."""
    if len(sources) > 1:
        try:
            stage_many(con, sources)
        except duckdb.Error as err:
            raise BatchNotReadable(str(err)) from err
        con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
        return Staged()
    staged = stage_one(con, sources[0])
    if staged.documents is not None and staged.params is not None:  # the second read, before the transaction
        classify(con, staged.documents, staged.params)
        _check_unchanged(
            staged.path,
            staged.records_in,
            *one_row(con.execute("select count(*), count(distinct record_index) from classified")),
        )
    return staged


def _append_loads(
    con: duckdb.DuckDBPyConnection, results: list[LoadResult], started_at: datetime, labels: Mapping[str, str]
) -> None:
    """Append each load's one row of ``raw.loads``, finished, with its counts."""
    stage_load_results(con, results)
    con.execute(
        """
        insert into raw.loads (load_id, source_path, source_bytes, records_in, records_landed,
            duplicates_skipped, records_rejected, started_at, finished_at, status, message, labels)
        select load_id, batch_files.source_path, batch_files.source_bytes, r.records_in, r.records_landed,
            r.duplicates_skipped, r.records_rejected, ?, ?, r.status, r.message,
            map(?::varchar[], ?::varchar[])
        from load_results as r
        inner join batch_files using (load_id)
    """,
        [started_at, _now(), list(labels), list(labels.values())],
    )
