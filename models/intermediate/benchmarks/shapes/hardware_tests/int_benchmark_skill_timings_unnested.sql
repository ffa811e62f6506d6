-- One row per timed entry of a skill hardware test's performance section
-- (performance.<test>: {avg_time, min_time, max_time, num_runs} or {inference_time, load_time}, in seconds),
-- joined to results.<test> for its model, device and success.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'skill_hardware_test' and json_type(payload, '$.performance') = 'OBJECT'
),

timings as (
    select
        load_id,
        record_index,
        payload,
        unnest(map_entries((payload -> '$.performance')::map (varchar, json))) as timing_entry
    from documents
),

timed_results as (
    select
        *,
        json_extract(payload, '$.results.' || to_json(timing_entry['key'])) as timed_result
    from timings
),

typed as (
    select
        load_id,
        record_index,
        '$.performance.' || to_json(timing_entry['key']) as config_path,
        coalesce(
            timed_result ->> '$.model',
            payload ->> '$.metadata.model',
            payload ->> '$.metadata.model_id'
        ) as model_name,
        coalesce(
            {{ benchmark_hardware_type("timed_result ->> '$.device'") }},
            {{ benchmark_hardware_in_key("timing_entry['key']") }},
            {{ benchmark_hardware_type("timing_entry['key']") }}
        ) as hardware_type,
        timing_entry['key'] as timing_key,
        coalesce(
            {{ json_to_double("timing_entry['value'] -> '$.avg_time'") }},
            {{ json_to_double("timing_entry['value'] -> '$.inference_time'") }}
        ) * 1000 as average_latency_ms,
        try_cast({{ json_to_double("timing_entry['value'] -> '$.num_runs'") }} as integer) as iterations,
        timing_entry['value'] as metrics,
        coalesce(
            {{ json_to_boolean("timed_result -> '$.success'") }},
            {{ json_to_boolean("timed_result -> '$.pipeline_success'") }},
            {{ json_to_boolean("timed_result -> '$.from_pretrained_success'") }},
            true
        ) as succeeded
    from timed_results
    where json_type(timing_entry['value']) = 'OBJECT'
)

select
    typed.load_id,
    typed.record_index,
    typed.config_path,
    typed.model_name,
    typed.hardware_type,
    coalesce(
        {{ benchmark_test_case_from_key('typed.timing_key', 'typed.hardware_type') }}, 'inference'
    ) as test_case,
    typed.average_latency_ms,
    typed.iterations,
    typed.metrics,
    typed.succeeded,
    'skill_hardware_test' as source_format
from typed
where typed.average_latency_ms is not null
