select
    started_at::date as day,
    {{ task_outcome_stats(with_percentiles=false) }}
from {{ ref('generator_tasks') }}
group by all
