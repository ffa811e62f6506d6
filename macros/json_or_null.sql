{#- A JSON value, or SQL NULL when it is missing or JSON `null` (so `{"x": null}` means no x). -#}
{% macro json_or_null(json_expression) -%}
    case when json_type({{ json_expression }}) <> 'NULL' then {{ json_expression }} end
{%- endmacro %}
