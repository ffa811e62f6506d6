-- Warns with every landed event (and task object of an upstream export) whose status or progress the
-- marts cannot use: a status other than initializing, running, completed or error, a progress below
-- 0, over 100 or not a number. The marts take such a value as not reported (NULL).
{{ config(severity='warn', tags=['audit']) }}

with reported as (
    select
        load_id,
        record_index,
        event_name,
        task_id,
        reported_status,
        status,
        reported_progress,
        progress
    from {{ ref('stg_raw__task_events') }}
    union all
    select
        load_id,
        record_index,
        'task_snapshot' as event_name,
        task_id,
        reported_status,
        status,
        reported_progress,
        progress
    from {{ ref('int_generator_export_tasks_unnested') }}
)

select
    load_id,
    record_index,
    event_name,
    task_id,
    reported_status,
    reported_progress
from reported
where
    (reported_status is not null and status is null)
    or (reported_progress is not null and progress is null)
