-- One row per (model, hardware) outcome of a single-model hardware test: a single test document
-- ({model, platform, success, error, execution_time}) or each results.<test> of a skill hardware test
-- ({success, device?, model?, execution_time?, implementation_type?}; the model from metadata otherwise;
-- pipeline_success / from_pretrained_success where the test names its outcome, skipped for a
-- missing_dependency error type).
-- A key names a test and maybe a hardware kind (pipeline_cuda, from_pretrained, openvino): the test is the
-- test case, never hardware.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape in ('single_hardware_test', 'skill_hardware_test')
),

results as (
    select
        load_id,
        record_index,
        '$' as result_path,
        null as result_key,
        payload as result
    from documents
    where document_shape = 'single_hardware_test'
    union all
    select
        load_id,
        record_index,
        '$.results.' || to_json(result_entry['key']) as result_path,
        result_entry['key'] as result_key,
        result_entry['value'] as result
    from (
        select
            load_id,
            record_index,
            unnest(map_entries((payload -> '$.results')::map (varchar, json))) as result_entry
        from documents
        where document_shape = 'skill_hardware_test'
    ) as skill_results
),

typed as (
    select
        results.load_id,
        results.record_index,
        results.result_path,
        {{ json_to_timestamp("results.result -> '$.timestamp'") }} as record_at,
        coalesce(
            results.result ->> '$.model',
            documents.payload ->> '$.metadata.model_id',
            documents.payload ->> '$.metadata.model_name',
            documents.payload ->> '$.metadata.model'
        ) as model_name,
        coalesce(
            {{ benchmark_hardware_type(
                "coalesce(results.result ->> '$.device', results.result ->> '$.platform')"
            ) }},
            {{ benchmark_hardware_in_key('results.result_key') }},
            {{ benchmark_hardware_type('results.result_key') }}
        ) as hardware_type,
        results.result_key,
        case when results.result_key is null then 'single_hardware' else 'skill_hardware' end as test_type,
        coalesce(
            {{ json_to_boolean("results.result -> '$.success'") }},
            -- skill tests of one model name the outcome after the test (pipeline_success, ...)
            {{ json_to_boolean("results.result -> '$.pipeline_success'") }},
            {{ json_to_boolean("results.result -> '$.from_pretrained_success'") }}
        ) as success,
        coalesce(
            results.result ->> '$.error',
            results.result ->> '$.error_message',
            results.result ->> '$.pipeline_error',
            results.result ->> '$.from_pretrained_error',
            results.result ->> '$.pipeline_test',
            results.result ->> '$.from_pretrained_test'
        ) as error_message,
        -- a test that could not run for missing dependencies was skipped, whatever its success flag says
        case
            when
                coalesce(
                    results.result ->> '$.pipeline_error_type',
                    results.result ->> '$.from_pretrained_error_type'
                ) = 'missing_dependency'
                then 'skipped'
        end as reported_status,
        {{ json_to_double("results.result -> '$.execution_time'") }} as execution_time_seconds,
        results.result ->> '$.implementation_type' as implementation_type,
        json_object(
            'test', results.result_key, 'implementation_type', results.result -> '$.implementation_type'
        ) as details
    from results
    inner join documents
        on results.load_id = documents.load_id and results.record_index = documents.record_index
    where json_type(results.result) = 'OBJECT'
)

select
    documents.load_id,
    documents.record_index,
    typed.result_path,
    typed.record_at,
    typed.model_name,
    typed.hardware_type,
    typed.test_type,
    {{ benchmark_test_case_from_key('typed.result_key', 'typed.hardware_type') }} as test_case,
    {{ benchmark_test_status('typed.reported_status', 'typed.success') }} as status,
    typed.error_message,
    typed.execution_time_seconds,
    typed.details,
    coalesce(regexp_matches(upper(typed.implementation_type), 'MOCK|SIMULAT'), false) as is_flagged_simulated,
    documents.document_shape as source_format
from typed
inner join documents
    on typed.load_id = documents.load_id and typed.record_index = documents.record_index
