-- One row per landed document that yields no benchmark or test row by its shape: of no known shape, or of a
-- known shape that carries no measurement or test outcome (configurations, capabilities, API backend tests),
-- with the reason and what it looks like, so it can be taught or ignored.
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
    document_shape,
    {{ benchmark_shape_reason('document_shape') }} as reason,
    top_level_keys,
    json_type(payload) as payload_type,
    left(payload::varchar, 300) as payload_preview
from {{ ref('int_benchmark_documents_classified') }}
where shape_kind in ('unrecognized', 'no_measurements') and load_id > {{ incremental_watermark('load_id') }}
