"""Land files: stage their documents (ingest.stage), then append them (ingest.append) and finish
their loads in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ingest.append import FileChanged, land_classified, land_read_again
from ingest.classify import BAD_LINES_COLUMNS
from ingest.discover import Source
from ingest.options import DEFAULT_OPTIONS, IngestOptions
from ingest.recovery import recover_interrupted_loads, rejected_details
from ingest.schema import rows_table
from ingest.stage import BatchNotReadable, Staged, is_batchable, stage_many
from ingest.stage import stage_one as _stage_one

__all__ = [
    "BatchNotReadable",
    "FileChanged",
    "LoadResult",
    "is_batchable",
    "land_batch",
    "recover_interrupted_loads",
    "rejected_details",
]

log = logging.getLogger("ingest")


@dataclass
class LoadResult:
    source: str
    load_id: int | None = None
    records_in: int = 0
    landed: int = 0
    duplicates: int = 0
    rejected: int = 0
    status: str = "succeeded"
    message: str | None = None

    def summary(self) -> str:
        if self.status == "rejected":  # the reason is on the line before, as the whole file's rejection
            return f"{self.source}: load {self.load_id}: rejected whole, nothing landed"
        text = (
            f"{self.source}: load {self.load_id}: {self.records_in} records, {self.landed} landed, "
            f"{self.duplicates} duplicates skipped, {self.rejected} rejected"
        )
        return text + (f" ({self.message})" if self.message else "")


def land_batch(
    con: duckdb.DuckDBPyConnection, sources: list[Source], options: IngestOptions = DEFAULT_OPTIONS
) -> list[LoadResult]:
    """Land files (one, or several small ones read in one scan): each gets its own load (with the
    options' labels), registered as running (committed), then all their rows are written and the
    loads finished in one transaction. A failure marks the loads failed; nothing of them is visible
    either way."""
    started_at = _now()
    if len(sources) == 1:
        staged = _stage_one(con, sources[0])
    else:
        try:
            stage_many(con, sources)
        except duckdb.Error as err:
            raise BatchNotReadable(str(err)) from err
        con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
        staged = Staged()
    load_ids = _register_loads(con, sources, started_at, options.labels)
    try:
        return _write(con, sources, load_ids, staged)
    except BaseException as err:
        _mark_failed(con, f"{type(err).__name__}: {err}")
        raise


def _now() -> datetime:
    """The wall clock (DuckDB's now() is the start of the current transaction)."""
    return datetime.now(UTC)


def _register_loads(
    con: duckdb.DuckDBPyConnection, sources: list[Source], started_at: datetime, labels: Mapping[str, str]
) -> list[int]:
    """Register one ``running`` load per file (committed); ``batch_files`` maps each file of the
    batch to its load. Returns the load ids, in file order."""
    load_ids = sorted(
        load_id
        for (load_id,) in con.execute("select nextval('raw.load_id_seq') from range(?)", [len(sources)]).fetchall()
    )
    rows_table(
        con,
        "batch_files",
        {"file_index": "INTEGER", "load_id": "BIGINT", "source_path": "VARCHAR", "source_bytes": "BIGINT"},
        [
            {
                "file_index": i,
                "load_id": load_id,
                "source_path": source.name,
                "source_bytes": source.path.stat().st_size,
            }
            for i, (load_id, source) in enumerate(zip(load_ids, sources, strict=False))
        ],
    )
    con.execute(
        """
        insert into raw.loads (load_id, source_path, source_bytes, records_in, records_landed,
            duplicates_skipped, records_rejected, started_at, finished_at, status, message, labels)
        select load_id, source_path, source_bytes, 0, 0, 0, 0, ?, null, 'running', null,
            map(?::varchar[], ?::varchar[])
        from batch_files
    """,
        [started_at, list(labels), list(labels.values())],
    )
    return load_ids


def _mark_failed(con: duckdb.DuckDBPyConnection, message: str) -> None:
    """Record why the batch's loads failed. When even that cannot be written (the disk is full, the
    database invalidated), they stay ``running`` and the next ingest marks them ``interrupted``;
    the caller reports the error either way."""
    try:
        con.execute(
            "update raw.loads set status = 'failed', message = ? where load_id in (select load_id from batch_files)",
            [message[:2000]],
        )
    except duckdb.Error as err:
        log.warning("could not record the failure in raw.loads: %s", str(err).splitlines()[0])


def _write(
    con: duckdb.DuckDBPyConnection, sources: list[Source], load_ids: list[int], staged: Staged
) -> list[LoadResult]:
    con.execute("begin transaction")
    try:
        if staged.documents is not None:
            counts = land_read_again(con, load_ids[0], staged)
        else:
            counts = land_classified(con, load_ids)
        results = [_result(source, staged, *load_counts) for source, load_counts in zip(sources, counts, strict=False)]
        _finish_loads(con, results)
        con.execute("commit")
    except BaseException:
        _rollback(con)
        raise
    return results


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after an error, which the caller raises. A failed commit (the disk is full) has
    ended the transaction already: the rollback's own error would hide the real one."""
    try:
        con.execute("rollback")
        con.execute("reset disabled_optimizers")  # still set if a _file_side_probes statement failed
    except duckdb.Error as err:
        log.debug("rollback after a failed load: %s", err)


def _result(source: Source, staged: Staged, load_id: int, records_in: int, landed: int, rejected: int) -> LoadResult:
    result = LoadResult(
        source=source.name,
        load_id=load_id,
        records_in=records_in,
        landed=landed,
        rejected=rejected,
        duplicates=records_in - landed - rejected,
        message=staged.message,
    )
    if staged.file_reason is not None:
        result.status, result.message = "rejected", staged.file_reason
    elif rejected:
        result.status = "partial"
    elif records_in == 0:
        result.status, result.message = "empty", "no JSON documents in file"
    return result


def _finish_loads(con: duckdb.DuckDBPyConnection, results: list[LoadResult]) -> None:
    """Write each load's counts and status, and its finish: the time its rows were all written."""
    stage_load_results(con, results)
    con.execute(
        """
        update raw.loads set records_in = r.records_in, records_landed = r.records_landed,
            duplicates_skipped = r.duplicates_skipped, records_rejected = r.records_rejected,
            finished_at = ?, status = r.status, message = r.message
        from load_results as r
        where raw.loads.load_id = r.load_id
        """,
        [_now()],
    )


def stage_load_results(con: duckdb.DuckDBPyConnection, results: list[LoadResult]) -> None:
    """Temp table ``load_results``: each load's counts, status and message."""
    rows_table(
        con,
        "load_results",
        {
            "load_id": "BIGINT",
            "records_in": "BIGINT",
            "records_landed": "BIGINT",
            "duplicates_skipped": "BIGINT",
            "records_rejected": "BIGINT",
            "status": "VARCHAR",
            "message": "VARCHAR",
        },
        [
            {
                "load_id": r.load_id,
                "records_in": r.records_in,
                "records_landed": r.landed,
                "duplicates_skipped": r.duplicates,
                "records_rejected": r.rejected,
                "status": r.status,
                "message": r.message,
            }
            for r in results
        ],
    )
