select
    coalesce(model_name, '(unknown)') as model_name,
    {{ task_outcome_stats() }}
from {{ ref('generator_tasks') }}
group by all
