"""DDL of the landing zone (schema ``raw``). Ingest owns these tables; dbt only reads them."""

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
    message varchar
);

create table if not exists raw.task_events (
    load_id bigint not null,
    source_path varchar not null,
    record_index bigint not null,
    record_hash varchar not null,
    loaded_at timestamptz not null,
    payload json not null
);

create table if not exists raw.documents (
    load_id bigint not null,
    source_path varchar not null,
    record_index bigint not null,
    record_hash varchar not null,
    loaded_at timestamptz not null,
    payload json not null
);

create table if not exists raw.purges (
    load_id bigint not null,
    entity_kind varchar not null,
    entity_id varchar not null,
    table_name varchar not null,
    rows_purged bigint not null,
    purged_at timestamptz not null
);

create table if not exists raw.rejected_records (
    load_id bigint not null,
    source_path varchar not null,
    record_index bigint,
    reason varchar not null,
    raw_text varchar,
    rejected_at timestamptz not null
);
"""

# Documents with an "event" key are generator events; everything else is a document.
LANDING_TABLES = {"event": "raw.task_events", "document": "raw.documents"}
