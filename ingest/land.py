"""Land one file: stage its documents with DuckDB's JSON reader, then append them in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from ingest.discover import Source
from ingest.schema import LANDING_TABLES

log = logging.getLogger("ingest")

GZIP_MAGIC = b"\x1f\x8b"
MAX_OBJECT_BYTES = 1 << 30  # one document may be up to 1 GiB (long strings must land)
MAX_REJECTED_TEXT = 1 << 20  # raw text kept for a rejected record, at most 1 MiB
KNOWN_EVENTS = (
    "task_started", "task_updated", "task_completed", "task_deleted",
    "batch_started", "batch_completed", "batch_deleted",
)

# Why a staged document cannot land; NULL when it can. Checked in SQL, for every record at once.
REJECT_REASON_SQL = f"""
case
    when json_type(doc) <> 'OBJECT'
        then 'not a JSON object (top-level ' || lower(json_type(doc)) || ')'
    when not json_exists(doc, '$.event') then null
    when json_type(doc, '$.event') <> 'VARCHAR' then 'event name is not a string'
    when doc ->> '$.event' not in {KNOWN_EVENTS!r}
        then 'unknown event ''' || (doc ->> '$.event') || ''''
    when doc ->> '$.event' like 'task_%' and coalesce(doc ->> '$.task_id', '') = ''
        then (doc ->> '$.event') || ' has no task_id'
    when doc ->> '$.event' like 'batch_%' and coalesce(doc ->> '$.batch_id', '') = ''
        then (doc ->> '$.event') || ' has no batch_id'
    when doc ->> '$.occurred_at' is null then 'event has no occurred_at'
    when try_cast(doc ->> '$.occurred_at' as timestamptz) is null
        then 'occurred_at ''' || (doc ->> '$.occurred_at') || ''' is not an ISO-8601 timestamp'
end
"""


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
        text = (f"{self.source}: load {self.load_id}: {self.records_in} records, {self.landed} landed, "
                f"{self.duplicates} duplicates skipped, {self.rejected} rejected")
        return text + (f" ({self.message})" if self.message else "")


def _sniff(source: Source) -> tuple[str, str | None]:
    """Return (compression, file-level rejection reason or None)."""
    with open(source.path, "rb") as handle:
        head = handle.read(2)
    if head == GZIP_MAGIC:
        return "gzip", None
    if source.name.lower().endswith(".gz"):
        return "uncompressed", "file name ends in .gz but the content is not gzip-compressed"
    return "uncompressed", None


def _stage_documents(con: duckdb.DuckDBPyConnection, source: Source, compression: str) -> None:
    """Fast path: DuckDB parses the whole file (one object, an array, or NDJSON) in bulk."""
    con.execute(
        """
        create or replace temp table staged as
        select ordinality::bigint as record_index, json as doc
        from read_json_objects(?, format = 'auto', compression = ?, maximum_object_size = ?)
            with ordinality
        """,
        [str(source.path), compression, MAX_OBJECT_BYTES],
    )


def _stage_lines(con: duckdb.DuckDBPyConnection, source: Source, compression: str) -> int:
    """Slow path, only after the fast path failed: judge each line on its own (NDJSON with bad lines).

    Returns how many lines are valid JSON; their documents go to ``staged``, the rest to ``bad_lines``.
    A file whose first line is not JSON on its own is not NDJSON: 0, and the caller rejects it whole.
    """
    con.execute(
        """
        create or replace temp table lines as
        select ordinality::bigint as record_index, line
        from read_csv(?, columns = {'line': 'varchar'}, delim = chr(1), quote = '', escape = '',
                      header = false, compression = ?, max_line_size = ?, strict_mode = false)
            with ordinality
        where trim(coalesce(line, '')) <> ''
        """,
        [str(source.path), compression, MAX_OBJECT_BYTES],
    )
    first_line_valid = con.execute(
        "select json_valid(line) from lines order by record_index limit 1").fetchone()
    if not (first_line_valid and first_line_valid[0]):
        return 0  # not NDJSON: one document that does not parse, rejected as a whole
    con.execute("create or replace temp table staged as "
                "select record_index, line::json as doc from lines where json_valid(line)")
    con.execute("create or replace temp table bad_lines as "
                "select record_index, line from lines where not json_valid(line)")
    return con.execute("select count(*) from staged").fetchone()[0]


def _read_raw_text(source: Source) -> str:
    with open(source.path, "rb") as handle:
        return handle.read(MAX_REJECTED_TEXT).decode("utf-8", errors="backslashreplace")


def land(con: duckdb.DuckDBPyConnection, source: Source) -> LoadResult:
    result = LoadResult(source=source.name)
    started_at = datetime.now(timezone.utc)
    source_bytes = source.path.stat().st_size
    compression, file_reason = _sniff(source)
    con.execute("create or replace temp table bad_lines (record_index bigint, line varchar)")
    if file_reason is None:
        try:
            _stage_documents(con, source, compression)
        except duckdb.Error as err:
            parse_error = str(err).splitlines()[0]
            try:
                if _stage_lines(con, source, compression) == 0:
                    file_reason = parse_error
            except duckdb.Error as line_err:
                file_reason = f"{parse_error}; read line by line: {str(line_err).splitlines()[0]}"
    if file_reason is not None:
        con.execute("create or replace temp table staged (record_index bigint, doc json)")
        con.execute("create or replace temp table bad_lines as select null::bigint as record_index, "
                    "?::varchar as line", [_read_raw_text(source)])

    con.execute(
        f"""
        create or replace temp table classified as
        select record_index, doc, md5(json(doc)::varchar) as record_hash,
            ({REJECT_REASON_SQL}) as reject_reason,
            case when json_exists(doc, '$.event') then 'event' else 'document' end as kind
        from staged
        """
    )

    con.execute("begin transaction")
    try:
        result.load_id = con.execute("select nextval('raw.load_id_seq')").fetchone()[0]
        params = [result.load_id, source.name]
        result.rejected = con.execute(
            """
            insert into raw.rejected_records
            select ?, ?, record_index, reason, raw_text, now()
            from (
                select record_index, reject_reason as reason, left(doc::varchar, ?) as raw_text
                from classified where reject_reason is not null
                union all
                select record_index, ? as reason, left(line, ?) as raw_text from bad_lines
            )
            order by record_index
            """,
            params + [MAX_REJECTED_TEXT, file_reason or "not valid JSON", MAX_REJECTED_TEXT],
        ).fetchone()[0]
        for kind, table in LANDING_TABLES.items():
            result.landed += con.execute(
                f"""
                insert into {table}
                select ?, ?, record_index, record_hash, now(), doc
                from classified as c
                where c.reject_reason is null and c.kind = ?
                    and not exists (select 1 from {table} as t where t.record_hash = c.record_hash)
                qualify row_number() over (partition by record_hash order by record_index) = 1
                """,
                params + [kind],
            ).fetchone()[0]
        staged_count = con.execute("select count(*) from classified").fetchone()[0]
        bad_count = con.execute("select count(*) from bad_lines").fetchone()[0]
        result.records_in = staged_count + bad_count  # an unreadable file counts as one record
        result.duplicates = result.records_in - result.landed - result.rejected
        if file_reason is not None:
            result.status, result.message = "rejected", file_reason
        elif result.rejected:
            result.status = "partial"
        elif result.records_in == 0:
            result.status, result.message = "empty", "no JSON documents in file"
        con.execute(
            "insert into raw.loads values (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?)",
            params + [source_bytes, result.records_in, result.landed, result.duplicates,
                      result.rejected, started_at, result.status, result.message],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def rejected_details(con: duckdb.DuckDBPyConnection, load_id: int, limit: int) -> list[tuple]:
    return con.execute(
        "select record_index, reason from raw.rejected_records where load_id = ? "
        "order by record_index nulls first limit ?",
        [load_id, limit],
    ).fetchall()
