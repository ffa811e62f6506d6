select
    started_at::date as day,  -- noqa: RF04
    {{ task_outcome_stats(with_percentiles=false) }}
from {{ ref('generator_tasks') }}
group by all
