-- One row per registered document shape (macros/benchmarks/benchmark_document_shapes.sql), in the order of
-- its first rule: what it carries, the models parsing it, why it yields no row.
{%- for shape in benchmark_document_shapes() %}
    {% if not loop.first %}union all{% endif %}
    select
        {{ loop.index }} as shape_order,
        '{{ shape.name }}' as document_shape,
        '{{ shape.kind }}' as shape_kind,
        {{ shape.rule_count }} as rule_count,
        {{ "'" ~ shape.results ~ "'" if shape.results else 'null' }}::varchar as results_model,
        {{ "'" ~ shape.tests ~ "'" if shape.tests else 'null' }}::varchar as tests_model,
        {{ "'" ~ shape.reason ~ "'" if shape.reason else 'null' }}::varchar as reason
{%- endfor %}
