"""Land files: stage their documents with DuckDB's JSON reader, then append them in one transaction."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.classify import BAD_LINES_COLUMNS, CLASSIFIED_COLUMNS, CLASSIFY_SELECT, classify
from ingest.discover import Source
from ingest.reader import MAX_OBJECT_BYTES, content_bytes, is_array, literal_path, read_head, sniff
from ingest.salvage import stage_salvaged
from ingest.schema import LANDING_TABLES, REJECTED_TABLE

log = logging.getLogger("ingest")

MAX_REJECTED_TEXT = 1 << 20  # raw text kept for a rejected record, at most 1 MiB
SMALL_FILE_BYTES = 8 << 20  # files up to this size are read many at a time ...
BATCH_FILES, BATCH_BYTES = 1000, 256 << 20  # ... in batches of at most this many files and bytes
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
    select 0 as file_index, record_ids.{{record_index}} as record_index, read.json as doc
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
        if self.status == "rejected":  # the reason is on the line before, as the whole file's rejection
            return f"{self.source}: load {self.load_id}: rejected whole, nothing landed"
        text = (f"{self.source}: load {self.load_id}: {self.records_in} records, {self.landed} landed, "
                f"{self.duplicates} duplicates skipped, {self.rejected} rejected")
        return text + (f" ({self.message})" if self.message else "")


def _index_documents(con: duckdb.DuckDBPyConnection, path: Path, reader_params: list) -> Staged | None:
    """First read of the two-read path: DuckDB parses the whole file (one object or NDJSON) and
    stages record_ids. Returns what the second read lands (how many documents, with its
    parameters), or None when two of them hash alike (the same text twice, or a collision): then the second read
    could not tell them apart.

    The reader holds buffers of twice its maximum object size per thread (see ingest.reader), beside
    the join with record_ids, which grows with the file's documents. The second read's maximum is
    twice the largest document, at least 1 MiB. When the documents and one line break each do not
    add up to the file's size, the file has blank lines (or several lines per document): record_ids
    then gets each document's line (see _number_lines).
    """
    con.execute(INDEX_SQL, reader_params)
    records, distinct, largest, text_bytes = con.execute(
        "select count(*), count(distinct text_hash), coalesce(max(text_bytes), 0), "
        "coalesce(sum(text_bytes), 0) from record_ids").fetchone()
    if records != distinct:
        return None
    reader_path, compression, max_object_bytes = reader_params
    documents, max_index = INDEXED_SOURCE.format(record_index="rowid + 1"), records
    if not _is_one_per_line(records, text_bytes, path, compression):
        _number_lines(con, "record_ids", "rowid + 1", path, compression, records)
        documents = INDEXED_SOURCE.format(record_index="record_index")
        (max_index,) = con.execute("select max(record_index) from record_ids").fetchone()
    return Staged(documents=documents, first_document=FIRST_DOCUMENT_SOURCE,
                  params=[reader_path, compression, min(max_object_bytes, max(2 * largest, 1 << 20))],
                  records_in=records, max_index=max_index, path=str(path))


def _is_one_per_line(records: int, text_bytes: int, path: Path, compression: str) -> bool:
    """Whether the documents' texts and one line break after each (the last one's optional) make up
    the whole file: then document n is on line n."""
    return records <= 1 or content_bytes(path, compression) - text_bytes in (records, records - 1)


# Each non-blank line's number, in order (for files with one document per line).
LINE_NUMBERS = """
select row_number() over (order by ordinality) as position, ordinality as line_no
from read_csv(?, columns = {'line': 'varchar'}, header = false, auto_detect = false, delim = '', quote = '',
              escape = '', strict_mode = false, compression = ?, max_line_size = ?, buffer_size = ?)
    with ordinality
where trim(coalesce(line, ''), ' \t\r') <> ''
"""


def _number_lines(con: duckdb.DuckDBPyConnection, table: str, position: str, path: Path, compression: str,
                  records: int, where: str = "true") -> None:
    """Give ``table`` (its rows ``where``) a record_index column: the line of each document, when the
    file's non-blank lines are its ``records`` documents; else the document's position."""
    con.execute("create or replace temp table file_lines as" + LINE_NUMBERS,
                [literal_path(path), compression, MAX_OBJECT_BYTES * 2, MAX_OBJECT_BYTES * 4])
    (lines,) = con.execute("select count(*) from file_lines").fetchone()
    line_no = "file_lines.line_no" if lines == records else "file_lines.position"
    con.execute(f"alter table {table} add column if not exists record_index bigint")
    con.execute(f"update {table} set record_index = {line_no} from file_lines "
                f"where {where} and file_lines.position = {table}.{position}")


def _stage_documents(con: duckdb.DuckDBPyConnection, path: Path, reader_params: list) -> None:
    """One read: DuckDB parses the whole file and ``classified`` holds every document."""
    classify(
        con,
        f"""(
            select 0 as file_index, ordinality::bigint as record_index, json as doc
            from {READER} with ordinality
        )""",
        reader_params,
    )
    compression = reader_params[1]
    records, text_bytes = con.execute("select count(*), coalesce(sum(strlen(doc)), 0) from classified").fetchone()
    if not _is_one_per_line(records, text_bytes, path, compression):
        _number_lines(con, "classified", "record_index", path, compression, records)


def _stage_many(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Small files: DuckDB parses them all in one scan (raises if any of them does not parse). A
    file named twice is read once: its second load finds only duplicates."""
    paths = [str(s.path) for s in sources]
    _rows_table(con, "batch_paths", {"file_index": "INTEGER", "path": "VARCHAR"},
                [{"file_index": i, "path": path} for i, path in enumerate(paths)])
    classify(
        con,
        """(
            select batch_paths.file_index, read.record_index, read.doc
            from (
                select filename, json as doc,
                    row_number() over (partition by filename order by ordinality) as record_index
                from read_json_objects(from_json(?, '["VARCHAR"]'), format = 'auto', compression = 'auto_detect',
                                       filename = true, maximum_object_size = ?) with ordinality
            ) as read
            inner join batch_paths on read.filename = batch_paths.path
        )""",
        [json.dumps([literal_path(path) for path in dict.fromkeys(paths)]), MAX_OBJECT_BYTES],
    )
    sizes = con.execute("select file_index, count(*), sum(strlen(doc)) from classified group by file_index "
                        "having count(*) > 1").fetchall()
    for file_index, records, text_bytes in sizes:
        path = sources[file_index].path
        compression = sniff(sources[file_index])[0]
        if not _is_one_per_line(records, text_bytes, path, compression):
            _number_lines(con, "classified", "record_index", path, compression, records,
                          where=f"classified.file_index = {int(file_index)}")


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
    message: str | None = None  # what the load says besides its counts
    documents: str | None = None
    first_document: str = ""
    params: list | None = None
    records_in: int = 0
    max_index: int = 0  # the largest record index (the last line, when they are lines)
    path: str = ""


def _stage_one(con: duckdb.DuckDBPyConnection, source: Source) -> Staged:
    """Stage one file: its record index (to be read again) when DuckDB parses it, else what is
    salvaged of it, else the reason the whole file is rejected."""
    con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
    compression, file_reason = sniff(source)
    message = None
    if file_reason is None:
        reader_params = [literal_path(source.path), compression, MAX_OBJECT_BYTES]
        array = is_array(source, compression)
        try:
            if array:
                con.execute(STAGE_ARRAY_SQL, reader_params)
                (records_in,) = con.execute("select count(*) from array_documents").fetchone()
                return Staged(documents=ARRAY_SOURCE, first_document=ARRAY_FIRST_DOCUMENT_SOURCE, params=[],
                              records_in=records_in, max_index=records_in, path=str(source.path))
            indexed = _index_documents(con, source.path, reader_params)
            if indexed is not None:
                return indexed
            _stage_documents(con, source.path, reader_params)
        except (duckdb.InvalidInputException, duckdb.ConversionException) as err:  # not JSON
            file_reason, message = _salvage(con, source, compression, array, str(err).splitlines()[0])
    if file_reason is not None:  # one rejection, of the whole file, and nothing else
        con.execute(f"create or replace temp table classified ({CLASSIFIED_COLUMNS})")
        con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
        con.execute("insert into bad_lines values (0, null, ?, ?)", [_read_raw_text(source), file_reason])
    return Staged(file_reason=file_reason, message=message)


def _salvage(con: duckdb.DuckDBPyConnection, source: Source, compression: str, array: bool,
             parse_error: str) -> tuple[str | None, str | None]:
    """Stage what lands of a file DuckDB's reader refused (see ingest.salvage). Returns (why the
    whole file is rejected, or None; what the load says, or None)."""
    try:
        salvaged = stage_salvaged(con, source.path, compression, array, MAX_REJECTED_TEXT)
    except duckdb.Error as err:  # not UTF-8 text, for one
        return f"{parse_error}; {str(err).splitlines()[0]}", None
    if not salvaged.good:
        return salvaged.message or _not_json_reason(source, compression) or parse_error, None
    if salvaged.message is not None:  # a cut-off gzip stream: what it lost is one rejection
        con.execute("insert into bad_lines values (0, null, '', ?)", [salvaged.message])
    return None, salvaged.message


def _not_json_reason(source: Source, compression: str) -> str | None:
    """Why a file is not JSON at all (its first bytes, shown safely), or None if it starts like JSON."""
    head = read_head(source.path, compression).removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head or head[:1] in b'{["-0123456789tfn':
        return None
    shown = head[:40].decode("utf-8", errors="backslashreplace")
    return f"not a JSON file: it starts with {shown!r}"


def is_batchable(source: Source) -> bool:
    """A small file whose compression its name tells: it can share one scan with others."""
    if source.is_spooled:
        return False
    compression, file_reason = sniff(source)
    return (file_reason is None and source.path.stat().st_size <= SMALL_FILE_BYTES
            and (compression == "gzip") == source.name.lower().endswith(".gz"))


def land_batch(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> list[LoadResult]:
    """Land files (one, or several small ones read in one scan): each gets its own load, registered
    as running (committed), then all their rows are written and the loads finished in one
    transaction. A failure marks the loads failed; nothing of them is visible either way."""
    started_at = _now()
    if len(sources) == 1:
        staged = _stage_one(con, sources[0])
    else:
        try:
            _stage_many(con, sources)
        except duckdb.Error as err:
            raise BatchNotReadable(str(err)) from err
        con.execute(f"create or replace temp table bad_lines ({BAD_LINES_COLUMNS})")
        staged = Staged()
    load_ids = _register_loads(con, sources, started_at)
    try:
        return _write(con, sources, load_ids, staged)
    except BaseException as err:
        _mark_failed(con, f"{type(err).__name__}: {err}")
        raise


def _now() -> datetime:
    """The wall clock (DuckDB's now() is the start of the current transaction)."""
    return datetime.now(timezone.utc)


def _register_loads(con: duckdb.DuckDBPyConnection, sources: list[Source], started_at: datetime) -> list[int]:
    """Register one ``running`` load per file (committed); ``batch_files`` maps each file of the
    batch to its load. Returns the load ids, in file order."""
    load_ids = sorted(load_id for (load_id,) in con.execute(
        "select nextval('raw.load_id_seq') from range(?)", [len(sources)]).fetchall())
    _rows_table(con, "batch_files",
                {"file_index": "INTEGER", "load_id": "BIGINT", "source_path": "VARCHAR",
                 "source_bytes": "BIGINT"},
                [{"file_index": i, "load_id": load_id, "source_path": source.name,
                  "source_bytes": source.path.stat().st_size}
                 for i, (load_id, source) in enumerate(zip(load_ids, sources))])
    con.execute("""
        insert into raw.loads (load_id, source_path, source_bytes, records_in, records_landed,
            duplicates_skipped, records_rejected, started_at, finished_at, status, message)
        select load_id, source_path, source_bytes, 0, 0, 0, 0, ?, null, 'running', null from batch_files
    """, [started_at])
    return load_ids


def _mark_failed(con: duckdb.DuckDBPyConnection, message: str) -> None:
    """Record why the batch's loads failed. When even that cannot be written (the disk is full, the
    database invalidated), they stay ``running`` and the next ingest marks them ``interrupted``;
    the caller reports the error either way."""
    try:
        con.execute("update raw.loads set status = 'failed', message = ? where load_id in "
                    "(select load_id from batch_files)", [message[:2000]])
    except duckdb.Error as err:
        log.warning("could not record the failure in raw.loads: %s", str(err).splitlines()[0])


def _write(con: duckdb.DuckDBPyConnection, sources: list[Source], load_ids: list[int],
           staged: Staged) -> list[LoadResult]:
    con.execute("begin transaction")
    try:
        if staged.documents is not None:
            counts = _land_read_again(con, load_ids[0], staged)
        else:
            counts = _land_classified(con, load_ids)
        results = [_result(source, staged, *load_counts) for source, load_counts in zip(sources, counts)]
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


def _result(source: Source, staged: Staged, load_id: int, records_in: int, landed: int,
            rejected: int) -> LoadResult:
    result = LoadResult(source=source.name, load_id=load_id, records_in=records_in, landed=landed,
                        rejected=rejected, duplicates=records_in - landed - rejected, message=staged.message)
    if staged.file_reason is not None:
        result.status, result.message = "rejected", staged.file_reason
    elif rejected:
        result.status = "partial"
    elif records_in == 0:
        result.status, result.message = "empty", "no JSON documents in file"
    return result


def _finish_loads(con: duckdb.DuckDBPyConnection, results: list[LoadResult]) -> None:
    """Write each load's counts and status, and its finish: the time its rows were all written."""
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
            finished_at = ?, status = r.status, message = r.message
        from load_results as r
        where raw.loads.load_id = r.load_id
        """,
        [_now()],
    )


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
        # record indexes run from 1 to max_index (see INDEXED_SOURCE), so one bit each counts them;
        # repeats within the file share a record_hash: counting hash(record_hash) is cheaper and never
        # misses one (a collision only costs the exact delete below, which counts the true repeats)
        indexes, hashes = con.execute(f"""
            select coalesce(bit_count(bitstring_agg(record_index, 1, ?)), 0),
                count(distinct hash(record_hash))
            from {table} where load_id = ?
        """, [staged.max_index, load_id]).fetchone()
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
