-- One row per generator event: landed events plus the task and batch snapshots of upstream exports,
-- each export object taken as that task's or batch's state at export_date. Events never change once
-- landed, so each run appends only the loads it has not seen.
{{ config(materialized='incremental', incremental_strategy='append') }}
{% set watermark = incremental_watermark('load_id') %}  {#- a query: read once, used twice or more -#}

with landed as (
    select
        event_name,
        occurred_at,
        event_order,
        load_id,
        task_id,
        batch_id,
        model_name,
        hardware,
        template_type,
        template_context,
        output_dir,
        output_file,
        architecture,
        creator,
        task_type,
        case
            when event_name = 'task_started' then coalesce(reported_started_at, occurred_at)
            else reported_started_at
        end as started_at,
        case
            when event_name = 'task_completed' or status in ('completed', 'error') then occurred_at
        end as completed_at,
        tags,
        case
            when event_name = 'task_completed' and is_success is false then 'error'
            when event_name = 'task_completed' then 'completed'
            when event_name = 'task_started' then coalesce(status, 'initializing')
            else status
        end as status,
        case
            when event_name = 'task_completed' then 1.0
            when event_name = 'task_started' then coalesce(progress, 0.0)
            else progress
        end as progress,
        current_step,
        error,
        metrics,
        reported_duration_seconds,
        model_info,
        description,
        model_names,
        task_ids,
        is_delete_tasks
    from {{ ref('stg_raw__task_events') }}
    where load_id > {{ watermark }}
),

task_snapshots as (
    select
        'task_snapshot' as event_name,
        exported_at as occurred_at,
        {{ event_order('exported_at', 'load_id', 'record_index') }} as event_order,
        load_id,
        task_id,
        batch_id,
        model_name,
        hardware,
        template_type,
        template_context,
        output_dir,
        output_file,
        architecture,
        creator,
        task_type,
        reported_started_at as started_at,
        completed_at,
        tags,
        status,
        progress,
        current_step,
        error,
        reported_duration_seconds,
        steps as export_steps,
        metrics as export_metrics
    from {{ ref('int_generator_export_tasks_unnested') }}
    where load_id > {{ watermark }}
),

batch_snapshots as (
    select
        'batch_snapshot' as event_name,
        exported_at as occurred_at,
        {{ event_order('exported_at', 'load_id', 'record_index') }} as event_order,
        load_id,
        batch_id,
        creator,
        reported_started_at as started_at,
        completed_at,
        description,
        task_ids
    from {{ ref('int_generator_export_batches_unnested') }}
    where load_id > {{ watermark }}
),

unioned as (
    -- union by name: columns a snapshot does not carry are NULL
    select * from landed  -- noqa: AM07
    union all by name
    select * from task_snapshots
    union all by name
    select * from batch_snapshots
)

select
    *,
    case when event_name like 'batch_%' then 'batch' else 'task' end as entity_kind,
    case when event_name like 'batch_%' then batch_id else task_id end as entity_id
from unioned
