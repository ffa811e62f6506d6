{#- Settings come from dbt_project.yml vars; the defaults here are the same values. -#}
{%- set window_runs = var('regression_window_runs', 10) | int -%}
{%- set min_baseline_runs = var('regression_min_baseline_runs', 5) | int -%}
{%- set threshold_pct = var('regression_threshold_pct', 10) | float -%}
{%- set z_threshold = var('regression_z_threshold', 3) | float -%}
-- One row per (series, metric): the latest successful real-hardware value against the mean and stddev of
-- the series' previous runs (at most regression_window_runs of them), judged direction-aware. Runs dated
-- only by their load time cannot be placed in the series' history and are left out.
-- Incremental: a series with results landed since the last run merges them into its stored
-- recent_values and is judged again; it is gathered again from its whole history when one of its
-- stored values has left benchmark_results (a measurement reported again was decided anew).
{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='series_id',
    post_hook="{{ record_watermark(ref('benchmark_results')) }}"
) }}
{%- set watermark = incremental_watermark() %}
{%- set series_columns = [
    'series_id', 'model_name', 'hardware_type', 'batch_size', 'precision', 'sequence_length', 'test_case'
] %}

with history as not materialized (
    select * from {{ ref('benchmark_results') }}
    where succeeded and not is_simulated and run_at_source <> 'loaded_at'
),

-- noqa: disable=LT02
-- (sqlfluff indents the CTEs of an incremental run as if they were nested)
{%- if is_incremental() %}

stored_values as (
    select
        {{ series_columns | join(', ') }},
        metric,
        direction,
        last_load_id as stored_last_load_id,
        unnest(recent_values, max_depth := 2)  -- noqa: AL03
    from {{ this }}
    where series_id in (
        select history.series_id from history
        where history.load_id > {{ watermark }}
    )
),

gathered_again as (
    select distinct stored_values.series_id from stored_values
    where stored_values.result_id not in (
        select history.result_id from history
        where history.result_id in (select stored_values.result_id from stored_values)
    )
),
{%- endif %}
-- noqa: enable=LT02

measured as (
    select * from history
    where load_id > {{ watermark }}
    {%- if is_incremental() %}
        union all
        select * from history
        where
            load_id <= {{ watermark }}
            and series_id in (select gathered_again.series_id from gathered_again)
    {%- endif %}
),

measured_metrics as (
    -- one row per (result, metric); unpivot leaves out NULL values
    unpivot (
        select
            {{ series_columns | join(', ') }},
            result_id,
            run_at,
            load_id,
            record_index,
            throughput_items_per_second,
            average_latency_ms,
            memory_peak_mb
        from measured
    )
    on throughput_items_per_second, average_latency_ms, memory_peak_mb
    into name measure value metric_value
),

metric_values as (
    select
        * exclude (measure),
        case measure
            when 'throughput_items_per_second' then 'throughput'
            when 'average_latency_ms' then 'latency'
            else 'memory'
        end as metric,
        case
            when measure = 'throughput_items_per_second' then 'higher_is_better' else 'lower_is_better'
        end as direction,
        null::bigint as stored_last_load_id
    from measured_metrics
    {%- if is_incremental() %}
        union all by name
        select * from stored_values
        where series_id not in (select gathered_again.series_id from gathered_again)
    {%- endif %}
),

recent as (
    -- per series and metric, the latest value and the window before it, newest first: a top-N
    -- aggregate, so nothing is sorted but these few values per group however long the history
    select
        {{ series_columns | join(', ') }},
        metric,
        direction,
        max_by(
            {
                'metric_value': metric_value,
                'result_id': result_id,
                'run_at': run_at,
                'load_id': load_id,
                'record_index': record_index
            },
            {
                'run_at': run_at,
                'load_id': load_id,
                'record_index': record_index,
                'result_id': result_id
            },
            {{ window_runs }} + 1
        ) as recent_values,
        -- the stored values are only the latest few: the newest load of the series is stored apart
        greatest(
            max(max(load_id)) over series_rows, max(max(stored_last_load_id)) over series_rows
        ) as last_load_id
    from metric_values
    group by {{ series_columns | join(', ') }}, metric, direction
    window series_rows as (partition by series_id)
),

with_baseline as (
    -- the latest value against the values before it
    select
        *,
        recent_values[1].result_id as result_id,
        recent_values[1].run_at as run_at,
        recent_values[1].metric_value as metric_value,
        list_avg(baseline_values) as baseline_mean,
        list_aggregate(baseline_values, 'stddev_samp') as baseline_stddev,
        len(baseline_values) as baseline_runs
    from (
        select
            *,
            list_transform(recent_values[2:], v -> v.metric_value) as baseline_values
        from recent
    ) as recent_baselines
),

scored as (
    select
        *,
        100.0 * (metric_value - baseline_mean) / nullif(abs(baseline_mean), 0) as change_pct,
        (metric_value - baseline_mean) / nullif(baseline_stddev, 0) as z_score,
        -- +1 when a rise is bad (latency, memory), -1 when a fall is bad (throughput)
        case when direction = 'higher_is_better' then -1 else 1 end as worse_sign,
        baseline_runs >= {{ min_baseline_runs }} as is_judged
    from with_baseline
),

judged as (
    select
        *,
        worse_sign * change_pct as degradation_pct,
        case
            when not is_judged then 'insufficient_baseline'
            when
                worse_sign * change_pct >= {{ threshold_pct }}
                and (coalesce(baseline_stddev, 0) = 0 or worse_sign * z_score >= {{ z_threshold }})
                then 'regression'
            when
                -worse_sign * change_pct >= {{ threshold_pct }}
                and (coalesce(baseline_stddev, 0) = 0 or -worse_sign * z_score >= {{ z_threshold }})
                then 'improvement'
            else 'stable'
        end as judgement
    from scored
)

select
    md5(series_id || '|' || metric) as regression_id,
    series_id,
    model_name,
    hardware_type,
    batch_size,
    precision,
    sequence_length,
    test_case,
    metric,
    direction,
    result_id as current_result_id,
    run_at as current_run_at,
    metric_value as current_value,
    baseline_mean,
    baseline_stddev,
    baseline_runs,
    change_pct,
    z_score,
    is_judged,
    judgement,
    judgement = 'regression' as is_regression,
    case
        when not is_judged then 'not_judged'
        when judgement <> 'regression' then 'none'
        when degradation_pct >= 3 * {{ threshold_pct }} then 'critical'
        when degradation_pct >= 2 * {{ threshold_pct }} then 'major'
        else 'minor'
    end as severity,
    recent_values,
    last_load_id
from judged
