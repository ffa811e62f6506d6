select
    batch_id,
    description,
    task_count,
    actual_task_count,
    completed_tasks,
    failed_tasks,
    running_tasks,
    status,
    creator,
    started_at,
    completed_at,
    duration
from {{ ref('int_generator_batches_folded') }}
