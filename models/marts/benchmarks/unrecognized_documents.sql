-- One row per landed document that yields no benchmark or test row by its shape: of no known shape, or of a
-- known shape that carries no measurement or test outcome (configurations, capabilities, API backend tests),
-- with the reason (from the shape registry) and what it looks like, so it can be taught or ignored.
-- Incremental: each build looks only at loads landed since the last one (after teaching the models a new
-- shape, `dbt build --full-refresh` looks again at everything).
{{ config(
    materialized='incremental', incremental_strategy='append',
    post_hook="{{ record_watermark(ref('int_benchmark_document_shapes')) }}"
) }}

select
    documents.record_hash,
    documents.load_id,
    documents.record_index,
    documents.source_path,
    documents.loaded_at,
    documents.document_shape,
    coalesce(registry.reason, 'no known shape') as reason,
    documents.top_level_keys,
    json_type(documents.payload) as payload_type,
    left(documents.payload::varchar, 300) as payload_preview
from {{ ref('int_benchmark_documents_classified') }} as documents
left join {{ ref('int_benchmark_shape_registry') }} as registry
    on documents.document_shape = registry.document_shape
where
    documents.shape_kind in ('unrecognized', 'no_measurements')
    and documents.load_id > {{ incremental_watermark('load_id') }}
