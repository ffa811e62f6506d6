-- One row per configuration of a benchmark suite:
-- benchmarks.<family>.<model>.<hardware>.benchmark_results.batch_<n>_seq_<m> (or _img_<w>x<h>, _audio_<s>s:
-- each configuration key part is a dimension of its own), at the top of a suite
-- document or under performance_benchmarks.<family> of a benchmark run. Latencies are in seconds there.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape in ('suite_benchmark', 'benchmark_run')
),

run_families as (
    select
        load_id,
        record_index,
        unnest(map_entries((payload -> '$.performance_benchmarks')::map (varchar, json))) as family_run
    from documents
    where document_shape = 'benchmark_run' and json_type(payload, '$.performance_benchmarks') = 'OBJECT'
),

suites as (
    select
        load_id,
        record_index,
        '$' as suite_path,
        payload as suite
    from documents
    where document_shape = 'suite_benchmark'
    union all
    select
        load_id,
        record_index,
        '$.performance_benchmarks.' || to_json(family_run['key']) as suite_path,
        family_run['value'] as suite
    from run_families
    where json_type(family_run['value'], '$.benchmarks') = 'OBJECT'
),

families as (
    select
        *,
        unnest(map_entries((suite -> '$.benchmarks')::map (varchar, json))) as family_entry
    from suites
),

models as (
    select
        *,
        unnest(map_entries((family_entry['value'])::map (varchar, json))) as model_entry
    from families
    where json_type(family_entry['value']) = 'OBJECT'
),

hardware as (
    select
        *,
        unnest(map_entries((model_entry['value'])::map (varchar, json))) as hardware_entry
    from models
    where json_type(model_entry['value']) = 'OBJECT'
),

configs as (
    select
        *,
        unnest(
            map_entries((hardware_entry['value'] -> '$.benchmark_results')::map (varchar, json))
        ) as config_entry
    from hardware
    where json_type(hardware_entry['value'], '$.benchmark_results') = 'OBJECT'
),

typed as (
    select
        load_id,
        record_index,
        suite_path
        || '.benchmarks.' || to_json(family_entry['key'])
        || '.' || to_json(model_entry['key'])
        || '.' || to_json(hardware_entry['key'])
        || '.benchmark_results.' || to_json(config_entry['key']) as config_path,
        {{ json_to_timestamp("hardware_entry['value'] -> '$.timestamp'") }} as record_at,
        {{ json_to_timestamp("suite -> '$.timestamp'") }} as suite_at,
        coalesce(hardware_entry['value'] ->> '$.model_name', model_entry['key']) as model_name,
        coalesce(hardware_entry['value'] ->> '$.family', family_entry['key']) as test_case,
        {{ benchmark_hardware_type(
            "coalesce(hardware_entry['value'] ->> '$.hardware', hardware_entry['key'])"
        ) }} as hardware_type,
        coalesce(
            suite ->> '$.system_info.cuda_devices[0].name',
            suite ->> '$.hardware_details.cuda_devices[0].name'
        ) as cuda_device_name,
        try_cast(regexp_extract(config_entry['key'], 'batch_(\d+)', 1) as integer) as batch_size,
        try_cast(regexp_extract(config_entry['key'], 'seq_(\d+)', 1) as integer) as sequence_length,
        nullif(regexp_extract(config_entry['key'], 'img_(\d+x\d+)', 1), '') as image_size,
        try_cast(
            regexp_extract(config_entry['key'], 'audio_(\d+(\.\d+)?)s', 1) as double
        ) as audio_length_seconds,
        {{ json_to_double("config_entry['value'] -> '$.avg_latency'") }} as average_latency_seconds,
        {{ json_number_list("config_entry['value'] -> '$.latencies'") }} as latencies_seconds,
        {{ json_to_double("config_entry['value'] -> '$.throughput'") }} as throughput_items_per_second,
        coalesce(
            {{ json_to_double("config_entry['value'] -> '$.memory_peak_mb'") }},
            {{ json_to_double("config_entry['value'] -> '$.memory_mb'") }}
        ) as memory_peak_mb,
        try_cast(coalesce(
            {{ json_to_double("config_entry['value'] -> '$.completed_iterations'") }},
            {{ json_to_double("config_entry['value'] -> '$.iterations'") }}
        ) as integer) as iterations,
        {{ json_to_double("config_entry['value'] -> '$.total_time'") }} as total_time_seconds,
        {{ benchmark_status_succeeded(
            "coalesce(config_entry['value'] ->> '$.status', hardware_entry['value'] ->> '$.status')"
        ) }} as succeeded,
        config_entry['value'] ->> '$.error' as error_message
    from configs
    where json_type(config_entry['value']) = 'OBJECT'
)

select
    typed.load_id,
    typed.record_index,
    typed.config_path,
    typed.record_at,
    typed.suite_at as section_at,
    typed.model_name,
    typed.test_case,
    typed.hardware_type,
    case when typed.hardware_type = 'cuda' then typed.cuda_device_name end as device_name,
    typed.batch_size,
    typed.sequence_length,
    typed.image_size,
    typed.audio_length_seconds,
    coalesce(typed.average_latency_seconds, list_avg(typed.latencies_seconds)) * 1000 as average_latency_ms,
    list_aggregate(typed.latencies_seconds, 'quantile_cont', 0.5) * 1000 as p50_latency_ms,
    list_aggregate(typed.latencies_seconds, 'quantile_cont', 0.9) * 1000 as p90_latency_ms,
    list_aggregate(typed.latencies_seconds, 'quantile_cont', 0.99) * 1000 as p99_latency_ms,
    typed.throughput_items_per_second,
    typed.memory_peak_mb,
    typed.iterations,
    typed.total_time_seconds,
    typed.succeeded,
    typed.error_message,
    'suite_benchmark' as source_format
from typed
