-- Warns with every task that a batch lists in its task_ids while the task is in another batch: its
-- own latest batch_id names another batch (which wins), or a later batch lists it too. One row per
-- (task, listing batch it is not in).
{{ config(severity='warn') }}

select
    folded_tasks.task_id,
    folded_tasks.batch_id,
    listings.batch_id as listed_by_batch_id
from {{ ref('int_generator_tasks_folded') }} as folded_tasks
inner join {{ ref('int_generator_batch_task_ids_unnested') }} as listings
    on folded_tasks.task_id = listings.task_id
where folded_tasks.is_visible and listings.batch_id <> folded_tasks.batch_id
