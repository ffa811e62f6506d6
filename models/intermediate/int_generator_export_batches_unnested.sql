-- One row per batch object of an upstream export document.
with batches as (
    select
        load_id,
        record_index,
        exported_at,
        unnest(from_json(payload -> '$.batches', '["JSON"]')) as batch
    from {{ ref('int_generator_exports_filtered') }}
    where json_type(payload, '$.batches') = 'ARRAY'
)

select
    load_id,
    record_index,
    exported_at,
    batch ->> '$.batch_id' as batch_id,
    batch ->> '$.description' as description,
    {{ json_string_list("batch -> '$.task_ids'") }} as task_ids,
    batch ->> '$.creator' as creator,
    {{ parse_timestamp("batch ->> '$.started_at'") }} as reported_started_at,
    {{ parse_timestamp("batch ->> '$.completed_at'") }} as completed_at
from batches
where batch ->> '$.batch_id' is not null
