{#- The one vocabulary of outcomes: a reported status text as passed / failed / skipped, NULL when the text is
    missing or none of these. -#}
{% macro benchmark_status_outcome(status_expression) -%}
    case
        when lower(trim({{ status_expression }})) in ('passed', 'pass', 'success', 'succeeded', 'ok', 'completed')
            then 'passed'
        when lower(trim({{ status_expression }})) in ('failed', 'fail', 'failure', 'error', 'timeout', 'crashed')
            then 'failed'
        when lower(trim({{ status_expression }})) in ('skipped', 'skip', 'not_run', 'unavailable', 'not_available')
            then 'skipped'
    end
{%- endmacro %}

{#- A test outcome as passed / failed / skipped, from a reported status text, else a success flag; NULL when
    neither says. -#}
{% macro benchmark_test_status(status_expression, success_expression) -%}
    coalesce(
        {{ benchmark_status_outcome(status_expression) }},
        case when {{ success_expression }} then 'passed' when not {{ success_expression }} then 'failed' end
    )
{%- endmacro %}

{#- Whether a benchmark configuration succeeded by its status text (the vocabulary above): true when it says
    passed, false for any other text, NULL when there is none. -#}
{% macro benchmark_status_succeeded(status_expression) -%}
    case
        when ({{ status_expression }}) is not null
            then coalesce({{ benchmark_status_outcome(status_expression) }} = 'passed', false)
    end
{%- endmacro %}
