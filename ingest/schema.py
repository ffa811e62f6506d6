"""DDL of the landing zone (schema ``raw``). Ingest owns these tables; dbt only reads them.

Rows are written to ``raw.*_all`` tables; ``raw.task_events``, ``raw.documents`` and
``raw.rejected_records`` are views of the rows whose load finished. A load's ``raw.loads`` row is
committed first (status ``running``, no ``finished_at``) and finished in the same transaction that
writes its rows, so a load cut off at any point, even mid-commit, is never visible as finished.
"""

from __future__ import annotations

import json

import duckdb

# Compression is chosen per column: DuckDB would otherwise try every method on every segment it
# writes, which cost a quarter of writing 1M documents. A load's rows share one source_path
# (dictionary: one entry per segment); documents and their hashes are nearly all distinct (FSST).
DOCUMENT_COLUMNS = """
    load_id bigint not null,
    source_path varchar using compression dictionary not null,
    record_index bigint not null,
    record_hash varchar using compression fsst not null,
    loaded_at timestamptz not null,
    payload json using compression fsst not null
"""

LANDING_DDL = """
create schema if not exists raw;
create sequence if not exists raw.load_id_seq start 1;

create table if not exists raw.loads (
    load_id bigint primary key,
    source_path varchar not null,
    source_bytes bigint,
    records_in bigint not null,
    records_landed bigint not null,
    duplicates_skipped bigint not null,
    records_rejected bigint not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,
    message varchar,
    labels map(varchar, varchar)  -- python -m ingest --label KEY=VALUE
);
alter table raw.loads add column if not exists labels map(varchar, varchar);

{landed_tables}

create table if not exists raw.rejected_records_all (
    load_id bigint not null,
    source_path varchar not null,
    record_index bigint,
    reason varchar not null,
    raw_text varchar,
    rejected_at timestamptz not null
);

create table if not exists raw.purges (
    load_id bigint not null,
    entity_kind varchar not null,
    entity_id varchar not null,
    table_name varchar not null,
    rows_purged bigint not null,
    purged_at timestamptz not null
);

{finished_views}
"""

LANDING_DDL = LANDING_DDL.format(
    landed_tables="\n\n".join(
        f"create table if not exists raw.{name}_all ({DOCUMENT_COLUMNS});" for name in ("task_events", "documents")
    ),
    finished_views="\n\n".join(
        f"create view if not exists raw.{name} as select * from raw.{name}_all\n"
        "where load_id in (select load_id from raw.loads where finished_at is not null);"
        for name in ("task_events", "documents", "rejected_records")
    ),
)

# Where each kind of document lands: documents with an "event" key are generator events.
LANDING_TABLES = {"event": "raw.task_events_all", "document": "raw.documents_all"}
REJECTED_TABLE = "raw.rejected_records_all"


def rows_table(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[dict], append: bool = False
) -> None:
    """Create temp table ``name`` (columns: name -> DuckDB type) holding ``rows`` (or, ``append``,
    insert them into it), passed as one JSON parameter: binding a Python list costs about 0.2 ms per
    element, a batch has up to 1,000 files."""
    if append and not rows:
        return
    head = f"insert into {name} " if append else f"create or replace temp table {name} as "
    con.execute(head + f"select unnest(from_json(?, '{json.dumps([columns])}'), recursive := true)", [json.dumps(rows)])
