-- One row per event that is not hidden by a later tombstone of its task (task events) or batch
-- (batch events). Tombstones themselves are not kept.
-- every column of the unioned events, unchanged
select events.*  -- noqa: AM04
from {{ ref('int_generator_events_unioned') }} as events
-- an equi-join on the entity (at most one tombstone each), not a correlated subquery, which DuckDB
-- planned as a join over every event before any filter of the reader (9 s at 5M events)
left join {{ ref('int_generator_tombstones') }} as tombstones
    on events.entity_kind = tombstones.entity_kind and events.entity_id = tombstones.entity_id
where
    events.event_name not in ('task_deleted', 'batch_deleted')
    and (tombstones.deleted_order is null or tombstones.deleted_order < events.event_order)
