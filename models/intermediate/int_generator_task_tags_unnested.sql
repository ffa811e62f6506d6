-- One row per (task, tag): the latest value reported in any event's `tags` object (plus one row with
-- NULL tag_name per changed task that has none).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='task_id') }}

with {{ changed_generator_tasks() }},

tag_entries as (
    select
        task_id,
        event_order,
        unnest(map_entries(tags::map (varchar, json))) as entry
    from events
    where json_type(tags) = 'OBJECT'
),

latest_values as (
    select
        task_id,
        entry['key'] as tag_name,
        entry['value'] ->> '$' as tag_value
    from tag_entries
    qualify row_number() over (partition by task_id, entry['key'] order by event_order desc) = 1
)

select
    changed_tasks.task_id,
    changed_tasks.last_load_id,
    latest_values.tag_name,
    latest_values.tag_value
from changed_tasks
left join latest_values on changed_tasks.task_id = latest_values.task_id
