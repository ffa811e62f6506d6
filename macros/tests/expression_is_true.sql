{#- Fails with the rows for which the boolean expression is not true (what dbt_utils offers). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
