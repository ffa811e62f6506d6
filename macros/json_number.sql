{#- A JSON value as double when it is a JSON number; NULL for strings, booleans, objects, NULL. -#}
{% macro json_number(json_expression) -%}
    case
        when json_type({{ json_expression }}) in ('BIGINT', 'UBIGINT', 'DOUBLE')
            then try_cast({{ json_expression }} as double)
    end
{%- endmacro %}
