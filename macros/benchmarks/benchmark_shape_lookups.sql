{#- The registered shapes, once each, in the order of their first rule: name, kind (measurements, tests,
    measurements_and_tests, no_measurements, generator_export), the models reading it, the reason, the number
    of rules. A second rule of a shape must not redeclare what the shape carries. -#}
{% macro benchmark_document_shapes() %}
    {%- set shapes = {} -%}
    {%- for rule in benchmark_document_shape_rules() -%}
        {%- set first = shapes.get(rule.name) -%}
        {%- set kind = rule.kind or (
            'measurements_and_tests' if rule.results and rule.tests
            else 'measurements' if rule.results
            else 'tests' if rule.tests
            else 'no_measurements' if rule.reason
        ) -%}
        {%- do exceptions.raise_compiler_error(
            'document shape ' ~ rule.name ~ ': its first rule (only) names the model reading it or a reason'
        ) if (first and kind) or not (first or kind) -%}
        {%- do first.update({'rule_count': first.rule_count + 1}) if first -%}
        {%- do shapes.update({rule.name: dict(rule, kind=kind, rule_count=1)}) if not first -%}
    {%- endfor -%}
    {{ return(shapes.values() | list) }}
{% endmacro %}


{#- The models parsing registered shapes into one output ('results' or 'tests'), each once. -#}
{% macro benchmark_shape_models(output) %}
    {%- set models = [] -%}
    {%- for shape in benchmark_document_shapes() if shape[output] and shape[output] not in models -%}
        {%- do models.append(shape[output]) -%}
    {%- endfor -%}
    {{- return(models) -}}
{% endmacro %}


{#- `select * from` each shape model of one output, unioned by name. -#}
{% macro union_shape_models(output) %}
    {%- for model in benchmark_shape_models(output) -%}
        {{ 'union all by name' if not loop.first }}
        select * from {{ ref(model) }}
    {% endfor -%}
{% endmacro %}
