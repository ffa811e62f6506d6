-- One row per (task, metric): the latest value (plus one row with NULL metric_name per changed task
-- that has none). Sources: every numeric value of an event's `metrics`
-- (a number, or {value, unit}), `model_info.<key>` of a completion, the task's duration in seconds,
-- and the metric rows of an upstream export.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='task_id') }}

with {{ changed_generator_tasks() }},

metric_entries as (
    select
        task_id,
        occurred_at,
        event_order,
        unnest(map_entries(metrics::map (varchar, json))) as entry
    from events
    where json_type(metrics) = 'OBJECT'
),

model_info_entries as (
    select
        task_id,
        occurred_at,
        event_order,
        unnest(map_entries(model_info::map (varchar, json))) as entry
    from events
    where json_type(model_info) = 'OBJECT'
),

export_entries as (
    select
        task_id,
        event_order,
        unnest(from_json(export_metrics, '["JSON"]')) as metric
    from events
    where json_type(export_metrics) = 'ARRAY'
),

candidates as (
    select
        task_id,
        entry['key'] as metric_name,
        case
            when json_type(entry['value']) = 'OBJECT' then {{ json_number("entry['value'] -> '$.value'") }}
            else {{ json_number("entry['value']") }}
        end as metric_value,
        case when json_type(entry['value']) = 'OBJECT' then entry['value'] ->> '$.unit' end as metric_unit,
        occurred_at as recorded_at,
        event_order
    from metric_entries
    union all
    select
        task_id,
        'model_info.' || entry['key'] as metric_name,
        {{ json_number("entry['value']") }} as metric_value,
        null as metric_unit,
        occurred_at as recorded_at,
        event_order
    from model_info_entries
    union all
    select
        task_id,
        metric ->> '$.metric_name' as metric_name,
        try_cast(metric ->> '$.metric_value' as double) as metric_value,
        metric ->> '$.metric_unit' as metric_unit,
        {{ parse_timestamp("metric ->> '$.recorded_at'") }} as recorded_at,
        event_order
    from export_entries
    union all
    select
        task_id,
        'duration' as metric_name,
        duration as metric_value,
        'seconds' as metric_unit,
        completed_at as recorded_at,
        [epoch_us(completed_at)] as event_order
    from changed_tasks
    where is_visible and duration is not null
),

latest_values as (
    select
        task_id,
        metric_name,
        metric_value,
        metric_unit,
        recorded_at
    from candidates
    where metric_value is not null and metric_name is not null and isfinite(metric_value)
    qualify row_number() over (
        partition by task_id, metric_name order by event_order desc, recorded_at desc
    ) = 1
)

select
    changed_tasks.task_id,
    changed_tasks.last_load_id,
    latest_values.metric_name,
    latest_values.metric_value,
    latest_values.metric_unit,
    latest_values.recorded_at
from changed_tasks
left join latest_values on changed_tasks.task_id = latest_values.task_id
