-- One row per model listed under a hardware compatibility matrix cell
-- (model_families.<family>.hardware_compatibility.<hardware>: {compatible, performance_rating,
-- benchmark_results: [{model_name, timestamp}]}). Cells that list no model say nothing about a model
-- and give no row.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'compatibility_matrix'
),

families as (
    select
        load_id,
        record_index,
        unnest(map_entries((payload -> '$.model_families')::map (varchar, json))) as family_entry
    from documents
),

cells as (
    select
        load_id,
        record_index,
        family_entry['key'] as family_name,
        unnest(
            map_entries((family_entry['value'] -> '$.hardware_compatibility')::map (varchar, json))
        ) as cell
    from families
    where json_type(family_entry['value'], '$.hardware_compatibility') = 'OBJECT'
),

listed as (
    select
        load_id,
        record_index,
        family_name,
        cell['key'] as hardware_key,
        cell['value'] as cell_value,
        unnest(range(json_array_length(cell['value'] -> '$.benchmark_results')::bigint)) as listed_index,
        unnest(from_json(cell['value'] -> '$.benchmark_results', '["JSON"]')) as listed_model
    from cells
    where json_type(cell['value'], '$.benchmark_results') = 'ARRAY'
),

typed as (
    select
        load_id,
        record_index,
        '$.model_families.' || to_json(family_name) || '.hardware_compatibility.' || to_json(hardware_key)
        || '.benchmark_results[' || listed_index || ']' as result_path,
        {{ json_to_timestamp("listed_model -> '$.timestamp'") }} as record_at,
        listed_model ->> '$.model_name' as model_name,
        {{ benchmark_hardware_type('hardware_key') }} as hardware_type,
        {{ json_to_boolean("cell_value -> '$.compatible'") }} as is_compatible,
        json_object(
            'compatible', cell_value -> '$.compatible',
            'performance_rating', cell_value -> '$.performance_rating',
            'model_category', family_name
        ) as compatibility
    from listed
    where json_type(listed_model) = 'OBJECT'
)

select
    typed.load_id,
    typed.record_index,
    typed.result_path,
    typed.record_at,
    typed.model_name,
    typed.hardware_type,
    'compatibility_matrix' as test_type,
    {{ benchmark_test_status('null', 'typed.is_compatible') }} as status,
    typed.compatibility,
    'compatibility_matrix' as source_format
from typed
