-- One row per benchmark a benchmark progress document lists as completed, failed or skipped
-- ({completed_benchmarks, failed_benchmarks, skipped_benchmarks: [{model_type, hardware_type, error, timestamp}]}):
-- the outcome of running that model's benchmark on that hardware.
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
)

select
    documents.load_id,
    documents.record_index,
    documents.record_hash,
    documents.source_path,
    documents.loaded_at,
    '$.' || listed.list_name || '[' || listed.entry_index || ']' as result_path,
    {{ json_to_timestamp("listed.entry -> '$.timestamp'") }} as record_at,
    documents.document_at,
    coalesce(listed.entry ->> '$.model_type', listed.entry ->> '$.model') as model_key,
    listed.entry ->> '$.model_name' as model_name,
    coalesce(listed.entry ->> '$.model_type', listed.entry ->> '$.model') as model_family,
    {{ benchmark_hardware_type("coalesce(listed.entry ->> '$.hardware_type', listed.entry ->> '$.hardware')") }}
        as hardware_type,
    'benchmark_run' as test_type,
    case listed.list_name
        when 'completed_benchmarks' then 'passed'
        when 'failed_benchmarks' then 'failed'
        else 'skipped'
    end as status,
    coalesce(listed.entry ->> '$.error', listed.entry ->> '$.reason') as error_message,
    json_object('error_type', listed.entry ->> '$.error_type') as details,
    coalesce(
        list_contains(
            documents.simulated_hardware, lower(coalesce(listed.entry ->> '$.hardware_type', listed.entry ->> '$.hardware'))
        ),
        false
    ) as is_simulated,
    'benchmark_progress' as source_format
from listed
inner join documents
    on listed.load_id = documents.load_id and listed.record_index = documents.record_index
where json_type(listed.entry) = 'OBJECT'
