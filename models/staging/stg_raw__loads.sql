select
    load_id,
    source_path,
    source_bytes,
    records_in,
    records_landed,
    duplicates_skipped,
    records_rejected,
    timezone('UTC', started_at) as started_at,
    timezone('UTC', finished_at) as finished_at,
    status,
    message
from {{ source('raw', 'loads') }}
