{{ config(severity='warn') }}
-- Warns with every document recognised as carrying measurements or test outcomes that yields no row in
-- benchmark_results or test_results (e.g. an empty results list), so a shape that stops parsing is noticed.
with yielded as (
    select distinct
        load_id,
        record_index
    from {{ ref('int_benchmark_results_unioned') }}  -- before reports of one measurement are merged
    union
    select distinct
        load_id,
        record_index
    from {{ ref('test_results') }}
)

select
    documents.source_path,
    documents.record_index,
    documents.document_shape
from {{ ref('int_benchmark_documents_classified') }} as documents
left join yielded
    on documents.load_id = yielded.load_id and documents.record_index = yielded.record_index
where
    documents.shape_kind in ('measurements', 'tests', 'measurements_and_tests')
    and yielded.load_id is null
