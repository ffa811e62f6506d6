-- One row per upstream export document ({tasks, batches, stats, export_date}) found in raw documents.
-- Incremental, appending new loads: a filter on load_id does not reach through the unnesting models
-- that read this one, and it is tiny next to the documents it is picked from.
{{ config(
    materialized='incremental', incremental_strategy='append',
    post_hook="{{ record_watermark(ref('stg_raw__documents')) }}"
) }}

select
    load_id,
    record_index,
    payload,
    {{ parse_timestamp("payload ->> '$.export_date'") }} as exported_at
from {{ ref('stg_raw__documents') }}
where
    json_exists(payload, '$.export_date')
    and (json_type(payload, '$.tasks') = 'ARRAY' or json_type(payload, '$.batches') = 'ARRAY')
    and load_id > {{ incremental_watermark('load_id') }}
