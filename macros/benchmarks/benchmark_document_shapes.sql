{#- The registry of document shapes: one entry per rule, in the order the rules are tried (the first that
    matches a document names its shape, so keep specific before general). The classification
    (int_benchmark_document_shapes), the shape kinds, the unions of shape models, the accepted-shapes test,
    the reasons in unrecognized_documents and int_benchmark_shape_registry are generated from it.

    An entry: {% call document_shape(shapes, name, results=..., tests=..., reason=..., kind=...) %}
    a condition on `payload` (the document) and `top_level_keys` {% endcall %}
    - results: the model parsing the shape into benchmark result rows (int_benchmark_results_unioned);
    - tests: the model parsing it into test outcomes (int_benchmark_test_results_unioned);
    - reason: for a shape that carries neither, why (unrecognized_documents lists it);
    - kind: only for shapes read outside the benchmark models (generator_export).
    A shape with a second rule tried later repeats only its name and the rule. -#}
{% macro benchmark_document_shape_rules() -%}
    {%- set shapes = [] -%}

    {%- call document_shape(shapes, 'generator_export', kind='generator_export') %}
        json_exists(payload, '$.export_date')
        and (json_type(payload, '$.tasks') = 'ARRAY' or json_type(payload, '$.batches') = 'ARRAY')
    {% endcall -%}

    {%- call document_shape(shapes, 'flat_result', results='int_benchmark_flat_rows') %}
        json_type(payload, '$.model_name') = 'VARCHAR'
        and json_exists(payload, '$.hardware_type')
        and (json_exists(payload, '$.throughput_items_per_second') or json_exists(payload, '$.average_latency_ms'))
    {% endcall -%}

    {%- call document_shape(shapes, 'test_result', tests='int_benchmark_flat_tests') %}
        json_type(payload, '$.model_name') = 'VARCHAR'
        and json_exists(payload, '$.hardware_type')
        and (json_exists(payload, '$.test_type') or json_exists(payload, '$.success') or json_exists(payload, '$.status'))
    {% endcall -%}

    {%- call document_shape(shapes, 'direct_benchmark', results='int_benchmark_direct_unnested') %}
        json_type(payload, '$.batch_results') = 'OBJECT' and json_exists(payload, '$.model')
    {% endcall -%}

    {%- call document_shape(shapes, 'batch_benchmark', results='int_benchmark_direct_unnested') %}
        json_type(payload, '$.results') = 'OBJECT'
        and json_type(payload, '$.models') = 'ARRAY'
        and json_exists(payload, '$.hardware')
    {% endcall -%}

    {%- call document_shape(shapes, 'model_benchmark', results='int_benchmark_model_batches_unnested') %}
        json_type(payload, '$.batch_sizes') = 'OBJECT'
        and json_exists(payload, '$.model')
        and json_exists(payload, '$.hardware')
    {% endcall -%}

    {%- call document_shape(shapes, 'suite_benchmark', results='int_benchmark_suite_unnested') %}
        json_type(payload, '$.benchmarks') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(
        shapes, 'benchmark_run', results='int_benchmark_suite_unnested', tests='int_benchmark_functionality_unnested'
    ) %}
        json_type(payload, '$.performance_benchmarks') = 'OBJECT'
        or json_type(payload, '$.functionality_verification') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(shapes, 'web_platform_result', results='int_benchmark_web_unnested') %}
        json_type(payload, '$.platform') = 'VARCHAR' and json_type(payload, '$.metrics') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(shapes, 'web_platform_batch', results='int_benchmark_web_unnested') %}
        json_type(payload, '$.platform') = 'VARCHAR' and json_type(payload, '$.results') = 'ARRAY'
    {% endcall -%}

    {%- call document_shape(
        shapes, 'web_platform_comparison', results='int_benchmark_web_comparison_unnested'
    ) %}
        json_type(payload, '$.results_by_modality') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(shapes, 'compatibility_matrix', tests='int_benchmark_compatibility_unnested') %}
        len(json_extract(payload, '$.model_families.*.hardware_compatibility')) > 0
    {% endcall -%}

    {%- call document_shape(shapes, 'functionality_report', tests='int_benchmark_functionality_unnested') %}
        json_type(payload, '$.detailed_results') = 'ARRAY' and json_type(payload, '$.model_results') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(shapes, 'critical_model_tests', tests='int_benchmark_critical_tests_unnested') %}
        len(json_extract(payload, '$.model_results.*.platform_status')) > 0
    {% endcall -%}

    {%- call document_shape(shapes, 'hardware_validation', tests='int_benchmark_functionality_unnested') %}
        json_exists(payload, '$.model') and json_exists(payload, '$.platform') and json_exists(payload, '$.returncode')
    {% endcall -%}

    {%- call document_shape(shapes, 'single_hardware_test', tests='int_benchmark_hardware_tests_unnested') %}
        json_exists(payload, '$.model') and json_exists(payload, '$.platform') and json_exists(payload, '$.success')
    {% endcall -%}

    {%- call document_shape(
        shapes, 'skill_hardware_test',
        results='int_benchmark_skill_timings_unnested', tests='int_benchmark_hardware_tests_unnested'
    ) %}
        len(json_extract(payload, '$.results.*.success')) > 0
    {% endcall -%}

    {%- call document_shape(shapes, 'skill_test_report', tests='int_benchmark_skill_tests_unnested') %}
        json_type(payload, '$.status') = 'OBJECT' or json_type(payload, '$.results.status') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(shapes, 'skill_performance_run', tests='int_benchmark_skill_tests_unnested') %}
        json_type(payload, '$.results') = 'OBJECT' and json_type(payload, '$.metadata.test_files') = 'ARRAY'
    {% endcall -%}

    {%- call document_shape(shapes, 'skill_tests_run', tests='int_benchmark_skill_tests_unnested') %}
        json_type(payload, '$.skill_tests') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(shapes, 'skill_collected_results', tests='int_benchmark_skill_tests_unnested') %}
        len(top_level_keys) > 0 and len(list_filter(top_level_keys, lambda k: not starts_with(k, 'test_'))) = 0
    {% endcall -%}

    {%- call document_shape(shapes, 'benchmark_summary', results='int_benchmark_summary_unnested') %}
        len(json_extract(payload, '$.model_families.*.hardware_results')) > 0
    {% endcall -%}

    {%- call document_shape(
        shapes, 'benchmark_config', reason='benchmark configuration: models, batch sizes and hardware to run, no result'
    ) %}
        json_type(payload, '$.batch_sizes') = 'ARRAY' and json_type(payload, '$.hardware_types') = 'ARRAY'
    {% endcall -%}

    {%- call document_shape(shapes, 'benchmark_progress', tests='int_benchmark_progress_unnested') %}
        json_type(payload, '$.completed_benchmarks') = 'ARRAY' or json_type(payload, '$.failed_benchmarks') = 'ARRAY'
    {% endcall -%}

    {%- call document_shape(
        shapes, 'empty_aggregate', reason='aggregate of no results: its sections are empty'
    ) %}
        json_type(payload, '$.inference') = 'OBJECT'
        and json_type(payload, '$.training') = 'OBJECT'
        and len(json_keys(payload, '$.inference')) = 0
        and len(json_keys(payload, '$.training')) = 0
        and len(coalesce(json_keys(payload, '$.hardware_compatibility'), [])) = 0
    {% endcall -%}

    {%- call document_shape(
        shapes, 'browser_capabilities', reason='browser capabilities (WebGPU/WebNN features): no model measured or tested'
    ) -%}
        json_type(payload, '$.browser') = 'VARCHAR'
        and (json_type(payload, '$.webgpu') = 'OBJECT' or json_type(payload, '$.webnn') = 'OBJECT')
    {% endcall -%}

    {%- call document_shape(
        shapes, 'hardware_coverage_report',
        reason='coverage of test files by hardware (which methods a file has): static analysis, no test run'
    ) -%}
        json_type(payload, '$.platform_coverage') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(
        shapes, 'test_generation_summary', reason='summary of generated test files: no model measured or tested'
    ) %}
        json_type(payload, '$.generation_results') = 'ARRAY' or json_type(payload, '$.generation_stats') = 'OBJECT'
    {% endcall -%}

    {%- call document_shape(shapes, 'skill_status_map', tests='int_benchmark_skill_tests_unnested') %}
        list_contains(top_level_keys, 'apple_tests')
        or (
            json_type(payload, '$.results') = 'OBJECT'
            and (json_exists(payload, '$.results.cpu_init') or json_exists(payload, '$.results.init'))
        )
    {% endcall -%}

    {%- call document_shape(
        shapes, 'api_backend_tests',
        reason='tests of API backends (endpoints, queueing, backoff): no model measured or tested on hardware'
    ) -%}
        list_has_any(top_level_keys, ['endpoint_handler', 'endpoint_handler_creation', 'queue_test'])
        or list_contains(top_level_keys, 'successful_requests')
        or json_type(payload, '$.apis') = 'OBJECT'
        or (list_contains(top_level_keys, 'success_count') and json_type(payload, '$.tests') = 'OBJECT')
        or list_contains(top_level_keys, 'discovered_models')
        or json_exists(payload, '$.models[0].response_time')
    {% endcall -%}

    {%- call document_shape(
        shapes, 'test_file_fix_log', reason='log of fixes made to test files: no model measured or tested'
    ) %}
        json_type(payload, '$.files_details') = 'ARRAY' or json_type(payload, '$.files_analyzed') = 'ARRAY'
    {% endcall -%}

    {#- second rules, tried after the shapes above -#}
    {%- call document_shape(shapes, 'skill_hardware_test') %}
        len(json_extract(payload, '$.results.*.pipeline_success')) > 0
        or len(json_extract(payload, '$.results.*.from_pretrained_success')) > 0
        or len(json_extract(payload, '$.results.*.pipeline_error_type')) > 0
    {% endcall -%}

    {%- call document_shape(shapes, 'critical_model_tests') %}
        len(json_extract(payload, '$.model_results.*.return_code')) > 0
    {% endcall -%}

    {%- call document_shape(
        shapes, 'script_error',
        reason='crash report of a test script (error and traceback): no model measured or tested'
    ) -%}
        list_contains(top_level_keys, 'traceback') and json_type(payload, '$.error') = 'VARCHAR'
    {% endcall -%}

    {%- call document_shape(shapes, 'empty_aggregate') %}
        json_type(payload, '$.model_families') = 'OBJECT' and len(json_keys(payload, '$.model_families')) = 0
    {% endcall -%}

    {{- return(shapes) -}}
{%- endmacro %}


{#- One registry entry (see benchmark_document_shape_rules); the rule is the body of the call block. -#}
{% macro document_shape(shapes, name, results=none, tests=none, reason=none, kind=none) -%}
    {%- do shapes.append({
        'name': name, 'rule': caller() | trim, 'results': results, 'tests': tests, 'reason': reason, 'kind': kind
    }) -%}
{%- endmacro %}
