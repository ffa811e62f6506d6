{#- Task counts and duration statistics shared by model_stats, hardware_stats and daily_task_stats. -#}
{% macro task_outcome_stats(with_percentiles=true) -%}
    count(*) as total_tasks,
    count(*) filter (where status = 'completed') as completed_tasks,
    count(*) filter (where status = 'error') as failed_tasks,
    {%- if with_percentiles %}
    count(*) filter (where status not in ('completed', 'error')) as running_tasks,
    min(duration) as min_duration,
    max(duration) as max_duration,
    {%- endif %}
    avg(duration) as avg_duration
    {%- if with_percentiles %},
    quantile_cont(duration, 0.5) as p50_duration,
    quantile_cont(duration, 0.95) as p95_duration,
    count(*) filter (where status = 'completed')
    / nullif(count(*) filter (where status in ('completed', 'error')), 0) as success_rate
    {%- endif %}
{%- endmacro %}
