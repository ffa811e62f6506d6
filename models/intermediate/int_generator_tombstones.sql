-- One row per deleted task or batch: the sort key of its latest tombstone. Events at or before it are
-- hidden; events after it start the task or batch afresh. Deleting a batch with delete_tasks = true
-- tombstones its member tasks (declared task_ids and tasks naming the batch) at the same point.
-- A table: every model that reads live events joins it, and it is small.
{{ config(materialized='table') }}

with events as (
    select * from {{ ref('int_generator_events_unioned') }}
),

batch_members as (
    select distinct
        batch_id,
        unnest(task_ids) as task_id
    from events
    where task_ids is not null
    union
    select distinct
        batch_id,
        task_id
    from events
    where task_id is not null and batch_id is not null
),

deletions as (
    select
        'task' as entity_kind,
        task_id as entity_id,
        event_order,
        load_id
    from events
    where event_name = 'task_deleted'
    union all
    select
        'batch' as entity_kind,
        batch_id as entity_id,
        event_order,
        load_id
    from events
    where event_name = 'batch_deleted'
    union all
    select
        'task' as entity_kind,
        batch_members.task_id as entity_id,
        events.event_order,
        events.load_id
    from events
    inner join batch_members on events.batch_id = batch_members.batch_id
    where events.event_name = 'batch_deleted' and events.is_delete_tasks
)

select
    entity_kind,
    entity_id,
    max(event_order) as deleted_order,
    max(load_id) as last_load_id
from deletions
group by entity_kind, entity_id
