select
    task_id,
    step_name,
    status,
    progress,
    started_at,
    completed_at,
    duration,
    error
from {{ ref('int_generator_task_steps_derived') }}
where step_name is not null
