{#-
    Incremental models recompute only what changed since their last run. Every row carries the load
    that wrote it (`load_id`) or the newest load that touched it (`last_load_id`); on an incremental
    run the watermark is the largest of those already in the model, on a full refresh -1 (everything
    is new). Recomputing a superset is harmless: those models append new loads only or replace rows
    by key (delete+insert).
    A model whose new loads may yield no rows (test_results when only measurements arrive) would keep
    an old watermark and parse the same loads again on every run; such a model records the load its
    input had reached in staging.incremental_watermarks (record_watermark, a post-hook, in the model's
    transaction), and the larger of the two counts.
    The watermark is read when the model runs and rendered as a number, not a subquery: a constant
    filter on load_id is pushed down through views and unions to the raw scan, so only new rows are
    parsed at all.
-#}
{% macro incremental_watermark(column='last_load_id') -%}
    {%- if is_incremental() and execute -%}
        {%- set query -%}
            select greatest(
                (select coalesce(max({{ column }}), -1) from {{ this }}),
                (
                    select coalesce(max(read_through_load_id), -1) from {{ watermark_table() }}
                    where model_name = '{{ this.identifier }}'
                )
            )
        {%- endset -%}
        {{ run_query(query).columns[0].values()[0] | int }}
    {%- else -%}
        -1
    {%- endif -%}
{%- endmacro %}


{% macro watermark_table() -%}
    {{ generate_schema_name('staging', none) }}.incremental_watermarks
{%- endmacro %}


{#- on-run-start: the table record_watermark writes (dbt itself never drops or refreshes it). -#}
{% macro create_watermark_table() -%}
    create schema if not exists {{ generate_schema_name('staging', none) }};
    create table if not exists {{ watermark_table() }} (
        model_name varchar{{ '' if is_lake() else ' primary key' }},
        read_through_load_id bigint not null,
        recorded_at timestamptz not null
    )
{%- endmacro %}


{#-
    Post-hook: the calling model has read every load of `input` up to its largest load_id (or other
    `column`). A MERGE, not INSERT OR REPLACE, which needs the primary key (DuckLake has none).
-#}
{% macro record_watermark(input, column='load_id') -%}
    merge into {{ watermark_table() }} as recorded
    using (
        select
            '{{ this.identifier }}' as model_name,
            coalesce(max({{ column }}), -1) as read_through_load_id,
            now() as recorded_at
        from {{ input }}
    ) as reached
        on recorded.model_name = reached.model_name
    when matched then update set
        read_through_load_id = reached.read_through_load_id,
        recorded_at = reached.recorded_at
    when not matched then insert (model_name, read_through_load_id, recorded_at)
    values (reached.model_name, reached.read_through_load_id, reached.recorded_at)
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
