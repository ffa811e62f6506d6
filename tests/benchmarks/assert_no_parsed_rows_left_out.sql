{{ config(severity='warn') }}
-- Warns with every row a shape model parsed but the marts leave out: a benchmark row naming no model or
-- no hardware, or a test outcome naming no model or giving no verdict.
select
    'benchmark' as row_kind,
    source_path,
    record_index,
    config_path as row_path
from {{ ref('int_benchmark_results_unioned') }}
where model_name is null or hardware_type is null
union all
select
    'test' as row_kind,
    source_path,
    record_index,
    result_path as row_path
from {{ ref('int_benchmark_test_results_unioned') }}
where model_name is null or status is null
