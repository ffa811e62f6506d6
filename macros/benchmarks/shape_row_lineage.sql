{#- The rows of shape models (`rows`: a CTE or relation with load_id, record_index, hardware_type and
    optionally section_at, is_flagged_simulated) with what every row carries from its document, added once:
    record_hash, source_path, loaded_at; document_at (the time of the row's section, else the document's);
    is_simulated (flagged by the row, or its hardware listed under the document's simulated_hardware). -#}
{% macro shape_row_lineage(rows) %}
    select
        {{ rows }}.* exclude (section_at, is_flagged_simulated),
        documents.record_hash,
        documents.source_path,
        documents.loaded_at,
        coalesce({{ rows }}.section_at, documents.document_at) as document_at,
        coalesce({{ rows }}.is_flagged_simulated, false)
        or coalesce(list_contains(documents.simulated_hardware, {{ rows }}.hardware_type), false) as is_simulated
    from {{ rows }}
    inner join {{ ref('int_benchmark_documents_classified') }} as documents
        on {{ rows }}.load_id = documents.load_id and {{ rows }}.record_index = documents.record_index
{% endmacro %}
