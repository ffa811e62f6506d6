-- One row per event that is not hidden by a later tombstone of its task (task events) or batch
-- (batch events). Tombstones themselves are not kept.
with events as (
    select
        *,
        case when event_name like 'batch_%' then 'batch' else 'task' end as entity_kind,
        case when event_name like 'batch_%' then batch_id else task_id end as entity_id
    from {{ ref('int_generator_events_unioned') }}
    where event_name not in ('task_deleted', 'batch_deleted')
)

select events.*
from events
left join {{ ref('int_generator_tombstones') }} as tombstones
    on
        events.entity_kind = tombstones.entity_kind
        and events.entity_id = tombstones.entity_id
where tombstones.deleted_order is null or events.event_order > tombstones.deleted_order
