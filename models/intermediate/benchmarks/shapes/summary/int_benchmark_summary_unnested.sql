-- One row per (model family, hardware, model) of a benchmark summary (model_families.<family>:
-- {models_tested: [model], hardware_results: {<hardware>: {latency_ms: [..], throughput: [..]}}}): the i-th
-- value of each list belongs to the i-th model tested. Latencies are in milliseconds, throughputs in items
-- per second.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'benchmark_summary'
),

families as (
    select
        load_id,
        record_index,
        unnest(map_entries((payload -> '$.model_families')::map (varchar, json))) as family_entry
    from documents
),

hardware as (
    select
        load_id,
        record_index,
        family_entry['key'] as model_family,
        from_json(family_entry['value'] -> '$.models_tested', '["VARCHAR"]') as models_tested,
        unnest(
            map_entries((family_entry['value'] -> '$.hardware_results')::map (varchar, json))
        ) as hardware_entry
    from families
    where
        json_type(family_entry['value'], '$.hardware_results') = 'OBJECT'
        and json_type(family_entry['value'], '$.models_tested') = 'ARRAY'
),

measured as (
    select
        load_id,
        record_index,
        model_family,
        hardware_entry['key'] as reported_hardware,
        hardware_entry['value'] as results,
        unnest(range(len(models_tested))) as model_index,
        unnest(models_tested) as model_name
    from hardware
    where json_type(hardware_entry['value']) = 'OBJECT'
),

typed as (
    select
        load_id,
        record_index,
        '$.model_families.' || to_json(model_family) || '.hardware_results.' || to_json(reported_hardware)
        || '[' || model_index || ']' as config_path,
        model_name,
        model_family,
        {{ benchmark_hardware_type('reported_hardware') }} as hardware_type,
        {{ json_to_double("results -> ('$.latency_ms[' || model_index || ']')") }} as average_latency_ms,
        {{ json_to_double("results -> ('$.throughput[' || model_index || ']')") }}
            as throughput_items_per_second
    from measured
)

select
    typed.load_id,
    typed.record_index,
    typed.config_path,
    null::timestamp as record_at,
    typed.model_name,
    typed.model_family,
    typed.hardware_type,
    typed.average_latency_ms,
    typed.throughput_items_per_second,
    coalesce(typed.average_latency_ms, typed.throughput_items_per_second) is not null as succeeded,
    'benchmark_summary' as source_format
from typed
where coalesce(typed.average_latency_ms, typed.throughput_items_per_second) is not null
