-- Warns with every task that a batch lists in its task_ids while the task is in another batch: its
-- own latest batch_id names another batch (which wins), or a later batch lists it too. One row per
-- (task, listing batch it is not in).
{{ config(severity='warn') }}

select
    tasks.task_id,
    tasks.batch_id,
    listings.batch_id as listed_by_batch_id
from {{ ref('int_generator_tasks_folded') }} as tasks
inner join {{ ref('int_generator_batch_task_ids_unnested') }} as listings
    on tasks.task_id = listings.task_id
where tasks.is_visible and listings.batch_id <> tasks.batch_id
