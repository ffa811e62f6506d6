-- One row per benchmark a benchmark progress document lists as completed, failed or skipped
-- ({completed_benchmarks, failed_benchmarks, skipped_benchmarks: [{model_type, hardware_type, error,
-- timestamp}]}): the outcome of running that model's benchmark on that hardware.
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape = 'benchmark_progress'
),

listed as (
    select
        load_id,
        record_index,
        list_name,
        unnest(range(json_array_length(payload -> ('$.' || list_name))::bigint)) as entry_index,
        unnest(from_json(payload -> ('$.' || list_name), '["JSON"]')) as entry
    from documents,
        unnest(['completed_benchmarks', 'failed_benchmarks', 'skipped_benchmarks']) as lists (list_name)
    where json_type(payload -> ('$.' || list_name)) = 'ARRAY'
),

entries as (
    select
        *,
        coalesce(entry ->> '$.hardware_type', entry ->> '$.hardware') as reported_hardware
    from listed
    where json_type(entry) = 'OBJECT'
)

select
    entries.load_id,
    entries.record_index,
    '$.' || entries.list_name || '[' || entries.entry_index || ']' as result_path,
    {{ json_to_timestamp("entries.entry -> '$.timestamp'") }} as record_at,
    coalesce(entries.entry ->> '$.model_type', entries.entry ->> '$.model') as model_key,
    entries.entry ->> '$.model_name' as model_name,
    coalesce(entries.entry ->> '$.model_type', entries.entry ->> '$.model') as model_family,
    {{ benchmark_hardware_type("entries.reported_hardware") }} as hardware_type,
    'benchmark_run' as test_type,
    case entries.list_name
        when 'completed_benchmarks' then 'passed'
        when 'failed_benchmarks' then 'failed'
        else 'skipped'
    end as status,
    coalesce(entries.entry ->> '$.error', entries.entry ->> '$.reason') as error_message,
    json_object('error_type', entries.entry ->> '$.error_type') as details,
    'benchmark_progress' as source_format
from entries
