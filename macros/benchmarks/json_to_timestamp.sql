{#- A UTC timestamp from a JSON value: ISO-8601 or YYYYMMDD_HHMMSS text (see parse_timestamp), or epoch
    seconds as a number. -#}
{% macro json_to_timestamp(json_expression) -%}
    case
        when json_type({{ json_expression }}) in ('BIGINT', 'UBIGINT', 'DOUBLE')
            then timezone('UTC', to_timestamp(try_cast({{ json_expression }} ->> '$' as double)))
        when json_type({{ json_expression }}) = 'VARCHAR'
            then {{ parse_timestamp(json_expression ~ " ->> '$'") }}
    end
{%- endmacro %}
