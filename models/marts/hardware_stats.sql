with task_hardware as (
    select
        unnest(coalesce(nullif(list_distinct(hardware), []), ['(unspecified)'])) as hardware_type,
        status,
        duration
    from {{ ref('generator_tasks') }}
)

select
    hardware_type,
    {{ task_outcome_stats() }}
from task_hardware
group by all
