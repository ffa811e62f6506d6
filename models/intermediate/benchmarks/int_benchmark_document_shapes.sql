-- One row per landed document, with the shape it was recognised as (first matching rule wins) and what
-- that shape carries; no payload (int_benchmark_documents_classified joins it back). Recognising a shape
-- reads the document some thirty times, so it is done once per document: each run appends the new loads.
{{ config(materialized='incremental', incremental_strategy='append') }}

with documents as (
    select
        load_id,
        record_index,
        payload,
        top_level_keys,
        coalesce(
            {{ json_to_timestamp("payload -> '$.timestamp'") }},
            {{ json_to_timestamp("payload -> '$.test_timestamp'") }},
            {{ json_to_timestamp("payload -> '$.metadata.timestamp'") }},
            {{ json_to_timestamp("payload -> '$.metadata.test_timestamp'") }}
        ) as document_at,
        coalesce(
            {{ json_string_list("payload -> '$.simulated_hardware'", lower=true) }}, []
        ) as simulated_hardware
    from {{ ref('stg_raw__documents') }}
    where load_id > {{ incremental_watermark('load_id') }}
),

shaped as (
    select
        load_id,
        record_index,
        document_at,
        simulated_hardware,
        case
            when
                json_exists(payload, '$.export_date')
                and (json_type(payload, '$.tasks') = 'ARRAY' or json_type(payload, '$.batches') = 'ARRAY')
                then 'generator_export'
            when
                json_type(payload, '$.model_name') = 'VARCHAR'
                and json_exists(payload, '$.hardware_type')
                and (
                    json_exists(payload, '$.throughput_items_per_second')
                    or json_exists(payload, '$.average_latency_ms')
                )
                then 'flat_result'
            when
                json_type(payload, '$.model_name') = 'VARCHAR'
                and json_exists(payload, '$.hardware_type')
                and (
                    json_exists(payload, '$.test_type')
                    or json_exists(payload, '$.success')
                    or json_exists(payload, '$.status')
                )
                then 'test_result'
            when json_type(payload, '$.batch_results') = 'OBJECT' and json_exists(payload, '$.model')
                then 'direct_benchmark'
            when
                json_type(payload, '$.results') = 'OBJECT'
                and json_type(payload, '$.models') = 'ARRAY'
                and json_exists(payload, '$.hardware')
                then 'batch_benchmark'
            when
                json_type(payload, '$.batch_sizes') = 'OBJECT'
                and json_exists(payload, '$.model')
                and json_exists(payload, '$.hardware')
                then 'model_benchmark'
            when json_type(payload, '$.benchmarks') = 'OBJECT'
                then 'suite_benchmark'
            when
                json_type(payload, '$.performance_benchmarks') = 'OBJECT'
                or json_type(payload, '$.functionality_verification') = 'OBJECT'
                then 'benchmark_run'
            when json_type(payload, '$.platform') = 'VARCHAR' and json_type(payload, '$.metrics') = 'OBJECT'
                then 'web_platform_result'
            when json_type(payload, '$.platform') = 'VARCHAR' and json_type(payload, '$.results') = 'ARRAY'
                then 'web_platform_batch'
            when json_type(payload, '$.results_by_modality') = 'OBJECT'
                then 'web_platform_comparison'
            when len(json_extract(payload, '$.model_families.*.hardware_compatibility')) > 0
                then 'compatibility_matrix'
            when
                json_type(payload, '$.detailed_results') = 'ARRAY'
                and json_type(payload, '$.model_results') = 'OBJECT'
                then 'functionality_report'
            when len(json_extract(payload, '$.model_results.*.platform_status')) > 0
                then 'critical_model_tests'
            when
                json_exists(payload, '$.model')
                and json_exists(payload, '$.platform')
                and json_exists(payload, '$.returncode')
                then 'hardware_validation'
            when
                json_exists(payload, '$.model')
                and json_exists(payload, '$.platform')
                and json_exists(payload, '$.success')
                then 'single_hardware_test'
            when len(json_extract(payload, '$.results.*.success')) > 0
                then 'skill_hardware_test'
            when
                json_type(payload, '$.status') = 'OBJECT'
                or json_type(payload, '$.results.status') = 'OBJECT'
                then 'skill_test_report'
            when
                json_type(payload, '$.results') = 'OBJECT'
                and json_type(payload, '$.metadata.test_files') = 'ARRAY'
                then 'skill_performance_run'
            when json_type(payload, '$.skill_tests') = 'OBJECT'
                then 'skill_tests_run'
            when
                len(top_level_keys) > 0
                and len(list_filter(top_level_keys, lambda k: not starts_with(k, 'test_'))) = 0
                then 'skill_collected_results'
            when len(json_extract(payload, '$.model_families.*.hardware_results')) > 0
                then 'benchmark_summary'
            when
                json_type(payload, '$.batch_sizes') = 'ARRAY'
                and json_type(payload, '$.hardware_types') = 'ARRAY'
                then 'benchmark_config'
            when
                json_type(payload, '$.completed_benchmarks') = 'ARRAY'
                or json_type(payload, '$.failed_benchmarks') = 'ARRAY'
                then 'benchmark_progress'
            when
                json_type(payload, '$.inference') = 'OBJECT'
                and json_type(payload, '$.training') = 'OBJECT'
                and len(json_keys(payload, '$.inference')) = 0
                and len(json_keys(payload, '$.training')) = 0
                and len(coalesce(json_keys(payload, '$.hardware_compatibility'), [])) = 0
                then 'empty_aggregate'
            when
                json_type(payload, '$.browser') = 'VARCHAR'
                and (json_type(payload, '$.webgpu') = 'OBJECT' or json_type(payload, '$.webnn') = 'OBJECT')
                then 'browser_capabilities'
            when json_type(payload, '$.platform_coverage') = 'OBJECT'
                then 'hardware_coverage_report'
            when
                json_type(payload, '$.generation_results') = 'ARRAY'
                or json_type(payload, '$.generation_stats') = 'OBJECT'
                then 'test_generation_summary'
            when
                list_contains(top_level_keys, 'apple_tests')
                or (
                    json_type(payload, '$.results') = 'OBJECT'
                    and (json_exists(payload, '$.results.cpu_init') or json_exists(payload, '$.results.init'))
                )
                then 'skill_status_map'
            when
                list_has_any(
                    top_level_keys, ['endpoint_handler', 'endpoint_handler_creation', 'queue_test']
                )
                or list_contains(top_level_keys, 'successful_requests')
                or json_type(payload, '$.apis') = 'OBJECT'
                or (
                    list_contains(top_level_keys, 'success_count')
                    and json_type(payload, '$.tests') = 'OBJECT'
                )
                or list_contains(top_level_keys, 'discovered_models')
                or json_exists(payload, '$.models[0].response_time')
                then 'api_backend_tests'
            when
                json_type(payload, '$.files_details') = 'ARRAY'
                or json_type(payload, '$.files_analyzed') = 'ARRAY'
                then 'test_file_fix_log'
            when
                len(json_extract(payload, '$.results.*.pipeline_success')) > 0
                or len(json_extract(payload, '$.results.*.from_pretrained_success')) > 0
                or len(json_extract(payload, '$.results.*.pipeline_error_type')) > 0
                then 'skill_hardware_test'
            when len(json_extract(payload, '$.model_results.*.return_code')) > 0
                then 'critical_model_tests'
            when list_contains(top_level_keys, 'traceback') and json_type(payload, '$.error') = 'VARCHAR'
                then 'script_error'
            when
                json_type(payload, '$.model_families') = 'OBJECT'
                and len(json_keys(payload, '$.model_families')) = 0
                then 'empty_aggregate'
            else 'unrecognized'
        end as document_shape
    from documents
)

select
    load_id,
    record_index,
    document_at,
    simulated_hardware,
    document_shape,
    case
        when document_shape in (
            'flat_result', 'direct_benchmark', 'batch_benchmark', 'model_benchmark', 'suite_benchmark',
            'web_platform_result', 'web_platform_batch', 'web_platform_comparison', 'benchmark_summary'
        ) then 'measurements'
        when document_shape in ('benchmark_run', 'skill_hardware_test')
            then 'measurements_and_tests'
        when document_shape in (
            'test_result', 'compatibility_matrix', 'functionality_report', 'critical_model_tests',
            'hardware_validation', 'single_hardware_test', 'skill_test_report', 'skill_performance_run',
            'skill_tests_run', 'skill_collected_results', 'skill_status_map', 'benchmark_progress'
        ) then 'tests'
        when document_shape = 'generator_export' then 'generator_export'
        when document_shape = 'unrecognized' then 'unrecognized'
        else 'no_measurements'
    end as shape_kind
from shaped
