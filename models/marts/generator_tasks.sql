{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='task_id',
    post_hook="
        delete from {{ this }} where task_id in (
            select task_id from {{ ref('int_generator_tasks_folded') }} where not is_visible
        )",
) }}
{% set watermark = incremental_watermark() %}  {#- a query: read once, used twice or more -#}

with changed_batches as (
    -- batches with an event or tombstone since the last run: their tasks' batch_id may change
    select distinct entity_id as batch_id
    from {{ ref('int_generator_events_unioned') }}
    where entity_kind = 'batch' and load_id > {{ watermark }}
),

tasks as (
    select * from {{ ref('int_generator_tasks_folded') }}
    where
        is_visible
        and (
            last_load_id > {{ watermark }}
            or batch_id in (select changed_batches.batch_id from changed_batches)
        )
),

batches as (
    select batch_id from {{ ref('int_generator_batches_folded') }}
),

step_counts as (
    select
        task_id,
        count(*) as step_count
    from {{ ref('int_generator_task_steps_derived') }}
    where step_name is not null and task_id in (select tasks.task_id from tasks)
    group by task_id
),

metric_counts as (
    select
        task_id,
        count(*) as metric_count
    from {{ ref('int_generator_task_metrics_unnested') }}
    where metric_name is not null and task_id in (select tasks.task_id from tasks)
    group by task_id
)

select
    tasks.task_id,
    tasks.model_name,
    tasks.hardware,
    tasks.status,
    tasks.progress,
    tasks.current_step,
    tasks.template_type,
    tasks.template_context,
    tasks.architecture,
    tasks.output_dir,
    tasks.output_file,
    tasks.error,
    tasks.creator,
    tasks.task_type,
    batches.batch_id,  -- NULL when the task's batch was deleted
    tasks.started_at,
    tasks.completed_at,
    tasks.duration,
    coalesce(step_counts.step_count, 0) as step_count,
    coalesce(metric_counts.metric_count, 0) as metric_count,
    tasks.last_event_at,
    tasks.last_load_id
from tasks
left join batches on tasks.batch_id = batches.batch_id
left join step_counts on tasks.task_id = step_counts.task_id
left join metric_counts on tasks.task_id = metric_counts.task_id
