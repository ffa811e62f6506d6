-- One row per (model, hardware) of a critical model test run
-- (model_results.<model>: {status, elapsed_time, platform_status: {<hardware>: REAL | MOCK | ...},
-- structured_data.examples[{platform, elapsed_time, implementation_type}]}), or one row (hardware NULL) per
-- model whose run reports no platform status.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'critical_model_tests'
),

models as (
    select
        load_id,
        record_index,
        unnest(map_entries((payload -> '$.model_results')::map (varchar, json))) as model_entry
    from documents
),

platforms as (
    select
        load_id,
        record_index,
        model_entry['key'] as model_key,
        model_entry['value'] as model_result,
        unnest(
            map_entries((model_entry['value'] -> '$.platform_status')::map (varchar, json))
        ) as platform_entry
    from models
    where json_type(model_entry['value'], '$.platform_status') = 'OBJECT'
),

typed as (
    select
        load_id,
        record_index,
        '$.model_results.' || to_json(model_key) || '.platform_status.' || to_json(platform_entry['key'])
            as result_path,
        model_key,
        coalesce(model_result ->> '$.structured_data.model_name', model_key) as model_name,
        {{ benchmark_hardware_type("platform_entry['key']") }} as hardware_type,
        lower(model_result ->> '$.status') as model_status,
        upper(platform_entry['value'] ->> '$') as platform_status,
        list_filter(
            coalesce(from_json(model_result -> '$.structured_data.examples', '["JSON"]'), []),
            lambda example: lower(example ->> '$.platform') = lower(platform_entry['key'])
        ) as platform_examples
    from platforms
)

select
    typed.load_id,
    typed.record_index,
    typed.result_path,
    {{ json_to_timestamp('typed.platform_examples[1] -> \'$.timestamp\'') }} as record_at,
    typed.model_key,
    typed.model_name,
    typed.model_key as model_family,
    typed.hardware_type,
    'critical_model' as test_type,
    case
        when typed.platform_status like '%ERROR%' or typed.platform_status like '%FAIL%' then 'failed'
        when typed.platform_status like '%NOT AVAILABLE%' then 'skipped'
        else {{ benchmark_test_status('typed.model_status', 'null') }}
    end as status,
    list_sum(list_transform(
        typed.platform_examples, lambda example: {{ json_to_double("example -> '$.elapsed_time'") }}
    )) as execution_time_seconds,
    json_object('platform_status', typed.platform_status) as details,
    typed.platform_status like '%MOCK%' or typed.platform_status like '%SIMULAT%' as is_flagged_simulated,
    'critical_model_tests' as source_format
from typed
union all
-- a run that reports no platform status (an older writer: {status, return_code, elapsed_time}) is one
-- outcome of the model, on no named hardware
select
    models.load_id,
    models.record_index,
    '$.model_results.' || to_json(models.model_entry['key']) as result_path,
    null::timestamp as record_at,
    models.model_entry['key'] as model_key,
    models.model_entry['key'] as model_name,
    models.model_entry['key'] as model_family,
    null as hardware_type,
    'critical_model' as test_type,
    {{ benchmark_test_status("models.model_entry['value'] ->> '$.status'", 'null') }} as status,
    {{ json_to_double("models.model_entry['value'] -> '$.elapsed_time'") }} as execution_time_seconds,
    json_object('return_code', models.model_entry['value'] -> '$.return_code') as details,
    false as is_flagged_simulated,
    'critical_model_tests' as source_format
from models
where
    json_type(models.model_entry['value']) = 'OBJECT'
    and not json_exists(models.model_entry['value'], '$.platform_status')
