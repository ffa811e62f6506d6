-- One row per batch size of a per-model benchmark ({model, model_key, model_category, hardware,
-- batch_sizes: {"<n>": {throughput, latency_ms, memory_usage_mb, success}}}).
with documents as (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'model_benchmark'
),

batch_entries as (
    select
        load_id,
        record_index,
        payload,
        unnest(map_entries((payload -> '$.batch_sizes')::map (varchar, json))) as batch_entry
    from documents
),

typed as (
    select
        load_id,
        record_index,
        '$.batch_sizes.' || to_json(batch_entry['key']) as config_path,
        {{ json_to_timestamp("batch_entry['value'] -> '$.timestamp'") }} as record_at,
        coalesce(payload ->> '$.model_path', payload ->> '$.model_name', payload ->> '$.model') as model_name,
        payload ->> '$.model_key' as model_family,
        payload ->> '$.model_category' as test_case,
        {{ benchmark_hardware_type("coalesce(payload ->> '$.hardware_key', payload ->> '$.hardware')") }}
            as hardware_type,
        try_cast(batch_entry['key'] as integer) as batch_size,
        {{ json_to_double("batch_entry['value'] -> '$.latency_ms'") }} as average_latency_ms,
        {{ json_to_double("batch_entry['value'] -> '$.throughput'") }} as throughput_items_per_second,
        {{ json_to_double("batch_entry['value'] -> '$.memory_usage_mb'") }} as memory_peak_mb,
        coalesce({{ json_to_boolean("batch_entry['value'] -> '$.is_simulated'") }}, false)
            as is_flagged_simulated,
        coalesce(
            {{ json_to_boolean("batch_entry['value'] -> '$.success'") }},
            {{ json_to_boolean("payload -> '$.success'") }},
            true
        ) as succeeded,
        batch_entry['value'] ->> '$.error' as error_message
    from batch_entries
    where json_type(batch_entry['value']) = 'OBJECT'
)

select
    *,
    'model_benchmark' as source_format
from typed
