-- One row per task object of an upstream export document ({tasks, batches, stats, export_date}).
with tasks as (
    select
        load_id,
        record_index,
        exported_at,
        unnest(from_json(payload -> '$.tasks', '["JSON"]')) as task
    from {{ ref('int_generator_exports_filtered') }}
    where json_type(payload, '$.tasks') = 'ARRAY'
)

select
    load_id,
    record_index,
    exported_at,
    task ->> '$.task_id' as task_id,
    task ->> '$.batch_id' as batch_id,
    task ->> '$.model_name' as model_name,
    {{ json_string_list("task -> '$.hardware'", lower=true) }} as hardware,
    task ->> '$.template_type' as template_type,
    task -> '$.template_context' as template_context,
    task ->> '$.output_dir' as output_dir,
    task ->> '$.output_file' as output_file,
    task ->> '$.architecture' as architecture,
    task ->> '$.creator' as creator,
    task ->> '$.task_type' as task_type,
    {{ parse_timestamp("task ->> '$.started_at'") }} as reported_started_at,
    {{ parse_timestamp("task ->> '$.completed_at'") }} as completed_at,
    task -> '$.tags' as tags,
    lower(task ->> '$.status') as status,
    try_cast(task ->> '$.progress' as double) as progress,
    task ->> '$.current_step' as current_step,
    task ->> '$.error' as error,
    try_cast(task ->> '$.duration' as double) as reported_duration_seconds,
    task -> '$.steps' as steps,
    task -> '$.metrics' as metrics
from tasks
where task ->> '$.task_id' is not null
