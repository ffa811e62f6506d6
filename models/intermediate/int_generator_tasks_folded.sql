-- One row per task ever seen: its live events folded in occurred_at order (ties by landing order);
-- is_visible is false when a tombstone hides it. Attributes: latest non-null value. Status, progress
-- and current step: latest event that reports them; error and completed_at belong to the latest
-- status-bearing event, so a task that runs again after an error has neither. batch_id: the task's
-- own latest batch_id, else the batch whose task_ids list it (the latest listing).
-- Incremental: only tasks with an event or tombstone landed since the last run are folded again, and
-- tasks a batch lists in an event landed since then, or lists in a batch deleted since then.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='task_id') }}
{% set watermark = incremental_watermark() %}  {#- a query: read once, used twice or more -#}

with changes as (
    select
        entity_id as task_id,
        load_id
    from {{ ref('int_generator_events_unioned') }}
    where entity_kind = 'task' and load_id > {{ watermark }}
    union all
    select
        entity_id as task_id,
        last_load_id as load_id
    from {{ ref('int_generator_tombstones') }}
    where entity_kind = 'task' and last_load_id > {{ watermark }}
    union all
    select
        unnest(task_ids) as task_id,
        load_id
    from {{ ref('int_generator_events_unioned') }}
    where entity_kind = 'batch' and task_ids is not null and load_id > {{ watermark }}
    union all
    select
        unnest(batch_events.task_ids) as task_id,
        tombstones.last_load_id as load_id
    from {{ ref('int_generator_events_unioned') }} as batch_events
    inner join {{ ref('int_generator_tombstones') }} as tombstones
        on batch_events.entity_kind = tombstones.entity_kind and batch_events.entity_id = tombstones.entity_id
    where
        batch_events.entity_kind = 'batch'
        and batch_events.task_ids is not null
        and tombstones.last_load_id > {{ watermark }}
),

changed_tasks as (
    select
        task_id,
        max(load_id) as last_load_id
    from changes
    where task_id is not null
    group by task_id
),

events as (
    select * from {{ ref('int_generator_events_live') }}
    where entity_kind = 'task' and task_id in (select changed_tasks.task_id from changed_tasks)
),

folded as (
    select
        task_id,
        arg_max(model_name, event_order) filter (where model_name is not null) as model_name,
        arg_max(hardware, event_order) filter (where hardware is not null) as hardware,
        arg_max(template_type, event_order) filter (where template_type is not null) as template_type,
        arg_max(template_context, event_order)
        filter (where template_context is not null) as template_context,
        arg_max(architecture, event_order) filter (where architecture is not null) as architecture,
        arg_max(output_dir, event_order) filter (where output_dir is not null) as output_dir,
        arg_max(output_file, event_order) filter (where output_file is not null) as output_file,
        arg_max(creator, event_order) filter (where creator is not null) as creator,
        arg_max(task_type, event_order) filter (where task_type is not null) as task_type,
        arg_max(batch_id, event_order) filter (where batch_id is not null) as batch_id,
        arg_max(started_at, event_order) filter (where started_at is not null) as reported_started_at,
        arg_max(status, event_order) filter (where status is not null) as status,
        arg_max(progress, event_order) filter (where progress is not null) as progress,
        arg_max(current_step, event_order) filter (where current_step is not null) as current_step,
        arg_max_null(error, event_order) filter (where status is not null) as error,
        arg_max_null(completed_at, event_order) filter (where status is not null) as completed_at,
        arg_max_null(reported_duration_seconds, event_order)
        filter (where status is not null) as reported_duration_seconds,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from events
    group by task_id
),

listings as (
    -- the batch listing the task latest (ties by batch_id, so the choice is deterministic)
    select
        task_id,
        batch_id
    from {{ ref('int_generator_batch_task_ids_unnested') }}
    where task_id in (select changed_tasks.task_id from changed_tasks)
    qualify row_number() over (partition by task_id order by listed_order desc, batch_id desc) = 1
),

tombstoned_tasks as (
    select entity_id as task_id from {{ ref('int_generator_tombstones') }}
    where entity_kind = 'task'
)

select
    changed_tasks.task_id,
    changed_tasks.last_load_id,
    folded.task_id is not null as is_visible,
    folded.model_name,
    folded.hardware,
    coalesce(folded.status, 'initializing') as status,
    coalesce(folded.progress, 0.0) as progress,
    folded.current_step,
    folded.template_type,
    folded.template_context,
    folded.architecture,
    folded.output_dir,
    folded.output_file,
    folded.error,
    folded.creator,
    coalesce(folded.task_type, 'single') as task_type,
    coalesce(folded.batch_id, listings.batch_id) as batch_id,
    coalesce(folded.reported_started_at, folded.first_event_at) as started_at,
    folded.completed_at,
    case
        when folded.completed_at is not null
            then coalesce(
                folded.reported_duration_seconds,
                epoch(folded.completed_at - coalesce(folded.reported_started_at, folded.first_event_at))
            )
    end as duration,
    folded.last_event_at
from changed_tasks
left join folded on changed_tasks.task_id = folded.task_id
left join listings on changed_tasks.task_id = listings.task_id
-- a task only listed, never seen, has no row (an invisible row would count as deleted)
where
    folded.task_id is not null
    or changed_tasks.task_id in (select tombstoned_tasks.task_id from tombstoned_tasks)
