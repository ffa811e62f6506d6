-- One row per test outcome (model x hardware x test, per run) from every test-result shape: typed, dated,
-- keyed (outcomes naming no model or giving no verdict included: test_results leaves them out, a warn
-- test lists them). Upstream keys (bert, clip, ...) are named through the model seed when no model name
-- is reported; names are canonical (int_benchmark_model_names). Dated by record, document, file name, else
-- load time.
with unioned as (
    {{ union_shape_models('tests') }}
),

documented as (
    -- lineage, document time and simulation flag, added once for every shape
    {{ shape_row_lineage('unioned') }}
),

keyed as (
    select
        documented.*,
        coalesce(documented.model_name, model_seed.model_name, documented.model_key) as reported_model_name
    from documented
    left join {{ ref('model_seed') }} as model_seed
        on documented.model_key = model_seed.model_key
),

named as (
    -- canonical model names and the run time, added once for every shape
    select
        keyed.*,
        coalesce(model_names.model_name, keyed.reported_model_name) as resolved_model_name,
        {{ benchmark_run_time('tested_at') }}
    from keyed
    left join {{ ref('int_benchmark_model_names') }} as model_names
        on keyed.reported_model_name = model_names.alias_name
)

select
    md5(record_hash || '|' || result_path) as test_result_id,
    tested_at::timestamp as tested_at,
    tested_at_source::varchar as tested_at_source,
    resolved_model_name::varchar as model_name,
    model_key::varchar as model_key,
    model_family::varchar as model_family,
    hardware_type::varchar as hardware_type,
    test_type::varchar as test_type,
    test_case::varchar as test_case,
    status::varchar as status,
    case status when 'passed' then true when 'failed' then false end as succeeded,
    error_message::varchar as error_message,
    execution_time_seconds::double as execution_time_seconds,
    memory_usage_mb::double as memory_usage_mb,
    details::json as details,
    performance::json as performance,
    compatibility::json as compatibility,
    is_simulated::boolean as is_simulated,
    source_format::varchar as source_format,
    result_path::varchar as result_path,
    load_id::bigint as load_id,
    record_index::bigint as record_index,
    record_hash::varchar as record_hash,
    source_path::varchar as source_path
from named
