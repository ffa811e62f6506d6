{{ config(severity='warn') }}
-- Warns with every row a shape model parsed but the unioned models leave out: a benchmark row naming no
-- model or no hardware, or a test outcome naming no model or giving no verdict.
with benchmark_rows as (
    select * from {{ ref('int_benchmark_flat_rows') }}
    union all by name
    select * from {{ ref('int_benchmark_direct_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_model_batches_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_suite_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_web_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_web_comparison_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_skill_timings_unnested') }}
),

test_rows as (
    select * from {{ ref('int_benchmark_flat_tests') }}
    union all by name
    select * from {{ ref('int_benchmark_functionality_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_hardware_tests_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_critical_tests_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_skill_tests_unnested') }}
    union all by name
    select * from {{ ref('int_benchmark_compatibility_unnested') }}
)

select
    'benchmark' as row_kind,
    source_path,
    record_index,
    config_path as row_path
from benchmark_rows
where model_name is null or hardware_type is null
union all
select
    'test' as row_kind,
    source_path,
    record_index,
    result_path as row_path
from test_rows
where coalesce(model_name, model_key) is null or status is null
