-- One row per (task, step), plus one row with NULL step_name per changed task that has none.
-- From events: a step starts at its first event and ends when the next step starts or the task ends.
-- Steps carried by an upstream export are used as exported, unless events describe the same step.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='task_id') }}

with {{ changed_generator_tasks() }},

tasks as (
    select * from changed_tasks
    where is_visible
),

step_events as (
    select
        task_id,
        current_step as step_name,
        min(occurred_at) as started_at,
        min(event_order) as first_order,
        arg_max(progress, event_order) filter (where progress is not null) as progress
    from events
    where current_step is not null and event_name <> 'task_snapshot'
    group by task_id, current_step
),

event_steps as (
    select
        step_events.task_id,
        step_events.step_name,
        step_events.started_at,
        step_events.progress,
        tasks.status as task_status,
        tasks.error as task_error,
        tasks.completed_at as task_completed_at,
        lead(step_events.started_at) over (
            partition by step_events.task_id order by step_events.first_order
        ) as next_step_started_at
    from step_events
    inner join tasks on step_events.task_id = tasks.task_id
),

from_events as (
    select
        task_id,
        step_name,
        case
            when next_step_started_at is not null then 'completed'
            when task_status in ('completed', 'error') then task_status
            else 'running'
        end as status,
        case
            when next_step_started_at is not null or task_status = 'completed' then 1.0
            else progress
        end as progress,
        started_at,
        coalesce(next_step_started_at, task_completed_at) as completed_at,
        case when next_step_started_at is null and task_status = 'error' then task_error end as error
    from event_steps
),

exported as (
    select
        task_id,
        unnest(from_json(export_steps, '["JSON"]')) as step
    from events
    where json_type(export_steps) = 'ARRAY'
),

from_exports as (
    select
        task_id,
        step ->> '$.step_name' as step_name,
        step ->> '$.status' as reported_status,
        {{ task_progress("step ->> '$.progress'") }} as progress,
        {{ parse_timestamp("step ->> '$.started_at'") }} as started_at,
        {{ parse_timestamp("step ->> '$.completed_at'") }} as completed_at,
        step ->> '$.error' as error,
        try_cast(step ->> '$.duration' as double) as reported_duration_seconds
    from exported
    where step ->> '$.step_name' is not null
    qualify row_number() over (partition by task_id, step_name order by started_at desc nulls last) = 1
),

all_steps as (
    select
        *,
        epoch(completed_at - started_at) as duration
    from from_events
    union all
    select
        task_id,
        step_name,
        {{ step_status('reported_status', 'started_at', 'completed_at') }} as status,
        progress,
        started_at,
        completed_at,
        error,
        coalesce(reported_duration_seconds, epoch(completed_at - started_at)) as duration
    from from_exports
    where not exists (
        select 1 from from_events
        where from_events.task_id = from_exports.task_id and from_events.step_name = from_exports.step_name
    )
)

select
    changed_tasks.task_id,
    changed_tasks.last_load_id,
    all_steps.step_name,
    all_steps.status,
    all_steps.progress,
    all_steps.started_at,
    all_steps.completed_at,
    all_steps.duration,
    all_steps.error
from changed_tasks
left join all_steps on changed_tasks.task_id = all_steps.task_id
