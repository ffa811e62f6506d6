with task_events as (
    select * from {{ source('raw', 'task_events') }}
),

typed as (
    select
        load_id,
        source_path,
        record_index,
        record_hash,
        timezone('UTC', loaded_at) as loaded_at,
        payload ->> '$.event' as event_name,
        {{ parse_timestamp("payload ->> '$.occurred_at'") }} as occurred_at,
        payload ->> '$.task_id' as task_id,
        payload ->> '$.batch_id' as batch_id,
        payload ->> '$.model_name' as model_name,
        {{ json_string_list("payload -> '$.hardware'", lower=true) }} as hardware,
        payload ->> '$.template_type' as template_type,
        {{ json_or_null("payload -> '$.template_context'") }} as template_context,
        payload ->> '$.output_dir' as output_dir,
        coalesce(payload ->> '$.output_file', payload ->> '$.result.output_file') as output_file,
        coalesce(payload ->> '$.architecture', payload ->> '$.result.architecture') as architecture,
        payload ->> '$.creator' as creator,
        payload ->> '$.task_type' as task_type,
        {{ parse_timestamp("payload ->> '$.started_at'") }} as reported_started_at,
        {{ json_or_null("payload -> '$.tags'") }} as tags,
        {{ task_status("payload ->> '$.status'") }} as status,
        {{ task_progress("payload ->> '$.progress'") }} as progress,
        payload ->> '$.status' as reported_status,
        payload ->> '$.progress' as reported_progress,
        payload ->> '$.current_step' as current_step,
        coalesce(payload ->> '$.error', payload ->> '$.result.error') as error,
        {{ json_or_null("payload -> '$.metrics'") }} as metrics,
        try_cast(payload ->> '$.result.success' as boolean) as is_success,
        try_cast(payload ->> '$.result.duration' as double) as reported_duration_seconds,
        {{ json_or_null("payload -> '$.result.model_info'") }} as model_info,
        payload ->> '$.description' as description,
        {{ json_string_list("payload -> '$.model_names'") }} as model_names,
        {{ json_string_list("payload -> '$.task_ids'") }} as task_ids,
        coalesce(try_cast(payload ->> '$.delete_tasks' as boolean), false) as is_delete_tasks
    from task_events
)

select
    *,
    {{ event_order('occurred_at', 'load_id', 'record_index') }} as event_order
from typed
