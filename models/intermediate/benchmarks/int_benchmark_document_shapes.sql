-- One row per landed document, with the shape it was recognised as (the first matching rule of the registry,
-- macros/benchmarks/benchmark_document_shapes.sql) and what that shape carries; no payload
-- (int_benchmark_documents_classified joins it back). Recognising a shape reads the document some thirty
-- times, so it is done once per document: each run appends the new loads.
{{ config(materialized='incremental', incremental_strategy='append') }}

with documents as (
    select
        load_id,
        record_index,
        payload,
        top_level_keys,
        coalesce(
            {{ json_to_timestamp("payload -> '$.timestamp'") }},
            {{ json_to_timestamp("payload -> '$.test_timestamp'") }},
            {{ json_to_timestamp("payload -> '$.metadata.timestamp'") }},
            {{ json_to_timestamp("payload -> '$.metadata.test_timestamp'") }}
        ) as document_at,
        coalesce(
            {{ json_string_list("payload -> '$.simulated_hardware'", lower=true) }}, []
        ) as simulated_hardware
    from {{ ref('stg_raw__documents') }}
    where load_id > {{ incremental_watermark('load_id') }}
),

shaped as (
    select
        load_id,
        record_index,
        document_at,
        simulated_hardware,
        case
            {%- for rule in benchmark_document_shape_rules() %}
                when {{ rule.rule }} then '{{ rule.name }}'
            {%- endfor %}
            else 'unrecognized'
        end as document_shape
    from documents
)

select
    load_id,
    record_index,
    document_at,
    simulated_hardware,
    document_shape,
    case document_shape
        {%- for shape in benchmark_document_shapes() %}
            when '{{ shape.name }}' then '{{ shape.kind }}'
        {%- endfor %}
        else 'unrecognized'
    end as shape_kind
from shaped
