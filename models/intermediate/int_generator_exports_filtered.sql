-- One row per upstream export document ({tasks, batches, stats, export_date}) found in raw documents.
select
    load_id,
    record_index,
    payload,
    {{ parse_timestamp("payload ->> '$.export_date'") }} as exported_at
from {{ ref('stg_raw__documents') }}
where
    json_exists(payload, '$.export_date')
    and (json_type(payload, '$.tasks') = 'ARRAY' or json_type(payload, '$.batches') = 'ARRAY')
