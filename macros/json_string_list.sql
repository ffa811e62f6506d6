{#- A JSON array of strings, or a single string, as a varchar[] (lower-cased when asked); NULL otherwise. -#}
{% macro json_string_list(json_expression, lower=false) -%}
    {%- set item = "lower(trim(x))" if lower else "x" -%}
    case json_type({{ json_expression }})
        when 'ARRAY' then list_transform(from_json({{ json_expression }}, '["VARCHAR"]'), lambda x: {{ item }})
        when 'VARCHAR' then list_transform([{{ json_expression }} ->> '$'], lambda x: {{ item }})
    end
{%- endmacro %}
