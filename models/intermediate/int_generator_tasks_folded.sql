-- One row per live task: its events folded in occurred_at order (ties by landing order).
-- Attributes: latest non-null value. Status, progress and current step: latest event that reports
-- them; error and completed_at belong to the latest status-bearing event, so a task that runs again
-- after an error has neither.
with events as (
    select * from {{ ref('int_generator_events_live') }}
    where entity_kind = 'task'
),

folded as (
    select
        task_id,
        arg_max(model_name, event_order) filter (where model_name is not null) as model_name,
        arg_max(hardware, event_order) filter (where hardware is not null) as hardware,
        arg_max(template_type, event_order) filter (where template_type is not null) as template_type,
        arg_max(template_context, event_order)
        filter (where template_context is not null) as template_context,
        arg_max(architecture, event_order) filter (where architecture is not null) as architecture,
        arg_max(output_dir, event_order) filter (where output_dir is not null) as output_dir,
        arg_max(output_file, event_order) filter (where output_file is not null) as output_file,
        arg_max(creator, event_order) filter (where creator is not null) as creator,
        arg_max(task_type, event_order) filter (where task_type is not null) as task_type,
        arg_max(batch_id, event_order) filter (where batch_id is not null) as batch_id,
        arg_max(started_at, event_order) filter (where started_at is not null) as reported_started_at,
        arg_max(status, event_order) filter (where status is not null) as status,
        arg_max(progress, event_order) filter (where progress is not null) as progress,
        arg_max(current_step, event_order) filter (where current_step is not null) as current_step,
        arg_max_null(error, event_order) filter (where status is not null) as error,
        arg_max_null(completed_at, event_order) filter (where status is not null) as completed_at,
        arg_max_null(reported_duration_seconds, event_order)
        filter (where status is not null) as reported_duration_seconds,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from events
    group by task_id
)

select
    task_id,
    model_name,
    hardware,
    coalesce(status, 'initializing') as status,
    coalesce(progress, 0.0) as progress,
    current_step,
    template_type,
    template_context,
    architecture,
    output_dir,
    output_file,
    error,
    creator,
    coalesce(task_type, 'single') as task_type,
    batch_id,
    coalesce(reported_started_at, first_event_at) as started_at,
    completed_at,
    case
        when completed_at is not null
            then coalesce(
                reported_duration_seconds,
                epoch(completed_at - coalesce(reported_started_at, first_event_at))
            )
    end as duration,
    last_event_at
from folded
