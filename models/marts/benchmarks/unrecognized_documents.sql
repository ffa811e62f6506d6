-- One row per landed document of no known shape, with what it looks like, so it can be taught or ignored.
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
where document_shape = 'unrecognized'
