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
    message,
    -- python -m ingest --label KEY=VALUE; loads landed before labels existed have none
    coalesce(labels, map()) as labels,
    labels['commit'] as commit_sha,
    labels['branch'] as branch,
    labels['machine'] as machine_name,
    labels['ci_run'] as ci_run_id
from {{ source('raw', 'loads') }}
