{#-
    Incremental generator models recompute only what changed since their last run. Every row carries
    `last_load_id`, the newest load that touched it; on an incremental run the watermark is the
    largest `last_load_id` already in the model, on a full refresh it is -1 (everything is new).
    Recomputing a superset is harmless: those models replace rows by key (delete+insert).
-#}
{% macro incremental_watermark(column='last_load_id') -%}
    {%- if is_incremental() -%}
        (select coalesce(max({{ column }}), -1) from {{ this }})
    {%- else -%}
        -1
    {%- endif -%}
{%- endmacro %}


{#-
    The two CTEs every per-task child of int_generator_tasks_folded starts from: `changed_tasks`,
    the tasks folded again since the calling model's last run, and `events`, the live events of
    those that are visible. A changed task that yields no rows keeps one row with NULL in its
    second key column, so a delete+insert on task_id replaces its old rows all the same; the mart
    views leave those rows out.
-#}
{% macro changed_generator_tasks() -%}
changed_tasks as (
    select * from {{ ref('int_generator_tasks_folded') }}
    where last_load_id > {{ incremental_watermark() }}
),

events as (
    select * from {{ ref('int_generator_events_live') }}
    where
        entity_kind = 'task'
        and task_id in (select changed_tasks.task_id from changed_tasks where changed_tasks.is_visible)
)
{%- endmacro %}


{#-
    `changed_series`: the benchmark series with results landed since the calling model's last run
    (whose rows carry the newest load of their series as `last_load_id`). Models keyed by series_id
    recompute only those.
-#}
{% macro changed_benchmark_series() -%}
changed_series as (
    select distinct series_id from {{ ref('benchmark_results') }}
    where load_id > {{ incremental_watermark() }}
)
{%- endmacro %}
