{#- A JSON number, or a string holding one, as double; NULL for anything else (objects, booleans, text). -#}
{% macro json_to_double(json_expression) -%}
    case
        when json_type({{ json_expression }}) in ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR')
            then try_cast({{ json_expression }} ->> '$' as double)
    end
{%- endmacro %}
