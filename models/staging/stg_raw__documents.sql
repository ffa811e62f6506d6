select
    load_id,
    source_path,
    record_index,
    record_hash,
    timezone('UTC', loaded_at) as loaded_at,
    payload,
    json_keys(payload) as top_level_keys
from {{ source('raw', 'documents') }}
