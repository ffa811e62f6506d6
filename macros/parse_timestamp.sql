{#- A UTC `timestamp` from ISO-8601 text (UTC when it has no offset) or `YYYYMMDD_HHMMSS`; NULL otherwise. -#}
{% macro parse_timestamp(text_expression) -%}
    coalesce(
        timezone('UTC', try_cast({{ text_expression }} as timestamptz)),
        try_strptime({{ text_expression }}, '%Y%m%d_%H%M%S')
    )
{%- endmacro %}
