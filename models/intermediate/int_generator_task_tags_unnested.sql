-- One row per (task, tag): the latest value reported in any event's `tags` object.
with tag_entries as (
    select
        task_id,
        event_order,
        unnest(map_entries(tags::map (varchar, json))) as entry
    from {{ ref('int_generator_events_live') }}
    where entity_kind = 'task' and json_type(tags) = 'OBJECT'
)

select
    task_id,
    entry['key'] as tag_name,
    entry['value'] ->> '$' as tag_value
from tag_entries
qualify row_number() over (partition by task_id, entry['key'] order by event_order desc) = 1
