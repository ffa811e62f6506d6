"""What each document is: its hash, its kind (event or document) and why it cannot land, if it cannot."""

from __future__ import annotations

import duckdb

# An ISO-8601 (RFC 3339) date, or date and time, with an optional fraction of a second and an
# optional UTC offset (``Z``, ``+05``, ``+0530``, ``+05:30``); a time without an offset is UTC. Nothing
# else is taken: DuckDB's text-to-timestamptz cast also reads zone names ("... America/New_York") and
# then applies that zone to offset-less values after it in the same batch, so such a value must never
# reach a cast beside others (CASE casts only the values its regular expression matched).
ISO_8601 = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
BAD_LINES_COLUMNS = "file_index integer, record_index bigint, line varchar, reason varchar"
KNOWN_EVENTS = (
    "task_started",
    "task_updated",
    "task_completed",
    "task_deleted",
    "batch_started",
    "batch_completed",
    "batch_deleted",
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
        when len(list_filter(keys, lambda k, i: list_position(keys, k) < i)) > 0
            then 'duplicate key in object: ' || list_filter(keys, lambda k, i: list_position(keys, k) < i)[1]
        when event_name like 'task_%' and coalesce(task_id, '') = '' then event_name || ' has no task_id'
        when event_name like 'batch_%' and coalesce(batch_id, '') = '' then event_name || ' has no batch_id'
        when occurred_at is null then 'event has no occurred_at'
        when not regexp_full_match(occurred_at, 'ISO_8601')
            then 'occurred_at ''' || occurred_at || ''' is not an ISO-8601 timestamp'
        when try_cast(occurred_at as timestamptz) is null
            then 'occurred_at ''' || occurred_at || ''' is not an ISO-8601 timestamp'
    end as reject_reason,
    case when event_name is not null then 'event' else 'document' end as kind
from fields
""".replace("KNOWN_EVENTS", repr(KNOWN_EVENTS)).replace("ISO_8601", ISO_8601)
CLASSIFY_SQL = "create or replace temp table classified as" + CLASSIFY_SELECT
CLASSIFIED_COLUMNS = (
    "file_index integer, record_index bigint, doc json, record_hash varchar, reject_reason varchar, kind varchar"
)


def classify(con: duckdb.DuckDBPyConnection, source_sql: str, params: list) -> None:
    """Stage ``classified`` from ``source_sql`` (yielding file_index, record_index, doc)."""
    con.execute(CLASSIFY_SQL.replace("{source}", source_sql), params)
