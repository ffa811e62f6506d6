{#- A test outcome as passed / failed / skipped, from a reported status text, else a success flag; NULL when
    neither says. -#}
{% macro benchmark_test_status(status_expression, success_expression) -%}
    case
        when lower(trim({{ status_expression }})) in ('passed', 'pass', 'success', 'succeeded', 'ok', 'completed')
            then 'passed'
        when lower(trim({{ status_expression }})) in ('failed', 'fail', 'failure', 'error', 'timeout', 'crashed')
            then 'failed'
        when lower(trim({{ status_expression }})) in ('skipped', 'skip', 'not_run', 'unavailable', 'not_available')
            then 'skipped'
        when {{ success_expression }} then 'passed'
        when not {{ success_expression }} then 'failed'
    end
{%- endmacro %}
