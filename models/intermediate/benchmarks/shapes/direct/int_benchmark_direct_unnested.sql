-- One row per batch size of a direct benchmark ({model, hardware, batch_results: {"<n>": {...}}}), whether
-- the document is one or it is embedded as results.<model>.benchmark_data of a batch benchmark; plus one
-- failed row per batch-benchmark run that produced no benchmark_data.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape in ('direct_benchmark', 'batch_benchmark')
),

batch_runs as (
    select
        load_id,
        record_index,
        unnest(map_entries((payload -> '$.results')::map (varchar, json))) as run_entry
    from documents
    where document_shape = 'batch_benchmark' and json_type(payload, '$.results') = 'OBJECT'
),

benchmarks as (
    select
        load_id,
        record_index,
        '$' as run_path,
        '$' as benchmark_path,
        payload as benchmark,
        null::json as run
    from documents
    where document_shape = 'direct_benchmark'
    union all
    select
        load_id,
        record_index,
        '$.results.' || to_json(run_entry['key']) as run_path,
        '$.results.' || to_json(run_entry['key']) || '.benchmark_data' as benchmark_path,
        run_entry['value'] -> '$.benchmark_data' as benchmark,
        run_entry['value'] as run
    from batch_runs
),

batch_entries as (
    select
        load_id,
        record_index,
        benchmark_path,
        benchmark,
        run,
        unnest(map_entries((benchmark -> '$.batch_results')::map (varchar, json))) as batch_entry
    from benchmarks
    where json_type(benchmark, '$.batch_results') = 'OBJECT'
),

measured as (
    select
        load_id,
        record_index,
        benchmark_path || '.batch_results.' || to_json(batch_entry['key']) as config_path,
        {{ json_to_timestamp("batch_entry['value'] -> '$.timestamp'") }} as record_at,
        coalesce(
            {{ json_to_timestamp("benchmark -> '$.timestamp'") }},
            {{ json_to_timestamp("run -> '$.timestamp'") }}
        ) as benchmark_at,
        coalesce(benchmark ->> '$.model', run ->> '$.model') as model_name,
        coalesce(benchmark ->> '$.hardware', run ->> '$.hardware') as hardware_name,
        batch_entry['value'] ->> '$.device' as device_name,
        coalesce(
            try_cast({{ json_to_double("batch_entry['value'] -> '$.batch_size'") }} as integer),
            try_cast(batch_entry['key'] as integer)
        ) as batch_size,
        {{ json_to_double("batch_entry['value'] -> '$.avg_latency_ms'") }} as average_latency_ms,
        {{ json_number_list("batch_entry['value'] -> '$.latencies_ms'") }} as latencies_ms,
        {{ json_to_double("batch_entry['value'] -> '$.throughput_items_per_second'") }}
            as throughput_items_per_second,
        {{ json_to_double("batch_entry['value'] -> '$.memory_mb'") }} as memory_peak_mb,
        try_cast({{ json_to_double("batch_entry['value'] -> '$.iterations'") }} as integer) as iterations,
        coalesce(
            {{ json_to_boolean("batch_entry['value'] -> '$.success'") }},
            {{ json_to_boolean("benchmark -> '$.success'") }},
            true
        ) as succeeded,
        coalesce(batch_entry['value'] ->> '$.error', benchmark ->> '$.error') as error_message
    from batch_entries
),

failed_runs as (
    select
        load_id,
        record_index,
        run_path as config_path,
        null::timestamp as record_at,
        {{ json_to_timestamp("run -> '$.timestamp'") }} as benchmark_at,
        run ->> '$.model' as model_name,
        run ->> '$.hardware' as hardware_name,
        try_cast(run ->> '$.batch_sizes' as integer) as batch_size,
        false as succeeded,
        coalesce(run ->> '$.error', 'no benchmark_data') as error_message
    from benchmarks
    where run is not null and json_type(benchmark, '$.batch_results') is distinct from 'OBJECT'
),

unioned as (
    select * from measured
    union all by name
    select * from failed_runs
)

select
    documents.load_id,
    documents.record_index,
    unioned.config_path,
    unioned.record_at,
    unioned.benchmark_at as section_at,
    unioned.model_name,
    {{ benchmark_hardware_type('unioned.hardware_name') }} as hardware_type,
    unioned.device_name,
    unioned.batch_size,
    coalesce(unioned.average_latency_ms, list_avg(unioned.latencies_ms)) as average_latency_ms,
    list_aggregate(unioned.latencies_ms, 'quantile_cont', 0.5) as p50_latency_ms,
    list_aggregate(unioned.latencies_ms, 'quantile_cont', 0.9) as p90_latency_ms,
    list_aggregate(unioned.latencies_ms, 'quantile_cont', 0.99) as p99_latency_ms,
    unioned.throughput_items_per_second,
    unioned.memory_peak_mb,
    coalesce(unioned.iterations, len(unioned.latencies_ms)) as iterations,
    unioned.succeeded,
    unioned.error_message,
    documents.document_shape as source_format
from unioned
inner join documents
    on unioned.load_id = documents.load_id and unioned.record_index = documents.record_index
