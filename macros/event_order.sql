{#- Sort key of an event: occurred_at, then landing order (load, record). Lists compare element-wise. -#}
{% macro event_order(occurred_at, load_id, record_index) -%}
    [epoch_us({{ occurred_at }}), {{ load_id }}, {{ record_index }}]
{%- endmacro %}
