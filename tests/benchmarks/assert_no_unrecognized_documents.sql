{{ config(severity='warn') }}
-- Warns with the number of landed documents of no known shape (listed in unrecognized_documents).
select
    record_hash,
    source_path,
    record_index,
    top_level_keys
from {{ ref('unrecognized_documents') }}
where document_shape = 'unrecognized'
