{#- Hardware kind as the seed names it: lower-case, upstream's skill-test prefixes folded (apple is mps,
    qualcomm is qnn). -#}
{% macro benchmark_hardware_type(text_expression) -%}
    case lower(trim({{ text_expression }}))
        when 'apple' then 'mps'
        when 'qualcomm' then 'qnn'
        else nullif(lower(trim({{ text_expression }})), '')
    end
{%- endmacro %}
