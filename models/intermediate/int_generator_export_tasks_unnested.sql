-- One row per task object of an upstream export document ({tasks, batches, stats, export_date}).
with tasks as (
    select
        load_id,
        record_index,
        exported_at,
        unnest(from_json(payload -> '$.tasks', '["JSON"]')) as task_object
    from {{ ref('int_generator_exports_filtered') }}
    where json_type(payload, '$.tasks') = 'ARRAY'
)

select
    load_id,
    record_index,
    exported_at,
    task_object ->> '$.task_id' as task_id,
    task_object ->> '$.batch_id' as batch_id,
    task_object ->> '$.model_name' as model_name,
    {{ json_string_list("task_object -> '$.hardware'", lower=true) }} as hardware,
    task_object ->> '$.template_type' as template_type,
    {{ json_or_null("task_object -> '$.template_context'") }} as template_context,
    task_object ->> '$.output_dir' as output_dir,
    task_object ->> '$.output_file' as output_file,
    task_object ->> '$.architecture' as architecture,
    task_object ->> '$.creator' as creator,
    task_object ->> '$.task_type' as task_type,
    {{ parse_timestamp("task_object ->> '$.started_at'") }} as reported_started_at,
    {{ parse_timestamp("task_object ->> '$.completed_at'") }} as completed_at,
    {{ json_or_null("task_object -> '$.tags'") }} as tags,
    {{ task_status("task_object ->> '$.status'") }} as status,
    {{ task_progress("task_object ->> '$.progress'") }} as progress,
    task_object ->> '$.status' as reported_status,
    task_object ->> '$.progress' as reported_progress,
    task_object ->> '$.current_step' as current_step,
    task_object ->> '$.error' as error,
    try_cast(task_object ->> '$.duration' as double) as reported_duration_seconds,
    {{ json_or_null("task_object -> '$.steps'") }} as steps,
    {{ json_or_null("task_object -> '$.metrics'") }} as metrics
from tasks
where task_object ->> '$.task_id' is not null
