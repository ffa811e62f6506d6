-- One row per (batch, task) that a live event of the batch lists in its task_ids (batch_started, or
-- a batch object of an upstream export), with the sort key of the latest event listing it.
with listings as (
    select
        batch_id,
        event_order,
        unnest(task_ids) as task_id
    from {{ ref('int_generator_events_live') }}
    where entity_kind = 'batch' and task_ids is not null
)

select
    batch_id,
    task_id,
    max(event_order) as listed_order
from listings
where task_id is not null
group by batch_id, task_id
