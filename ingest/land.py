"""Land files: stage their documents with DuckDB's JSON reader, then append them in one transaction."""

from __future__ import annotations

import gzip
import json
import logging
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from ingest.discover import Source
from ingest.schema import LANDING_TABLES, REJECTED_TABLE

log = logging.getLogger("ingest")

GZIP_MAGIC = b"\x1f\x8b"
MAX_OBJECT_BYTES = 32 << 20  # one document may be up to 32 MiB (the reader buffers twice that)
MAX_REJECTED_TEXT = 1 << 20  # raw text kept for a rejected record, at most 1 MiB
SMALL_FILE_BYTES = 8 << 20  # files up to this size are read many at a time ...
BATCH_FILES, BATCH_BYTES = 1000, 256 << 20  # ... in batches of at most this many files and bytes
BAD_LINES_COLUMNS = "file_index integer, record_index bigint, line varchar, reason varchar"
KNOWN_EVENTS = (
    "task_started", "task_updated", "task_completed", "task_deleted",
    "batch_started", "batch_completed", "batch_deleted",
)

# Every document read, with its hash (md5 of the minified JSON) and why it cannot land (NULL when it
# can), in one pass over `{source}`, which yields (file_index, record_index, doc). One parse gives the
# minified document and the fields checked (json_extract with a list of paths); keys are listed once
# more, only for events (duplicate keys: a key whose first position is earlier than its own; this
# lambda costs a third of list_distinct).
CLASSIFY_SELECT = """
with parsed as (
    select file_index, record_index, doc,
        json_extract(doc, ['$', '$.event', '$.task_id', '$.batch_id', '$.occurred_at']) as x
    from {source}
),

fields as (
    select file_index, record_index, doc, x[1]::varchar as minified, x[2] ->> '$' as event_name,
        x[3] ->> '$' as task_id, x[4] ->> '$' as batch_id, x[5] ->> '$' as occurred_at,
        case when x[2] is not null then json_keys(doc) end as keys
    from parsed
)
select file_index, record_index, doc, md5(minified) as record_hash,
    case
        when not starts_with(minified, '{')
            then 'not a JSON object (top-level ' || lower(json_type(minified)) || ')'
        when event_name is null then null
        when event_name not in KNOWN_EVENTS then 'unknown event ''' || event_name || ''''
        when len(list_filter(keys, (k, i) -> list_position(keys, k) < i)) > 0
            then 'duplicate key in object: ' || list_filter(keys, (k, i) -> list_position(keys, k) < i)[1]
        when event_name like 'task_%' and coalesce(task_id, '') = '' then event_name || ' has no task_id'
        when event_name like 'batch_%' and coalesce(batch_id, '') = '' then event_name || ' has no batch_id'
        when occurred_at is null then 'event has no occurred_at'
        when not regexp_full_match(occurred_at, '\\d{4}-\\d{2}-\\d{2}([T ].*)?')
            or try_cast(occurred_at as timestamptz) is null
            then 'occurred_at ''' || occurred_at || ''' is not an ISO-8601 timestamp'
    end as reject_reason,
    case when event_name is not null then 'event' else 'document' end as kind
from fields
""".replace("KNOWN_EVENTS", repr(KNOWN_EVENTS))
CLASSIFY_SQL = "create or replace temp table classified as" + CLASSIFY_SELECT
CLASSIFIED_COLUMNS = ("file_index integer, record_index bigint, doc json, record_hash varchar, "
                      "reject_reason varchar, kind varchar")


# One file read with DuckDB's reader (parameters: path, compression, maximum object size).
READER = "read_json_objects(?, format = 'auto', compression = ?, maximum_object_size = ?)"

# A file landed alone (NDJSON or one object) is read twice and its documents are never staged. The
# first read keeps only a hash of each document's text, in file order (DuckDB's JSON reader preserves
# insertion order while reading in parallel), so a document's record index is its rowid + 1. The
# second read finds each document's index by that hash, when the hashes tell all of the file's
# documents apart, and lands documents straight from the reader in a parallel pipeline: parse, md5,
# checks and compression on every core. The second read's buffers are sized to the file's largest
# document (see _index_documents).
INDEX_SQL = f"""
create or replace temp table record_ids as
select hash(json) as text_hash, strlen(json)::uinteger as text_bytes from {READER}
"""
INDEXED_SOURCE = f"""(
    select 0 as file_index, record_ids.rowid + 1 as record_index, read.json as doc
    from {READER} as read
    inner join record_ids on hash(read.json) = record_ids.text_hash
)"""
# Some document of the file (the first, as a rule): its kind is landed first.
FIRST_DOCUMENT_SOURCE = f"""(
    select 0 as file_index, 1::bigint as record_index, json as doc from {READER} limit 1
)"""
# DuckDB reads one JSON array on one thread, and every step in the same pipeline with it: an array's
# documents are staged as they are read (one cheap single-threaded pass), then landed from the staged
# table in a parallel pipeline.
STAGE_ARRAY_SQL = f"""
create or replace temp table array_documents as
select ordinality::bigint as record_index, json as doc from {READER} with ordinality
"""
ARRAY_SOURCE = "(select 0 as file_index, record_index, doc from array_documents)"
ARRAY_FIRST_DOCUMENT_SOURCE = ("(select 0 as file_index, record_index, doc from array_documents "
                               "where record_index = 1)")

# Append the documents of one kind that are not rejected ({first_only} keeps the first occurrence of
# each within the batch, when first_records is staged; {not_landed} leaves out those in the table
# already, see NOT_LANDED).
LAND_KIND_SQL = """
insert into {table}
select batch_files.load_id, batch_files.source_path, c.record_index, c.record_hash, now(), c.doc
from {documents} as c
inner join batch_files using (file_index)
{first_only}
{not_landed}
where c.reject_reason is null and c.kind = ?
"""
FIRST_ONLY = "semi join first_records using (file_index, record_index)"
# Only for staged documents, whose size DuckDB knows: it then builds the join from the smaller side.
# Beside a file read (_file_side_probes), the join would hold every hash of the table in memory, which
# grows with the history (5M events: out of memory at 512 MB); such a load appends its documents and
# then deletes those landed before (_drop_landed_before).
NOT_LANDED = "anti join {table} as landed on landed.record_hash = c.record_hash"


def _classify(con: duckdb.DuckDBPyConnection, source_sql: str, params: list) -> None:
    con.execute(CLASSIFY_SQL.replace("{source}", source_sql), params)


@contextmanager
def _file_side_probes(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While a statement reads a file and joins it with tables, build every hash join from its right
    side (record_ids, batch_files, a landing table's hashes), never from the file's documents.

    DuckDB estimates a JSON file at a few dozen rows, so its optimizer would swap the sides and hold
    the whole file in a hash table: slower, and it spills. Only the choice of sides changes, never the
    result. The setting is global: a failed statement aborts the transaction, which then refuses even
    RESET, so on an error _write resets it after its rollback.
    """
    con.execute("set disabled_optimizers = 'build_side_probe_side'")
    yield
    con.execute("reset disabled_optimizers")


def _rows_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[dict]) -> None:
    """Create temp table ``name`` (columns: name -> DuckDB type) holding ``rows``, passed as one JSON
    parameter: binding a Python list costs about 0.2 ms per element, a batch has up to 1,000 files."""
    con.execute(f"create or replace temp table {name} as "
                f"select unnest(from_json(?, '{json.dumps([columns])}'), recursive := true)",
                [json.dumps(rows)])


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


def _is_array(source: Source, compression: str) -> bool:
    """Whether the file's first character (after a byte-order mark and whitespace) opens an array.
    A head that does not decompress is no array: DuckDB's reader then says what is wrong with it."""
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(source.path, "rb") as handle:
            head = handle.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    except (OSError, EOFError, zlib.error):
        return False
    return head.startswith(b"[")


def _sniff(source: Source) -> tuple[str, str | None]:
    """Return (compression, file-level rejection reason or None)."""
    with open(source.path, "rb") as handle:
        head = handle.read(2)
    if head == GZIP_MAGIC:
        return "gzip", None
    if source.name.lower().endswith(".gz"):
        return "uncompressed", "file name ends in .gz but the content is not gzip-compressed"
    return "uncompressed", None


def _index_documents(con: duckdb.DuckDBPyConnection, reader_params: list) -> tuple[int, list] | None:
    """First read of the two-read path: DuckDB parses the whole file (one object or NDJSON) and
    stages record_ids. Returns how many documents the file holds and the second read's parameters,
    or None when two of them hash alike (the same text twice, or a collision): then the second read
    could not tell them apart.

    The reader holds buffers of twice its maximum object size per thread, beside the join with
    record_ids, which grows with the file's documents (5M events: out of memory at 512 MB with
    32 MiB objects). The second read's maximum is twice the largest document, at least 1 MiB.
    """
    con.execute(INDEX_SQL, reader_params)
    records, distinct, largest = con.execute(
        "select count(*), count(distinct text_hash), coalesce(max(text_bytes), 0) from record_ids").fetchone()
    if records != distinct:
        return None
    path, compression, max_object_bytes = reader_params
    return records, [path, compression, min(max_object_bytes, max(2 * largest, 1 << 20))]


def _stage_documents(con: duckdb.DuckDBPyConnection, reader_params: list) -> None:
    """One read: DuckDB parses the whole file and ``classified`` holds every document."""
    _classify(
        con,
        f"""(
            select 0 as file_index, ordinality::bigint as record_index, json as doc
            from {READER} with ordinality
        )""",
        reader_params,
    )


def _stage_many(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Small files: DuckDB parses them all in one scan (raises if any of them does not parse)."""
    paths = [str(s.path) for s in sources]
    _rows_table(con, "batch_paths", {"file_index": "INTEGER", "path": "VARCHAR"},
                [{"file_index": i, "path": path} for i, path in enumerate(paths)])
    _classify(
        con,
        """(
            select
                batch_paths.file_index,
                row_number() over (partition by read.filename order by read.ordinality) as record_index,
                read.json as doc
            from read_json_objects(from_json(?, '["VARCHAR"]'), format = 'auto', compression = 'auto_detect',
                                   filename = true, maximum_object_size = ?) with ordinality as read
            inner join batch_paths on read.filename = batch_paths.path
        )""",
        [json.dumps(paths), MAX_OBJECT_BYTES],
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

    Reads the file into memory (only broken files take this path). Good documents are classified
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
        _classify(
            con,
            """(
                select 0 as file_index, (?::bigint[])[ordinality] as record_index, json as doc
                from read_json_objects(?, format = 'newline_delimited', maximum_object_size = ?)
                    with ordinality
            )""",
            [[index for index, _ in good], salvaged.name, MAX_OBJECT_BYTES],
        )
    con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
    con.executemany("insert into bad_lines values (0, ?, ?, ?)", bad)
    return len(good)


def _read_raw_text(source: Source) -> str:
    with open(source.path, "rb") as handle:
        return handle.read(MAX_REJECTED_TEXT).decode("utf-8", errors="backslashreplace")


class BatchNotReadable(Exception):
    """DuckDB could not read the batch of small files in one scan: land them one by one."""


@dataclass
class Staged:
    """What land_batch staged: ``classified`` with every document, or a file's ``records_in``
    documents to be read as they land: from ``documents`` (SQL yielding file_index, record_index,
    doc; its parameters ``params``), whose ``first_document`` is read first."""
    file_reason: str | None = None  # why the whole file is rejected
    documents: str | None = None
    first_document: str = ""
    params: list | None = None
    records_in: int = 0
    path: str = ""


def _stage_one(con: duckdb.DuckDBPyConnection, source: Source) -> Staged:
    """Stage one file: its record index (to be read again) when DuckDB parses it, else what is
    salvaged of it, else the reason the whole file is rejected."""
    con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
    compression, file_reason = _sniff(source)
    if file_reason is None:
        reader_params = [str(source.path), compression, MAX_OBJECT_BYTES]
        try:
            if _is_array(source, compression):
                con.execute(STAGE_ARRAY_SQL, reader_params)
                (records_in,) = con.execute("select count(*) from array_documents").fetchone()
                return Staged(documents=ARRAY_SOURCE, first_document=ARRAY_FIRST_DOCUMENT_SOURCE, params=[],
                              records_in=records_in, path=str(source.path))
            indexed = _index_documents(con, reader_params)
            if indexed is not None:
                records_in, second_read_params = indexed
                return Staged(documents=INDEXED_SOURCE, first_document=FIRST_DOCUMENT_SOURCE,
                              params=second_read_params, records_in=records_in, path=str(source.path))
            _stage_documents(con, reader_params)
        except (duckdb.InvalidInputException, duckdb.ConversionException) as err:  # not JSON
            parse_error = str(err).splitlines()[0]
            try:
                if _stage_salvaged(con, source, compression) == 0:
                    file_reason = parse_error
            except (duckdb.Error, UnicodeDecodeError, EOFError, OSError) as salvage_err:
                file_reason = f"{parse_error}; {str(salvage_err).splitlines()[0]}"
    if file_reason is not None:
        con.execute(f"create or replace temp table classified ({CLASSIFIED_COLUMNS})")
        con.execute("insert into bad_lines values (0, null, ?, ?)", [_read_raw_text(source), file_reason])
    return Staged(file_reason=file_reason)


def is_batchable(source: Source) -> bool:
    """A small file whose compression its name tells: it can share one scan with others."""
    if source.is_spooled:
        return False
    compression, file_reason = _sniff(source)
    return (file_reason is None and source.path.stat().st_size <= SMALL_FILE_BYTES
            and (compression == "gzip") == source.name.lower().endswith(".gz"))


def land_batch(con: duckdb.DuckDBPyConnection, sources: list[Source],
               labels: dict[str, str] | None = None) -> list[LoadResult]:
    """Land files (one, or several small ones read in one scan): each gets its own load, registered
    as running (committed), then all their rows are written and the loads finished in one
    transaction. A failure marks the loads failed; nothing of them is visible either way."""
    if len(sources) == 1:
        staged = _stage_one(con, sources[0])
    else:
        try:
            _stage_many(con, sources)
        except duckdb.Error as err:
            raise BatchNotReadable(str(err)) from err
        con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
        staged = Staged()
    load_ids = sorted(load_id for (load_id,) in con.execute(
        "select nextval('raw.load_id_seq') from range(?)", [len(sources)]).fetchall())
    _rows_table(con, "batch_files",
                {"file_index": "INTEGER", "load_id": "BIGINT", "source_path": "VARCHAR",
                 "source_bytes": "BIGINT"},
                [{"file_index": i, "load_id": load_id, "source_path": source.name,
                  "source_bytes": source.path.stat().st_size}
                 for i, (load_id, source) in enumerate(zip(load_ids, sources))])
    con.execute("insert into raw.loads select load_id, source_path, source_bytes, 0, 0, 0, 0, now(), "
                "null, 'running', null, map(?::varchar[], ?::varchar[]) from batch_files",
                [list(labels or {}), list((labels or {}).values())])
    try:
        return _write(con, sources, load_ids, staged)
    except BaseException as err:
        con.execute("update raw.loads set status = 'failed', message = ? where load_id in "
                    "(select load_id from batch_files)", [f"{type(err).__name__}: {err}"[:2000]])
        raise


def _write(con: duckdb.DuckDBPyConnection, sources: list[Source], load_ids: list[int],
           staged: Staged) -> list[LoadResult]:
    con.execute("begin transaction")
    try:
        if staged.documents is not None:
            counts = _land_read_again(con, load_ids[0], staged)
        else:
            counts = _land_classified(con, load_ids)
        results = []
        for source, (load_id, records_in, landed, rejected) in zip(sources, counts):
            result = LoadResult(source=source.name, load_id=load_id, records_in=records_in,
                                landed=landed, rejected=rejected,
                                duplicates=records_in - landed - rejected)
            if staged.file_reason is not None:
                result.status, result.message = "rejected", staged.file_reason
            elif rejected:
                result.status = "partial"
            elif records_in == 0:
                result.status, result.message = "empty", "no JSON documents in file"
            results.append(result)
        _rows_table(con, "load_results",
                    {"load_id": "BIGINT", "records_in": "BIGINT", "records_landed": "BIGINT",
                     "duplicates_skipped": "BIGINT", "records_rejected": "BIGINT", "status": "VARCHAR",
                     "message": "VARCHAR"},
                    [{"load_id": r.load_id, "records_in": r.records_in, "records_landed": r.landed,
                      "duplicates_skipped": r.duplicates, "records_rejected": r.rejected, "status": r.status,
                      "message": r.message} for r in results])
        con.execute(
            """
            update raw.loads set records_in = r.records_in, records_landed = r.records_landed,
                duplicates_skipped = r.duplicates_skipped, records_rejected = r.records_rejected,
                finished_at = now(), status = r.status, message = r.message
            from load_results as r
            where raw.loads.load_id = r.load_id
            """
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        con.execute("reset disabled_optimizers")  # still set if a _file_side_probes statement failed
        raise
    return results


def _land_read_again(con: duckdb.DuckDBPyConnection, load_id: int, staged: Staged) -> list[tuple]:
    """Land one file's documents as they are read (again, see INDEX_SQL, or from an array's staged
    documents, see STAGE_ARRAY_SQL); return its counts.

    The usual file holds documents of one kind only, none rejected: the kind of its first document
    is appended in one statement, and when that appends every document, only repeats within the file
    and documents landed before are left to delete. Otherwise the file is classified without the
    documents (a third read), its rejects recorded, later repeats of the first kind removed and the
    other kind appended from one more read, then documents landed before deleted.
    """
    params = staged.params
    first = con.execute(f"select kind from ({CLASSIFY_SELECT.replace('{source}', staged.first_document)})",
                        params).fetchone()
    first_kind = first[0] if first else "document"
    indexed = f"({CLASSIFY_SELECT.replace('{source}', staged.documents)})"
    table = LANDING_TABLES[first_kind]
    with _file_side_probes(con):
        (appended,) = con.execute(
            LAND_KIND_SQL.format(table=table, documents=indexed, first_only="", not_landed=""),
            params + [first_kind]).fetchone()
    if appended == staged.records_in:
        # record indexes run from 1 to records_in (see INDEXED_SOURCE), so one bit each counts them;
        # repeats within the file share a record_hash: counting hash(record_hash) is cheaper and never
        # misses one (a collision only costs the exact delete below, which counts the true repeats)
        indexes, hashes = con.execute(f"""
            select coalesce(bit_count(bitstring_agg(record_index, 1, ?)), 0),
                count(distinct hash(record_hash))
            from {table} where load_id = ?
        """, [staged.records_in, load_id]).fetchone()
        _check_unchanged(staged.path, staged.records_in, appended, indexes)
        repeats = 0
        if hashes < appended:
            (repeats,) = con.execute(f"""
                delete from {table} where load_id = ? and record_index in (
                    select record_index from {table} where load_id = ?
                    qualify row_number() over (partition by record_hash order by record_index) > 1)
            """, [load_id, load_id]).fetchone()
        landed_before = _drop_landed_before(con, table, load_id)
        return [(load_id, staged.records_in, appended - repeats - landed_before, 0)]

    with _file_side_probes(con):
        con.execute(f"""
            create or replace temp table classified as
            select file_index, record_index, case when reject_reason is not null then doc end as doc,
                record_hash, reject_reason, kind
            from {indexed}
        """, params)
    _check_unchanged(staged.path, staged.records_in,
                     *con.execute("select count(*), count(distinct record_index) from classified").fetchone())
    _record_rejects_and_first_records(con)
    con.execute(f"delete from {table} where load_id = ? and record_index not in "
                "(select record_index from first_records)", [load_id])
    for kind, other_table in LANDING_TABLES.items():
        if kind != first_kind and con.execute(
                "select count(*) from classified where reject_reason is null and kind = ?",
                [kind]).fetchone()[0]:
            with _file_side_probes(con):
                con.execute(LAND_KIND_SQL.format(table=other_table, documents=indexed, first_only=FIRST_ONLY,
                                                 not_landed=""), params + [kind])
    for kind_table in LANDING_TABLES.values():
        _drop_landed_before(con, kind_table, load_id)
    return _counts(con, [load_id])


def _drop_landed_before(con: duckdb.DuckDBPyConnection, table: str, load_id: int) -> int:
    """Delete the documents of load ``load_id`` that other loads of ``table`` landed; return how many.
    The join is built from this load's hashes, so its memory follows the file, not the history."""
    (deleted,) = con.execute(f"""
        delete from {table} where load_id = ? and record_hash in (
            select record_hash from {table} where load_id <> ?)
    """, [load_id, load_id]).fetchone()
    return deleted


class FileChanged(OSError):
    """A file read again no longer holds every document of its first read."""


def _check_unchanged(path: str, records_in: int, documents: int, indexes: int) -> None:
    """Fail the load unless the second read matched each of the first read's ``records_in`` documents
    once (``documents`` rows, ``indexes`` distinct record indexes). Documents the first read did not
    see are left out, as if written after it."""
    if not documents == indexes == records_in:
        raise FileChanged(f"{path}: the file changed while it was being landed ({records_in} documents "
                          f"at the first read, {documents} matching at the second)")


def _record_rejects_and_first_records(con: duckdb.DuckDBPyConnection) -> None:
    """Append the batch's rejects (``classified`` and ``bad_lines``); stage ``first_records``."""
    con.execute(
        f"""
        insert into {REJECTED_TABLE}
        select batch_files.load_id, batch_files.source_path, rejects.record_index,
            rejects.reason, left(rejects.raw_text, ?), now()
        from (
            select file_index, record_index, reject_reason as reason, doc::varchar as raw_text
            from classified where reject_reason is not null
            union all
            select file_index, record_index, reason, line from bad_lines
        ) as rejects
        inner join batch_files using (file_index)
        order by rejects.file_index, rejects.record_index
        """,
        [MAX_REJECTED_TEXT],
    )
    # a document repeated within the batch lands once, first occurrence (found without the payload)
    con.execute("""
        create or replace temp table first_records as
        select file_index, record_index from classified where reject_reason is null
        qualify row_number() over (partition by record_hash order by file_index, record_index) = 1
    """)


def _land_classified(con: duckdb.DuckDBPyConnection, load_ids: list[int]) -> list[tuple]:
    """Land the documents staged in ``classified``; return each load's counts."""
    _record_rejects_and_first_records(con)
    for kind, table in LANDING_TABLES.items():
        con.execute(LAND_KIND_SQL.format(table=table, documents="classified", first_only=FIRST_ONLY,
                                         not_landed=NOT_LANDED.format(table=table)), [kind])
    return _counts(con, load_ids)


def _counts(con: duckdb.DuckDBPyConnection, load_ids: list[int]) -> list[tuple]:
    """(load_id, records_in, landed, rejected) of each file of the batch, in file order."""
    landed_union = " union all ".join(
        f"select load_id from {table} where load_id between ? and ?"
        for table in LANDING_TABLES.values())
    return con.execute(
        f"""
        with records as (
            select file_index, count(*) as records_in,
                count(*) filter (where reject_reason is not null) as rejected
            from (select file_index, reject_reason from classified
                  union all select file_index, reason from bad_lines)
            group by file_index
        ),
        landed as (
            select load_id, count(*) as landed from ({landed_union}) group by load_id
        )
        select batch_files.load_id,
            coalesce(records.records_in, 0), coalesce(landed.landed, 0),
            coalesce(records.rejected, 0)
        from batch_files
        left join records using (file_index)
        left join landed using (load_id)
        order by batch_files.file_index
        """,
        [min(load_ids), max(load_ids)] * len(LANDING_TABLES),
    ).fetchall()


def rejected_details(con: duckdb.DuckDBPyConnection, load_id: int, limit: int) -> list[tuple]:
    return con.execute(
        "select record_index, reason from raw.rejected_records where load_id = ? "
        "order by record_index nulls first limit ?",
        [load_id, limit],
    ).fetchall()


LANDED_TABLES = (*LANDING_TABLES.values(), REJECTED_TABLE)


def recover_interrupted_loads(con: duckdb.DuckDBPyConnection) -> int:
    """Remove the rows of loads that never finished; return how many rows were removed.

    Only one process writes at a time, so when ingest starts, a load still ``running`` was cut off
    (the process killed). Its rows are invisible already (the raw views show finished loads only);
    they are deleted here so that landing the same file again stores them exactly once, and the load
    is marked ``interrupted``. DuckDB may replay a commit cut off midway partly, so the newest
    finished load's rows are also counted against its accounting.
    """
    finished = "select load_id from raw.loads where finished_at is not null"
    con.execute("begin transaction")
    try:
        newest = con.execute(
            "select load_id, records_landed, records_rejected from raw.loads "
            "where finished_at is not null order by load_id desc limit 1").fetchone()
        if newest is not None:
            load_id, landed, rejected = newest
            counted = [con.execute(f"select count(*) from {table} where load_id = ?",
                                   [load_id]).fetchone()[0] for table in LANDED_TABLES]
            if sum(counted[:-1]) != landed or counted[-1] != rejected:
                con.execute("update raw.loads set finished_at = null, status = 'running' "
                            "where load_id = ?", [load_id])
        removed = sum(
            con.execute(f"delete from {table} where load_id not in ({finished})").fetchone()[0]
            for table in LANDED_TABLES)
        interrupted = con.execute(
            "update raw.loads set status = 'interrupted', message = 'the ingest process stopped "
            "before this load finished; none of its rows were kept' "
            "where finished_at is null and status = 'running' returning load_id").fetchall()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for (load_id,) in interrupted:
        log.warning("load %d was interrupted before it finished: removed its rows; "
                    "land its file again", load_id)
    return removed
