-- model_stats and daily_task_stats partition the tasks mart: their counts add up to it exactly.
with tasks as (
    select
        count(*) as total_tasks,
        count(*) filter (where status = 'completed') as completed_tasks,
        count(*) filter (where status = 'error') as failed_tasks
    from {{ ref('generator_tasks') }}
),

by_model as (
    select
        'model_stats' as mart,
        coalesce(sum(total_tasks), 0) as total_tasks,
        coalesce(sum(completed_tasks), 0) as completed_tasks,
        coalesce(sum(failed_tasks), 0) as failed_tasks
    from {{ ref('model_stats') }}
),

by_day as (
    select
        'daily_task_stats' as mart,
        coalesce(sum(total_tasks), 0) as total_tasks,
        coalesce(sum(completed_tasks), 0) as completed_tasks,
        coalesce(sum(failed_tasks), 0) as failed_tasks
    from {{ ref('daily_task_stats') }}
),

stats as (
    select * from by_model
    union all
    select * from by_day
)

select
    stats.mart,
    stats.total_tasks,
    tasks.total_tasks as expected_total_tasks
from stats
cross join tasks
where
    stats.total_tasks <> tasks.total_tasks
    or stats.completed_tasks <> tasks.completed_tasks
    or stats.failed_tasks <> tasks.failed_tasks
