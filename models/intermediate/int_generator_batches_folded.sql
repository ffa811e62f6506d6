-- One row per visible batch: its own events folded, plus its member tasks (declared task_ids and
-- tasks whose batch_id names it). Running until every member task is completed or error; then
-- completed if all completed, else partial.
-- A table: generator_tasks and generator_batch_tasks both read it.
{{ config(materialized='table') }}

with batch_events as (
    select * from {{ ref('int_generator_events_live') }}
    where entity_kind = 'batch'
),

tasks as (
    select * from {{ ref('int_generator_tasks_folded') }}
    where is_visible
),

deleted_batches as (
    select entity_id as batch_id from {{ ref('int_generator_tombstones') }}
    where entity_kind = 'batch'
),

batch_attributes as (
    select
        batch_id,
        arg_max(description, event_order) filter (where description is not null) as description,
        arg_max(creator, event_order) filter (where creator is not null) as creator,
        min(coalesce(started_at, occurred_at)) filter (
            where event_name in ('batch_started', 'batch_snapshot')
        ) as started_at
    from batch_events
    group by batch_id
),

visible_batches as (
    select batch_id from batch_attributes
    union
    select batch_id from tasks
    where batch_id is not null and batch_id not in (select deleted_batches.batch_id from deleted_batches)
),

deleted_tasks as (
    select task_id from {{ ref('int_generator_tasks_folded') }}
    where not is_visible
),

members as (
    -- declared or naming the batch; a deleted task is no member (a declared task never seen is)
    select
        batch_id,
        task_id
    from {{ ref('int_generator_batch_task_ids_unnested') }}
    union
    select
        batch_id,
        task_id
    from tasks
    where batch_id in (select visible_batches.batch_id from visible_batches)
),

live_members as (
    select * from members
    where task_id not in (select deleted_tasks.task_id from deleted_tasks)
),

member_counts as (
    select
        live_members.batch_id,
        count(*) as task_count,
        count(tasks.task_id) as actual_task_count,
        count(*) filter (where tasks.status = 'completed') as completed_tasks,
        count(*) filter (where tasks.status = 'error') as failed_tasks,
        count(*) filter (where tasks.status not in ('completed', 'error')) as running_tasks,
        min(tasks.started_at) as first_task_started_at,
        max(tasks.completed_at) as last_task_completed_at
    from live_members
    left join tasks on live_members.task_id = tasks.task_id
    group by live_members.batch_id
),

final as (
    select
        visible_batches.batch_id,
        batch_attributes.description,
        coalesce(member_counts.task_count, 0) as task_count,
        coalesce(member_counts.actual_task_count, 0) as actual_task_count,
        coalesce(member_counts.completed_tasks, 0) as completed_tasks,
        coalesce(member_counts.failed_tasks, 0) as failed_tasks,
        coalesce(member_counts.running_tasks, 0) as running_tasks,
        case
            when
                member_counts.task_count > 0
                and member_counts.completed_tasks + member_counts.failed_tasks = member_counts.task_count
                then case when member_counts.failed_tasks = 0 then 'completed' else 'partial' end
            else 'running'
        end as status,
        batch_attributes.creator,
        coalesce(batch_attributes.started_at, member_counts.first_task_started_at) as started_at,
        member_counts.last_task_completed_at
    from visible_batches
    left join batch_attributes on visible_batches.batch_id = batch_attributes.batch_id
    left join member_counts on visible_batches.batch_id = member_counts.batch_id
)

select
    batch_id,
    description,
    task_count,
    actual_task_count,
    completed_tasks,
    failed_tasks,
    running_tasks,
    status,
    creator,
    started_at,
    case when status <> 'running' then last_task_completed_at end as completed_at,
    case
        when status <> 'running' then epoch(last_task_completed_at - started_at)
    end as duration
from final
