-- Every batch's member counts are backed by tasks in the tasks mart: the tasks naming a batch are all
-- counted in it, and its completed + failed + running members are exactly its existing members.
with tasks_per_batch as (
    select
        batch_id,
        count(*) as tasks_naming_batch
    from {{ ref('generator_tasks') }}
    where batch_id is not null
    group by batch_id
)

select
    batches.batch_id,
    batches.actual_task_count,
    batches.completed_tasks,
    batches.failed_tasks,
    batches.running_tasks,
    tasks_per_batch.tasks_naming_batch
from {{ ref('generator_batch_tasks') }} as batches
left join tasks_per_batch on batches.batch_id = tasks_per_batch.batch_id
where
    batches.actual_task_count < coalesce(tasks_per_batch.tasks_naming_batch, 0)
    or batches.actual_task_count > batches.task_count
    or batches.completed_tasks + batches.failed_tasks + batches.running_tasks
    <> batches.actual_task_count
