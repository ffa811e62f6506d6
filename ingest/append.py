"""Append a staged batch to the landing tables, inside the caller's transaction, and count each
load's records: landed, rejected (the rest are duplicates)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from ingest.classify import CLASSIFY_SELECT
from ingest.connect import one_row
from ingest.schema import LANDING_TABLES, REJECTED_TABLE
from ingest.stage import MAX_REJECTED_TEXT, Staged

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
    RESET, so on an error ingest.land resets it after its rollback.
    """
    con.execute("set disabled_optimizers = 'build_side_probe_side'")
    yield
    con.execute("reset disabled_optimizers")


def land_read_again(con: duckdb.DuckDBPyConnection, load_id: int, staged: Staged) -> list[tuple]:
    """Land one file's documents as they are read (again, see INDEX_SQL, or from an array's staged
    documents, see STAGE_ARRAY_SQL); return its counts.

    The usual file holds documents of one kind only, none rejected: the kind of its first document
    is appended in one statement, and when that appends every document, only repeats within the file
    and documents landed before are left to delete. Otherwise the file is classified without the
    documents (a third read), its rejects recorded, later repeats of the first kind removed and the
    other kind appended from one more read, then documents landed before deleted.
    """
    # a file staged to be read again always has its documents' SQL and parameters
    assert staged.documents is not None and staged.params is not None, staged
    params = staged.params
    first = con.execute(
        f"select kind from ({CLASSIFY_SELECT.replace('{source}', staged.first_document)})", params
    ).fetchone()
    first_kind = first[0] if first else "document"
    indexed = f"({CLASSIFY_SELECT.replace('{source}', staged.documents)})"
    table = LANDING_TABLES[first_kind]
    with _file_side_probes(con):
        (appended,) = one_row(
            con.execute(
                LAND_KIND_SQL.format(table=table, documents=indexed, first_only="", not_landed=""),
                params + [first_kind],
            )
        )
    if appended == staged.records_in:
        # record indexes run from 1 to max_index (see INDEXED_SOURCE), so one bit each counts them;
        # repeats within the file share a record_hash: counting hash(record_hash) is cheaper and never
        # misses one (a collision only costs the exact delete below, which counts the true repeats)
        indexes, hashes = one_row(
            con.execute(
                f"""
            select coalesce(bit_count(bitstring_agg(record_index, 1, ?)), 0),
                count(distinct hash(record_hash))
            from {table} where load_id = ?
        """,
                [staged.max_index, load_id],
            )
        )
        _check_unchanged(staged.path, staged.records_in, appended, indexes)
        repeats = 0
        if hashes < appended:
            (repeats,) = one_row(
                con.execute(
                    f"""
                delete from {table} where load_id = ? and record_index in (
                    select record_index from {table} where load_id = ?
                    qualify row_number() over (partition by record_hash order by record_index) > 1)
            """,
                    [load_id, load_id],
                )
            )
        landed_before = _drop_landed_before(con, table, load_id)
        return [(load_id, staged.records_in, appended - repeats - landed_before, 0)]

    with _file_side_probes(con):
        con.execute(
            f"""
            create or replace temp table classified as
            select file_index, record_index, case when reject_reason is not null then doc end as doc,
                record_hash, reject_reason, kind
            from {indexed}
        """,
            params,
        )
    _check_unchanged(
        staged.path,
        staged.records_in,
        *one_row(con.execute("select count(*), count(distinct record_index) from classified")),
    )
    _record_rejects_and_first_records(con)
    con.execute(
        f"delete from {table} where load_id = ? and record_index not in (select record_index from first_records)",
        [load_id],
    )
    for kind, other_table in LANDING_TABLES.items():
        if (
            kind != first_kind
            and one_row(
                con.execute("select count(*) from classified where reject_reason is null and kind = ?", [kind])
            )[0]
        ):
            with _file_side_probes(con):
                con.execute(
                    LAND_KIND_SQL.format(table=other_table, documents=indexed, first_only=FIRST_ONLY, not_landed=""),
                    params + [kind],
                )
    for kind_table in LANDING_TABLES.values():
        _drop_landed_before(con, kind_table, load_id)
    return _counts(con, [load_id])


def _drop_landed_before(con: duckdb.DuckDBPyConnection, table: str, load_id: int) -> int:
    """Delete the documents of load ``load_id`` that other loads of ``table`` landed; return how many.
    The join is built from this load's hashes, so its memory follows the file, not the history."""
    (deleted,) = one_row(
        con.execute(
            f"""
        delete from {table} where load_id = ? and record_hash in (
            select record_hash from {table} where load_id <> ?)
    """,
            [load_id, load_id],
        )
    )
    return deleted


class FileChanged(OSError):
    """A file read again no longer holds every document of its first read."""


def _check_unchanged(path: str, records_in: int, documents: int, indexes: int) -> None:
    """Fail the load unless the second read matched each of the first read's ``records_in`` documents
    once (``documents`` rows, ``indexes`` distinct record indexes). Documents the first read did not
    see are left out, as if written after it."""
    if not documents == indexes == records_in:
        raise FileChanged(
            f"{path}: the file changed while it was being landed ({records_in} documents "
            f"at the first read, {documents} matching at the second)"
        )


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


def land_classified(con: duckdb.DuckDBPyConnection, load_ids: list[int]) -> list[tuple]:
    """Land the documents staged in ``classified``; return each load's counts."""
    _record_rejects_and_first_records(con)
    for kind, table in LANDING_TABLES.items():
        con.execute(
            LAND_KIND_SQL.format(
                table=table, documents="classified", first_only=FIRST_ONLY, not_landed=NOT_LANDED.format(table=table)
            ),
            [kind],
        )
    return _counts(con, load_ids)


def _counts(con: duckdb.DuckDBPyConnection, load_ids: list[int]) -> list[tuple]:
    """(load_id, records_in, landed, rejected) of each file of the batch, in file order."""
    landed_union = " union all ".join(
        f"select load_id from {table} where load_id between ? and ?" for table in LANDING_TABLES.values()
    )
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
