-- One row per flat benchmark result document (one object, an array element or an NDJSON line).
-- from_json types every field leniently: numbers given as strings are read, anything else is NULL.
with documents as (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'flat_result'
),

fields as (
    select
        load_id,
        record_index,
        {{ json_to_timestamp("payload -> '$.timestamp'") }} as record_at,
        -- unnesting a struct gives one column per field (the alias is not used)
        unnest(from_json(payload, '{
            "model_name": "VARCHAR", "model_family": "VARCHAR", "modality": "VARCHAR",
            "hardware_type": "VARCHAR", "device_name": "VARCHAR", "batch_size": "INTEGER",
            "sequence_length": "INTEGER", "image_size": "VARCHAR", "audio_length_seconds": "DOUBLE",
            "precision": "VARCHAR", "test_case": "VARCHAR",
            "total_time_seconds": "DOUBLE", "average_latency_ms": "DOUBLE", "p50_latency_ms": "DOUBLE",
            "p90_latency_ms": "DOUBLE", "p99_latency_ms": "DOUBLE", "throughput_items_per_second": "DOUBLE",
            "memory_peak_mb": "DOUBLE", "iterations": "INTEGER", "warmup_iterations": "INTEGER",
            "metrics": "JSON", "run_id": "VARCHAR", "git_commit": "VARCHAR", "git_branch": "VARCHAR",
            "is_simulated": "BOOLEAN", "success": "BOOLEAN", "status": "VARCHAR",
            "error_message": "VARCHAR", "error": "VARCHAR"
        }')) as flat_fields
    from documents
)

select
    load_id,
    record_index,
    '$' as config_path,
    record_at,
    model_name,
    model_family,
    modality,
    {{ benchmark_hardware_type('hardware_type') }} as hardware_type,
    device_name,
    batch_size,
    sequence_length,
    image_size,
    audio_length_seconds,
    precision,
    test_case,
    total_time_seconds,
    average_latency_ms,
    p50_latency_ms,
    p90_latency_ms,
    p99_latency_ms,
    throughput_items_per_second,
    memory_peak_mb,
    iterations,
    warmup_iterations,
    metrics,
    run_id,
    git_commit,
    git_branch,
    is_simulated as is_flagged_simulated,
    coalesce(success, {{ benchmark_status_succeeded('status') }}, true) as succeeded,
    coalesce(error_message, error) as error_message,
    'flat_result' as source_format
from fields
