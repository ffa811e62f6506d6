"""Land one file: stage its documents with DuckDB's JSON reader, then append them in one transaction."""

from __future__ import annotations

import gzip
import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from ingest.discover import Source
from ingest.schema import LANDING_TABLES

log = logging.getLogger("ingest")

GZIP_MAGIC = b"\x1f\x8b"
MAX_OBJECT_BYTES = 1 << 30  # one document may be up to 1 GiB (long strings must land)
MAX_REJECTED_TEXT = 1 << 20  # raw text kept for a rejected record, at most 1 MiB
BAD_LINES_COLUMNS = "record_index bigint, line varchar, reason varchar"
KNOWN_EVENTS = (
    "task_started", "task_updated", "task_completed", "task_deleted",
    "batch_started", "batch_completed", "batch_deleted",
)

# Why a staged document cannot land; NULL when it can. Checked in SQL, for every record at once.
REJECT_REASON_SQL = f"""
case
    when json_type(doc) <> 'OBJECT'
        then 'not a JSON object (top-level ' || lower(json_type(doc)) || ')'
    when len(json_keys(doc)) <> len(list_distinct(json_keys(doc)))
        then 'duplicate key in object: '
            || list_filter(json_keys(doc), (k, i) -> list_position(json_keys(doc), k) < i)[1]
    when not json_exists(doc, '$.event') then null
    when json_type(doc, '$.event') <> 'VARCHAR' then 'event name is not a string'
    when doc ->> '$.event' not in {KNOWN_EVENTS!r}
        then 'unknown event ''' || (doc ->> '$.event') || ''''
    when doc ->> '$.event' like 'task_%' and coalesce(doc ->> '$.task_id', '') = ''
        then (doc ->> '$.event') || ' has no task_id'
    when doc ->> '$.event' like 'batch_%' and coalesce(doc ->> '$.batch_id', '') = ''
        then (doc ->> '$.event') || ' has no batch_id'
    when doc ->> '$.occurred_at' is null then 'event has no occurred_at'
    when not regexp_full_match(doc ->> '$.occurred_at', '\\d{{4}}-\\d{{2}}-\\d{{2}}([T ].*)?')
        or try_cast(doc ->> '$.occurred_at' as timestamptz) is null
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


def _scan_documents(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """Split text that DuckDB could not parse into good (record_index, text) objects and bad
    (record_index, text, reason) records.

    Consecutive JSON values are decoded one after another, whatever the line breaks; a value that
    does not decode, or is not an object, is rejected up to the end of its line and scanning resumes
    on the next line.
    The elements of a top-level array are taken one by one, so a truncated array keeps its
    complete elements.
    """
    decoder = json.JSONDecoder()
    good: list[tuple[int, str]] = []
    bad: list[tuple[int, str, str]] = []
    pos, index, in_array = 0, 0, False
    stripped = text.lstrip()
    if stripped.startswith("["):
        pos, in_array = len(text) - len(stripped) + 1, True
    while True:
        while pos < len(text) and (text[pos].isspace() or (in_array and text[pos] in ",]")):
            pos += 1
        if pos >= len(text):
            return good, bad
        index += 1
        try:
            value, end = decoder.raw_decode(text, pos)
            reason = None if isinstance(value, dict) else "not a JSON object"
        except json.JSONDecodeError as err:
            reason = f"not valid JSON: {err.msg}"
        if reason is None:
            good.append((index, text[pos:end]))
        else:
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            bad.append((index, text[pos:end], reason))
        pos = end


def _stage_salvaged(con: duckdb.DuckDBPyConnection, source: Source, compression: str) -> int:
    """Slow path, only after DuckDB's reader failed: keep every document that parses on its own.

    Reads the file into memory (only broken files take this path). Good documents go to ``staged``
    through DuckDB's reader again, so their hashes equal a clean load's; the rest go to ``bad_lines``.
    Returns how many documents were good; 0 means the caller rejects the file whole.
    """
    opener = gzip.open if compression == "gzip" else open
    with opener(source.path, "rb") as handle:
        text = handle.read().decode("utf-8-sig")  # UnicodeDecodeError: not UTF-8, rejected whole
    good, bad = _scan_documents(text)
    if len(good) < len(bad):
        return 0  # mostly unparseable (e.g. one truncated pretty-printed document): reject whole
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", encoding="utf-8") as salvaged:
        # JSON strings cannot hold raw line breaks, so this only reflows whitespace
        salvaged.writelines(doc.replace("\r", " ").replace("\n", " ") + "\n" for _, doc in good)
        salvaged.flush()
        con.execute(
            """
            create or replace temp table staged as
            select (?::bigint[])[ordinality] as record_index, json as doc
            from read_json_objects(?, format = 'newline_delimited', maximum_object_size = ?)
                with ordinality
            """,
            [[index for index, _ in good], salvaged.name, MAX_OBJECT_BYTES],
        )
    con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
    con.executemany("insert into bad_lines values (?, ?, ?)", bad)
    return len(good)


def _read_raw_text(source: Source) -> str:
    with open(source.path, "rb") as handle:
        return handle.read(MAX_REJECTED_TEXT).decode("utf-8", errors="backslashreplace")


def land(con: duckdb.DuckDBPyConnection, source: Source) -> LoadResult:
    result = LoadResult(source=source.name)
    started_at = datetime.now(timezone.utc)
    source_bytes = source.path.stat().st_size
    compression, file_reason = _sniff(source)
    con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
    if file_reason is None:
        try:
            _stage_documents(con, source, compression)
        except duckdb.Error as err:
            parse_error = str(err).splitlines()[0]
            try:
                if _stage_salvaged(con, source, compression) == 0:
                    file_reason = parse_error
            except (duckdb.Error, UnicodeDecodeError, EOFError, OSError) as salvage_err:
                file_reason = f"{parse_error}; {str(salvage_err).splitlines()[0]}"
    if file_reason is not None:
        con.execute("create or replace temp table staged (record_index bigint, doc json)")
        con.execute("insert into bad_lines values (null, ?, ?)", [_read_raw_text(source), file_reason])

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
                select record_index, reason, left(line, ?) as raw_text from bad_lines
            )
            order by record_index
            """,
            params + [MAX_REJECTED_TEXT, MAX_REJECTED_TEXT],
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
