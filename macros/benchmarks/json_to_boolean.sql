{#- A JSON boolean, or a string such as "True" / "false", as boolean; NULL for anything else. -#}
{% macro json_to_boolean(json_expression) -%}
    case
        when json_type({{ json_expression }}) in ('BOOLEAN', 'VARCHAR')
            then try_cast({{ json_expression }} ->> '$' as boolean)
    end
{%- endmacro %}
