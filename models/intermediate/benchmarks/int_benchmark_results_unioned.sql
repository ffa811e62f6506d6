-- One row per measured configuration per run and reporting document, from every benchmark shape:
-- typed, dated (record, document, file name, else load time), named (canonical model names, labels in the
-- accepted vocabularies), keyed (rows naming no model or hardware included: benchmark_results leaves them
-- out, a warn test lists them). measurement_id identifies the measurement itself, so that one reported by two
-- documents (a direct benchmark and the batch run embedding it) is kept once by benchmark_results.
with unioned as (
    {{ union_shape_models('results') }}
),

documented as (
    -- lineage, document time and simulation flag, added once for every shape
    {{ shape_row_lineage('unioned') }}
),

labelled as (
    -- what every shape reports, named once: canonical model names, labels in the accepted vocabularies
    select
        documented.* exclude (model_name, modality, precision, batch_size, sequence_length),
        coalesce(model_names.model_name, documented.model_name) as model_name,
        {{ benchmark_modality('documented.modality') }} as modality,
        {{ benchmark_precision('documented.precision') }} as precision,  -- noqa: RF04
        try_cast(documented.batch_size as integer) as batch_size,
        try_cast(documented.sequence_length as integer) as sequence_length
    from documented
    left join {{ ref('int_benchmark_model_names') }} as model_names
        on documented.model_name = model_names.alias_name
),

dated as (
    select
        *,
        {{ benchmark_run_time('run_at') }}
    from labelled
)

select
    md5(record_hash || '|' || config_path) as result_id,
    -- a failed configuration measured nothing: its place in the document tells it from the others
    md5(
        concat_ws(
            '|', model_name, hardware_type, batch_size, sequence_length, precision, test_case, device_name,
            run_at, average_latency_ms, throughput_items_per_second, memory_peak_mb, succeeded
        )
        || coalesce('|image=' || image_size, '')
        || coalesce('|audio=' || audio_length_seconds::varchar, '')
        || case
            when coalesce(average_latency_ms, throughput_items_per_second, memory_peak_mb) is null
                then '|' || coalesce(error_message, '') || '|' || config_path
            else ''
        end
    ) as measurement_id,
    {{ benchmark_series_id() }} as series_id,
    run_at::timestamp as run_at,
    run_at_source::varchar as run_at_source,
    model_name::varchar as model_name,
    model_family::varchar as model_family,
    modality::varchar as modality,
    hardware_type::varchar as hardware_type,
    device_name::varchar as device_name,
    batch_size,
    sequence_length,
    image_size::varchar as image_size,
    try_cast(audio_length_seconds as double) as audio_length_seconds,
    precision::varchar as precision,  -- noqa: RF04
    test_case::varchar as test_case,
    average_latency_ms::double as average_latency_ms,
    p50_latency_ms::double as p50_latency_ms,
    p90_latency_ms::double as p90_latency_ms,
    p99_latency_ms::double as p99_latency_ms,
    throughput_items_per_second::double as throughput_items_per_second,
    memory_peak_mb::double as memory_peak_mb,
    try_cast(iterations as integer) as iterations,
    try_cast(warmup_iterations as integer) as warmup_iterations,
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
