{#- The numbers of a JSON array as double[] (non-numbers skipped); NULL when it is not an array. -#}
{% macro json_number_list(json_expression) -%}
    case
        when json_type({{ json_expression }}) = 'ARRAY'
            then list_filter(
                list_transform(from_json({{ json_expression }}, '["JSON"]'), lambda x: {{ json_to_double('x') }}),
                lambda x: x is not null
            )
    end
{%- endmacro %}
