-- One row per landed document with its payload and the shape it was recognised as
-- (int_benchmark_document_shapes). Shape models read only their own shape from here. A filter on load_id
-- reaches both sides of the join, so an incremental mart parses only new loads.
select
    documents.load_id,
    documents.source_path,
    documents.record_index,
    documents.record_hash,
    documents.loaded_at,
    documents.payload,
    json_keys(documents.payload) as top_level_keys,  -- after the join: only for the documents kept
    shapes.document_at,
    shapes.simulated_hardware,
    shapes.document_shape,
    shapes.shape_kind
from {{ ref('stg_raw__documents') }} as documents
inner join {{ ref('int_benchmark_document_shapes') }} as shapes
    on documents.load_id = shapes.load_id and documents.record_index = shapes.record_index
