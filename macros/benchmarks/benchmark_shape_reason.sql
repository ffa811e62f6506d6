{#- Why a document of this shape yields no benchmark or test row (unrecognized_documents.reason). -#}
{% macro benchmark_shape_reason(shape_expression) -%}
    case {{ shape_expression }}
        when 'benchmark_config' then 'benchmark configuration: models, batch sizes and hardware to run, no result'
        when 'empty_aggregate' then 'aggregate of no results: its sections are empty'
        when 'script_error' then 'crash report of a test script (error and traceback): no model measured or tested'
        when 'browser_capabilities' then 'browser capabilities (WebGPU/WebNN features): no model measured or tested'
        when 'hardware_coverage_report'
            then 'coverage of test files by hardware (which methods a file has): static analysis, no test run'
        when 'test_generation_summary' then 'summary of generated test files: no model measured or tested'
        when 'api_backend_tests'
            then 'tests of API backends (endpoints, queueing, backoff): no model measured or tested on hardware'
        when 'test_file_fix_log' then 'log of fixes made to test files: no model measured or tested'
        else 'no known shape'
    end
{%- endmacro %}
