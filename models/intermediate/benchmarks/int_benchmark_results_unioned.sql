-- One row per measured configuration per run and reporting document, from every benchmark shape:
-- typed, dated, keyed (rows naming no model or hardware included: benchmark_results leaves them out, a
-- warn test lists them). measurement_id identifies the measurement itself, so that one reported by two
-- documents (a direct benchmark and the batch run embedding it) is kept once by benchmark_results.
with unioned as (
    select * from {{ ref('int_benchmark_flat_rows') }}
    union all by name
    select * from {{ ref('int_benchmark_direct_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_model_batches_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_suite_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_web_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_web_comparison_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_skill_timings_unnested') }}
),

dated as (
    select
        *,
        coalesce(record_at, document_at, loaded_at) as run_at,
        case
            when record_at is not null then 'record'
            when document_at is not null then 'document'
            else 'loaded_at'
        end as run_at_source
    from unioned
)

select
    md5(record_hash || '|' || config_path) as result_id,
    md5(concat_ws(
        '|', model_name, hardware_type, batch_size, sequence_length, precision, test_case, device_name,
        run_at, average_latency_ms, throughput_items_per_second, memory_peak_mb, succeeded
    )) as measurement_id,
    md5(concat_ws(
        '|', model_name, hardware_type, coalesce(batch_size::varchar, '-'), coalesce(precision, '-'),
        coalesce(sequence_length::varchar, '-'), coalesce(test_case, '-')
    )) as series_id,
    run_at::timestamp as run_at,
    run_at_source::varchar as run_at_source,
    model_name::varchar as model_name,
    model_family::varchar as model_family,
    modality::varchar as modality,
    hardware_type::varchar as hardware_type,
    device_name::varchar as device_name,
    batch_size::integer as batch_size,
    sequence_length::integer as sequence_length,
    precision,
    test_case::varchar as test_case,
    average_latency_ms::double as average_latency_ms,
    p50_latency_ms::double as p50_latency_ms,
    p90_latency_ms::double as p90_latency_ms,
    p99_latency_ms::double as p99_latency_ms,
    throughput_items_per_second::double as throughput_items_per_second,
    memory_peak_mb::double as memory_peak_mb,
    iterations::integer as iterations,
    warmup_iterations::integer as warmup_iterations,
    total_time_seconds::double as total_time_seconds,
    metrics::json as metrics,
    is_simulated::boolean as is_simulated,
    succeeded::boolean as succeeded,
    error_message::varchar as error_message,
    run_id::varchar as run_id,
    git_commit::varchar as git_commit,
    git_branch::varchar as git_branch,
    source_format::varchar as source_format,
    config_path::varchar as config_path,
    load_id::bigint as load_id,
    record_index::bigint as record_index,
    record_hash::varchar as record_hash,
    source_path::varchar as source_path
from dated
