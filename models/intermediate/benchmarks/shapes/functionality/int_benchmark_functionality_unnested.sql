-- One row per (model, hardware) run of a functionality check: detailed_results[] of a functionality report,
-- of each functionality_verification.<hardware> of a benchmark run, and each hardware validation document
-- ({model, platform, success, returncode, stderr}). Models are upstream keys (bert, clip, ...), named
-- through the document's own `models` map when it has one.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape in ('functionality_report', 'benchmark_run', 'hardware_validation')
),

reports as (
    select
        load_id,
        record_index,
        '$' as report_path,
        payload as report
    from documents
    where document_shape = 'functionality_report'
    union all
    select
        load_id,
        record_index,
        '$.functionality_verification.' || to_json(report_entry['key']) as report_path,
        report_entry['value'] as report
    from (
        select
            load_id,
            record_index,
            unnest(
                map_entries((payload -> '$.functionality_verification')::map (varchar, json))
            ) as report_entry
        from documents
        where
            document_shape = 'benchmark_run'
            and json_type(payload, '$.functionality_verification') = 'OBJECT'
    ) as verification
),

report_results as (
    select
        load_id,
        record_index,
        report_path,
        {{ json_to_timestamp("report -> '$.stats.timestamp'") }} as report_at,
        unnest(range(json_array_length(report -> '$.detailed_results')::bigint)) as result_index,
        unnest(from_json(report -> '$.detailed_results', '["JSON"]')) as result
    from reports
    where json_type(report, '$.detailed_results') = 'ARRAY'
),

results as (
    select
        load_id,
        record_index,
        report_path || '.detailed_results[' || result_index || ']' as result_path,
        report_at,
        'functionality' as test_type,
        result
    from report_results
    union all
    select
        load_id,
        record_index,
        '$' as result_path,
        null::timestamp as report_at,
        'hardware_validation' as test_type,
        payload as result
    from documents
    where document_shape = 'hardware_validation'
),

typed as (
    select
        results.load_id,
        results.record_index,
        results.result_path,
        {{ json_to_timestamp("results.result -> '$.timestamp'") }} as record_at,
        results.report_at as section_at,
        results.result ->> '$.model' as model_key,
        json_extract_string(
            documents.payload, '$.models.' || to_json(results.result ->> '$.model') || '.name'
        ) as model_name,
        {{ benchmark_hardware_type(
            "coalesce(results.result ->> '$.hardware', results.result ->> '$.platform')"
        ) }} as hardware_type,
        results.test_type,
        {{ json_to_boolean("results.result -> '$.success'") }} as success,
        {{ last_line("results.result ->> '$.stderr'") }} as stderr_last_line,
        json_object(
            'return_code', coalesce(results.result -> '$.return_code', results.result -> '$.returncode'),
            'file_path', results.result -> '$.file_path'
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
    typed.section_at,
    typed.model_key,
    typed.model_name,
    typed.model_key as model_family,
    typed.hardware_type,
    typed.test_type,
    {{ benchmark_test_status('null', 'typed.success') }} as status,
    case when not typed.success then typed.stderr_last_line end as error_message,
    typed.details,
    documents.document_shape as source_format
from typed
inner join documents
    on typed.load_id = documents.load_id and typed.record_index = documents.record_index
