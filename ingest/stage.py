"""Stage a batch for landing: a file's record index to be read again (see ingest.append), or every
document of a batch of small files in ``classified``, or what salvage keeps of a broken file, or the
reason a whole file is rejected."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.classify import BAD_LINES_COLUMNS, CLASSIFIED_COLUMNS, classify
from ingest.connect import one_row
from ingest.discover import Source
from ingest.options import IngestOptions
from ingest.reader import MAX_OBJECT_BYTES, content_bytes, is_array, literal_path, read_head, sniff
from ingest.salvage import stage_salvaged
from ingest.schema import rows_table

MAX_REJECTED_TEXT = 1 << 20  # raw text kept for a rejected record, at most 1 MiB
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
ARRAY_FIRST_DOCUMENT_SOURCE = "(select 0 as file_index, record_index, doc from array_documents where record_index = 1)"


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
    records, distinct, largest, text_bytes = one_row(
        con.execute(
            "select count(*), count(distinct text_hash), coalesce(max(text_bytes), 0), "
            "coalesce(sum(text_bytes), 0) from record_ids"
        )
    )
    if records != distinct:
        return None
    reader_path, compression, max_object_bytes = reader_params
    documents, max_index = INDEXED_SOURCE.format(record_index="rowid + 1"), records
    if not _is_one_per_line(records, text_bytes, path, compression):
        _number_lines(con, "record_ids", "rowid + 1", path, compression, records)
        documents = INDEXED_SOURCE.format(record_index="record_index")
        (max_index,) = one_row(con.execute("select max(record_index) from record_ids"))
    return Staged(
        documents=documents,
        first_document=FIRST_DOCUMENT_SOURCE,
        params=[reader_path, compression, min(max_object_bytes, max(2 * largest, 1 << 20))],
        records_in=records,
        max_index=max_index,
        path=str(path),
    )


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


def _number_lines(
    con: duckdb.DuckDBPyConnection,
    table: str,
    position: str,
    path: Path,
    compression: str,
    records: int,
    where: str = "true",
) -> None:
    """Give ``table`` (its rows ``where``) a record_index column: the line of each document, when the
    file's non-blank lines are its ``records`` documents; else the document's position."""
    con.execute(
        "create or replace temp table file_lines as" + LINE_NUMBERS,
        [literal_path(path), compression, MAX_OBJECT_BYTES * 2, MAX_OBJECT_BYTES * 4],
    )
    (lines,) = one_row(con.execute("select count(*) from file_lines"))
    line_no = "file_lines.line_no" if lines == records else "file_lines.position"
    con.execute(f"alter table {table} add column if not exists record_index bigint")
    con.execute(
        f"update {table} set record_index = {line_no} from file_lines "
        f"where {where} and file_lines.position = {table}.{position}"
    )


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
    records, text_bytes = one_row(con.execute("select count(*), coalesce(sum(strlen(doc)), 0) from classified"))
    if not _is_one_per_line(records, text_bytes, path, compression):
        _number_lines(con, "classified", "record_index", path, compression, records)


def stage_many(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """Small files: DuckDB parses them all in one scan (raises if any of them does not parse). A
    file named twice is read once: its second load finds only duplicates."""
    paths = [str(s.path) for s in sources]
    rows_table(
        con,
        "batch_paths",
        {"file_index": "INTEGER", "path": "VARCHAR"},
        [{"file_index": i, "path": path} for i, path in enumerate(paths)],
    )
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
    sizes = con.execute(
        "select file_index, count(*), sum(strlen(doc)) from classified group by file_index having count(*) > 1"
    ).fetchall()
    for file_index, records, text_bytes in sizes:
        path = sources[file_index].path
        compression = sniff(sources[file_index])[0]
        if not _is_one_per_line(records, text_bytes, path, compression):
            _number_lines(
                con,
                "classified",
                "record_index",
                path,
                compression,
                records,
                where=f"classified.file_index = {int(file_index)}",
            )


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


def stage_one(con: duckdb.DuckDBPyConnection, source: Source) -> Staged:
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
                (records_in,) = one_row(con.execute("select count(*) from array_documents"))
                return Staged(
                    documents=ARRAY_SOURCE,
                    first_document=ARRAY_FIRST_DOCUMENT_SOURCE,
                    params=[],
                    records_in=records_in,
                    max_index=records_in,
                    path=str(source.path),
                )
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


def _salvage(
    con: duckdb.DuckDBPyConnection, source: Source, compression: str, array: bool, parse_error: str
) -> tuple[str | None, str | None]:
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


def is_batchable(source: Source, options: IngestOptions) -> bool:
    """A small file (``options.small_file_bytes`` at most) whose compression its name tells: it can
    share one scan with others."""
    if source.is_spooled:
        return False
    compression, file_reason = sniff(source)
    return (
        file_reason is None
        and source.path.stat().st_size <= options.small_file_bytes
        and (compression == "gzip") == source.name.lower().endswith(".gz")
    )
