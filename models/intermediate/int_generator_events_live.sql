-- One row per event that is not hidden by a later tombstone of its task (task events) or batch
-- (batch events). Tombstones themselves are not kept.
-- every column of the unioned events, unchanged
select *  -- noqa: AM04
from {{ ref('int_generator_events_unioned') }} as events
where
    event_name not in ('task_deleted', 'batch_deleted')
    and not exists (
        select 1
        from {{ ref('int_generator_tombstones') }} as tombstones
        where
            tombstones.entity_kind = events.entity_kind
            and tombstones.entity_id = events.entity_id
            and tombstones.deleted_order >= events.event_order
    )
