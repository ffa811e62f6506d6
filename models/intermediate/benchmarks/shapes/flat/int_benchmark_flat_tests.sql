-- One row per flat test result document ({model_name, model_family, hardware_type, status, test_type,
-- success, error_message, execution_time, memory_usage, details, optional performance and compatibility}).
-- The reported status decides (passed / failed / skipped), else the success flag.
with documents as (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'test_result'
),

typed as (
    select
        load_id,
        record_index,
        '$' as result_path,
        {{ json_to_timestamp("payload -> '$.timestamp'") }} as record_at,
        payload ->> '$.model_name' as model_name,
        payload ->> '$.model_family' as model_family,
        {{ benchmark_hardware_type("payload ->> '$.hardware_type'") }} as hardware_type,
        coalesce(payload ->> '$.test_type', 'test') as test_type,
        payload ->> '$.test_case' as test_case,
        {{ benchmark_test_status("payload ->> '$.status'", json_to_boolean("payload -> '$.success'")) }}
            as status,
        payload ->> '$.error_message' as error_message,
        {{ json_to_double("payload -> '$.execution_time'") }} as execution_time_seconds,
        {{ json_to_double("payload -> '$.memory_usage'") }} as memory_usage_mb,
        payload -> '$.details' as details,
        payload -> '$.performance' as performance,
        payload -> '$.compatibility' as compatibility,
        coalesce({{ json_to_boolean("payload -> '$.is_simulated'") }}, false) as is_flagged_simulated
    from documents
)

select
    *,
    'test_result' as source_format
from typed
