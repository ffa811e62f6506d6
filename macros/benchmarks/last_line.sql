{#- The last non-blank line of a text (the exception message at the end of a traceback); NULL when blank. -#}
{% macro last_line(text_expression) -%}
    nullif(trim(list_filter(string_split(coalesce({{ text_expression }}, ''), chr(10)), lambda x: trim(x) <> '')[-1]), '')
{%- endmacro %}
