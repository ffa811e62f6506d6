-- One row per (model, web platform) of a web platform comparison (results_by_modality.<modality>[{model,
-- webnn: {time_ms, memory_mb, success, implementation}, webgpu: {...}}]).
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'web_platform_comparison'
),

modalities as (
    select
        load_id,
        record_index,
        unnest(map_entries((payload -> '$.results_by_modality')::map (varchar, json))) as modality_entry
    from documents
),

model_rows as (
    select
        load_id,
        record_index,
        modality_entry['key'] as modality,
        unnest(range(json_array_length(modality_entry['value'])::bigint)) as row_index,
        unnest(from_json(modality_entry['value'], '["JSON"]')) as model_row
    from modalities
    where json_type(modality_entry['value']) = 'ARRAY'
),

platforms as (
    select
        *,
        unnest(map_entries(model_row::map (varchar, json))) as platform_entry
    from model_rows
    where json_type(model_row) = 'OBJECT'
),

typed as (
    select
        load_id,
        record_index,
        '$.results_by_modality.' || to_json(modality)
        || '[' || row_index || '].' || to_json(platform_entry['key']) as config_path,
        model_row ->> '$.model' as model_name,
        modality,
        {{ benchmark_hardware_type("platform_entry['key']") }} as hardware_type,
        {{ json_to_double("platform_entry['value'] -> '$.time_ms'") }} as average_latency_ms,
        {{ json_to_double("platform_entry['value'] -> '$.memory_mb'") }} as memory_peak_mb,
        json_object('implementation', platform_entry['value'] -> '$.implementation') as metrics,
        coalesce(upper(platform_entry['value'] ->> '$.implementation') like 'SIMULATED%', false)
            as is_flagged_simulated,
        coalesce({{ json_to_boolean("platform_entry['value'] -> '$.success'") }}, false) as succeeded,
        platform_entry['value'] ->> '$.error' as error_message
    from platforms
    where json_type(platform_entry['value']) = 'OBJECT'
)

select
    typed.load_id,
    typed.record_index,
    typed.config_path,
    typed.model_name,
    typed.modality,
    typed.hardware_type,
    typed.average_latency_ms,
    typed.memory_peak_mb,
    typed.metrics,
    typed.is_flagged_simulated,
    typed.succeeded,
    typed.error_message,
    'web_platform_comparison' as source_format
from typed
