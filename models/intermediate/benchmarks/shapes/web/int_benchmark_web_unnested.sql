-- One row per web platform result ({model_name, platform: webnn/webgpu, status, metrics: {inference_time_ms,
-- throughput_items_per_second, memory_mb, ...}, simulation flags}): a result document, or an element of the
-- results array of a web platform batch.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape in ('web_platform_result', 'web_platform_batch')
),

results as (
    select
        load_id,
        record_index,
        null::bigint as result_index,
        payload as result
    from documents
    where document_shape = 'web_platform_result'
    union all
    select
        load_id,
        record_index,
        unnest(range(json_array_length(payload -> '$.results')::bigint)) as result_index,
        unnest(from_json(payload -> '$.results', '["JSON"]')) as result
    from documents
    where document_shape = 'web_platform_batch'
),

typed as (
    select
        results.load_id,
        results.record_index,
        coalesce('$.results[' || results.result_index || ']', '$') as config_path,
        {{ json_to_timestamp("results.result -> '$.timestamp'") }} as record_at,
        coalesce(results.result ->> '$.model_name', results.result ->> '$.model_key') as model_name,
        results.result ->> '$.model_key' as model_family,
        results.result ->> '$.modality' as modality,
        {{ benchmark_hardware_type(
            "coalesce(results.result ->> '$.platform', documents.payload ->> '$.platform')"
        ) }} as hardware_type,
        {{ json_to_double("results.result -> '$.metrics.inference_time_ms'") }} as average_latency_ms,
        {{ json_to_double("results.result -> '$.metrics.throughput_items_per_second'") }}
            as throughput_items_per_second,
        {{ json_to_double("results.result -> '$.metrics.memory_mb'") }} as memory_peak_mb,
        results.result -> '$.metrics' as metrics,
        coalesce({{ json_to_boolean("results.result -> '$.is_simulation'") }}, false)
        or coalesce({{ json_to_boolean("results.result -> '$.is_simulated'") }}, false)
        or coalesce({{ json_to_boolean("results.result -> '$.platform_support.simulated'") }}, false)
            as is_flagged_simulated,
        {{ benchmark_status_succeeded("results.result ->> '$.status'") }} as succeeded,
        coalesce(results.result ->> '$.error', results.result ->> '$.error_message') as error_message
    from results
    inner join documents
        on results.load_id = documents.load_id and results.record_index = documents.record_index
    where json_type(results.result) = 'OBJECT'
)

select
    typed.load_id,
    typed.record_index,
    typed.config_path,
    typed.record_at,
    typed.model_name,
    typed.model_family,
    typed.modality,
    typed.hardware_type,
    typed.average_latency_ms,
    typed.throughput_items_per_second,
    typed.memory_peak_mb,
    typed.metrics,
    typed.is_flagged_simulated,
    coalesce(typed.succeeded, false) as succeeded,
    typed.error_message,
    'web_platform_result' as source_format
from typed
