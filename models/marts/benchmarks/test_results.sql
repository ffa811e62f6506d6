-- One row per test outcome (model x hardware x test, per run), whatever shape reported it.
-- Incremental: each build parses only the loads landed since the previous one.
{{ config(
    materialized='incremental', incremental_strategy='append',
    post_hook="{{ record_watermark(ref('int_benchmark_document_shapes')) }}"
) }}

with tests as (
    select * from {{ ref('int_benchmark_test_results_unioned') }}
    where
        model_name is not null and status is not null
        and load_id > {{ incremental_watermark('load_id') }}
),

model_seed as (
    select * from {{ ref('model_seed') }}
)

select
    tests.test_result_id,
    tests.tested_at,
    tests.tested_at_source,
    tests.model_name,
    tests.model_key,
    coalesce(model_seed.model_family, tests.model_family) as model_family,
    tests.hardware_type,
    tests.test_type,
    tests.test_case,
    tests.status,
    tests.succeeded,
    tests.error_message,
    tests.execution_time_seconds,
    tests.memory_usage_mb,
    tests.details,
    tests.performance,
    tests.compatibility,
    tests.is_simulated,
    tests.source_format,
    tests.result_path,
    tests.load_id,
    tests.record_index,
    tests.source_path,
    loads.labels,
    loads.commit_sha,
    loads.branch,
    loads.machine_name,
    loads.ci_run_id
from tests
left join {{ ref('stg_raw__loads') }} as loads
    on tests.load_id = loads.load_id
left join model_seed
    on tests.model_name = model_seed.model_name
