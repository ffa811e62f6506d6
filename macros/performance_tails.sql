{#-
    performance_alerts and performance_regressions read the tails (int_performance_series_tails) that
    changed since their previous build: those with a tail_version (the time of the build that changed
    them) above the version they read last, kept in staging.incremental_watermarks.
-#}
{% macro tails_version_watermark() -%}
    {%- if is_incremental() and execute -%}
        {%- set query -%}
            select coalesce(max(read_through_load_id), -1) from {{ watermark_table() }}
            where model_name = '{{ this.identifier }}'
        {%- endset -%}
        {{ run_query(query).columns[0].values()[0] | int }}
    {%- else -%}
        -1
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: the calling model has read every tail up to the newest tail_version. -#}
{% macro record_tails_version() -%}
    {{ record_watermark(ref('int_performance_series_tails'), 'tail_version') }}
{%- endmacro %}


{#- The tails (md5 of series_id and metric) an `ignore` annotation leaves out. -#}
{% macro ignored_tails() -%}
    select md5(annotations.series_id || '|' || metrics.metric) as tail_id
    from {{ ref('performance_annotations') }} as annotations
    cross join (values ('throughput'), ('latency'), ('memory')) as metrics (metric)
    where annotations.annotation = 'ignore' and coalesce(annotations.metric, metrics.metric) = metrics.metric
{%- endmacro %}


{#-
    Pre-hook of performance_alerts and performance_regressions: remove the rows of the tails computed
    again from their whole history in a build since the model's last (their rows are written again in
    full), and of the ignored tails.
-#}
{% macro forget_recomputed_tails() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where md5(series_id || '|' || metric) in (
            select tails.tail_id from {{ ref('int_performance_series_tails') }} as tails
            where tails.is_gathered_again and tails.tail_version > {{ tails_version_watermark() }}
            union all
            {{ ignored_tails() }}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#-
    Pre-hook of performance_alerts: remove the alerts of the runs judged again in a build since its last
    (a late value reopens the stored runs after it); their judgements are written again.
-#}
{% macro forget_rejudged_runs() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where alert_id in (
            select md5(judged_runs.series_id || '|' || judged_runs.metric || '|' || judged_runs.judged.result_id)
            from (
                select
                    tails.series_id,
                    tails.metric,
                    unnest(tails.judgements) as judged
                from {{ ref('int_performance_series_tails') }} as tails
                where tails.tail_version > {{ tails_version_watermark() }}
            ) as judged_runs
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- A run's epoch: how many of its tail's expected changes (CTE expected_changes) it is at or after. -#}
{% macro run_epoch(relation) -%}
    (
        select count(*) from expected_changes
        where
            expected_changes.tail_id = {{ relation }}.tail_id
            and expected_changes.starts_at <= {{ relation }}.run_at
    )
{%- endmacro %}
