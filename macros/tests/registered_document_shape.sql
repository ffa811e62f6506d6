{#- Fails with the rows whose shape is not in the registry of document shapes (benchmark_document_shapes) and
    is not 'unrecognized'. -#}
{% test registered_document_shape(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} not in (
        '{{ (benchmark_document_shapes() | map(attribute="name") | list + ["unrecognized"]) | join("', '") }}'
    )
{% endtest %}
