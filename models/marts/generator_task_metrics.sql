select
    task_id,
    metric_name,
    metric_value,
    metric_unit,
    recorded_at
from {{ ref('int_generator_task_metrics_unnested') }}
where metric_name is not null
