-- One row per landed document of no known shape, with what it looks like, so it can be taught or ignored.
-- Incremental: each build looks only at loads landed since the last one (after teaching the models a new
-- shape, `dbt build --full-refresh` looks again at everything).
{{ config(
    materialized='incremental', incremental_strategy='append',
    post_hook="{{ record_watermark(ref('int_benchmark_document_shapes')) }}"
) }}

select
    record_hash,
    load_id,
    record_index,
    source_path,
    loaded_at,
    top_level_keys,
    json_type(payload) as payload_type,
    left(payload::varchar, 300) as payload_preview
from {{ ref('int_benchmark_documents_classified') }}
where document_shape = 'unrecognized' and load_id > {{ incremental_watermark('load_id') }}
