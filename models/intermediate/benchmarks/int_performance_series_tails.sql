{#- Settings: dbt_project.yml vars (documented there); the defaults here are the same values. -#}
{%- set window_runs = var('regression_window_runs', 10) | int -%}
{%- set min_baseline_runs = var('regression_min_baseline_runs', 5) | int -%}
{%- set threshold_pct = var('regression_threshold_pct', 10) | float -%}
{%- set z_threshold = var('regression_z_threshold', 3) | float -%}
{#- each window holds at least one run, each segment at least one -#}
{%- set back_runs = [var('change_point_back_runs', 8) | int, 1] | max -%}
{%- set forward_runs = [var('change_point_forward_runs', 8) | int, 1] | max -%}
{%- set min_segment_runs = [var('change_point_min_segment_runs', 6) | int, 1] | max -%}
{%- set t_threshold = var('change_point_t_threshold', 4) | float -%}
{%- set min_change_pct = var('change_point_min_change_pct', 3) | float -%}
{%- set min_fit_ratio = var('change_point_min_step_fit_ratio', 1.5) | float -%}
{#- a change point is a local maximum of the statistic within this many runs either side -#}
{%- set radius = min_segment_runs - 1 -%}
{#- the values kept per tail: enough for the baseline window and for every statistic a new value can
    change (see `in_zone`) -#}
{%- set tail_runs = [window_runs, back_runs + forward_runs + 2 * radius] | max -%}
{#- the values stored per tail: a late value with tail_runs of them before it is judged from the stored
    tail alone -#}
{%- set keep_runs = 2 * tail_runs -%}
-- One row per (series, metric): the series' latest values (its tail), its change points, and the
-- judgement of each value that arrived in the build that last changed it. The computation behind
-- performance_alerts, performance_change_points and performance_regressions.
-- Incremental, flat as history grows: a tail with new values merges them into its stored tail; its
-- change points are found again only where the new values can change them (the last
-- forward_runs + radius positions before them, and after), the others are kept. A late value (dated
-- at or before the newest stored one: a run reported late, or again) reopens the stored values from
-- its time on: they are judged again, with the new ones, and their change points found again. When a
-- late value has fewer stored values before it than the statistics need (it is older than the stored
-- tail), the tail_runs values before it and every value from its time on are read from history
-- instead (history gives only their run numbers): the cost grows with how late it is, not with
-- history. A tail is gathered again from its whole history only when a stored value is no longer a
-- result (a measurement reported again) or when its annotations changed.
{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='tail_id',
    post_hook="{{ record_watermark(ref('benchmark_results')) }}"
) }}
{%- set watermark = incremental_watermark() %}
{%- set series_columns = ['series_id', 'model_name', 'hardware_type'] + benchmark_series_dimensions() %}
{%- set run_order = 'run_at, load_id, record_index, result_id' %}

with metric_values as not materialized (
    select * from {{ ref('int_benchmark_metric_values') }}
),

annotations as (
    -- one row per (series, metric) an annotation applies to
    select
        md5(performance_annotations.series_id || '|' || metrics.metric) as tail_id,
        performance_annotations.annotation,
        performance_annotations.starts_at
    from {{ ref('performance_annotations') }} as performance_annotations
    cross join (values ('throughput'), ('latency'), ('memory')) as metrics (metric)
    where coalesce(performance_annotations.metric, metrics.metric) = metrics.metric
),

annotation_keys as (
    select
        tail_id,
        string_agg(
            annotation || '@' || coalesce(starts_at::varchar, ''), ';' order by annotation, starts_at
        ) as annotations_key
    from annotations
    group by tail_id
),

expected_changes as (
    select
        tail_id,
        starts_at
    from annotations
    where annotation = 'expected_change' and starts_at is not null
),

new_values as (
    select * from metric_values
    where load_id > {{ watermark }}
),

new_tails as (
    select
        tail_id,
        min(run_at) as first_new_run_at
    from new_values
    group by tail_id
),

-- noqa: disable=LT02
-- (sqlfluff indents the CTEs of an incremental run as if they were nested)
{%- if is_incremental() %}

late_values as (
    -- the stored values of the tails with a late value
    select
        previous.tail_id,
        unnest(list_transform(previous.tail_values, lambda v: v.result_id)) as result_id  -- noqa: RF01
    from {{ this }} as previous
    inner join new_tails on previous.tail_id = new_tails.tail_id
    where new_tails.first_new_run_at <= previous.last_run_at
),

replaced_tails as (
    -- tails with a stored value that is no longer a result: a measurement reported again, whose new
    -- report replaced it in benchmark_results
    select distinct late_values.tail_id from late_values
    where late_values.result_id not in (
        select metric_values.result_id from metric_values
        where metric_values.result_id in (select late_values.result_id from late_values)
    )
),

deep_late_tails as (
    -- tails with a late value that has fewer than tail_runs stored values before it, and history older
    -- than the stored tail: judged from the tail_runs values before it, read from history
    select
        stored_tails.tail_id,
        new_tails.first_new_run_at
    from {{ this }} as stored_tails
    inner join new_tails on stored_tails.tail_id = new_tails.tail_id
    where
        new_tails.first_new_run_at <= stored_tails.last_run_at
        and stored_tails.history_runs > len(stored_tails.tail_values)
        and len(
            list_filter(
                stored_tails.tail_values, lambda v: v.run_at < new_tails.first_new_run_at  -- noqa: RF01
            )
        ) < {{ tail_runs }}
),

gathered_again as (
    select stored_tails.tail_id from {{ this }} as stored_tails
    left join annotation_keys on stored_tails.tail_id = annotation_keys.tail_id
    where
        stored_tails.tail_id in (select replaced_tails.tail_id from replaced_tails)
        or coalesce(stored_tails.annotations_key, '') <> coalesce(annotation_keys.annotations_key, '')
),

deep_late_history as (
    -- every value of a deep late tail, numbered in its epoch; the run numbers are all it needs of history
    select
        metric_values.*,
        deep_late_tails.first_new_run_at,
        {{ run_epoch('metric_values') }} as epoch
    from metric_values
    inner join deep_late_tails on metric_values.tail_id = deep_late_tails.tail_id
    where metric_values.tail_id not in (select gathered_again.tail_id from gathered_again)
),

deep_late_values as (
    -- the tail_runs values before the first late one, and every value from its time on
    select
        * exclude (first_new_run_at, epoch, history_position, earlier_runs),
        run_at >= first_new_run_at as is_new,
        load_id > {{ watermark }} as is_arrival,
        case when run_at < first_new_run_at then run_number end as run_number
    from (
        select
            *,
            row_number() over (partition by tail_id, epoch order by {{ run_order }}) as run_number,
            row_number() over (partition by tail_id order by {{ run_order }}) as history_position,
            count(*) filter (where run_at < first_new_run_at) over (partition by tail_id) as earlier_runs
        from deep_late_history
    ) as numbered_history
    where history_position > earlier_runs - {{ tail_runs }}
),

stored_tails as (
    select
        previous.*,
        new_tails.first_new_run_at,
        -- how many of the oldest stored values the new ones cannot change (none after a late value; else
        -- all but the last tail_runs): kept as they are, not computed again
        case
            when new_tails.first_new_run_at <= previous.last_run_at then 0
            else greatest(len(previous.tail_values) - {{ tail_runs }}, 0)
        end as kept_runs
    from {{ this }} as previous
    inner join new_tails on previous.tail_id = new_tails.tail_id
    where previous.tail_id not in (select gathered_again.tail_id from gathered_again)
),

stored_values as (
    select
        tail_id,
        {{ series_columns | join(', ') }},
        metric,
        direction,
        first_new_run_at,
        unnest(tail_values[kept_runs + 1:], max_depth := 2)  -- noqa: AL03
    from stored_tails
    where tail_id not in (select deep_late_tails.tail_id from deep_late_tails)
),

reopened_values as (
    -- the stored values from the first new one's time on are judged again (late values go before them)
    select
        * exclude (first_new_run_at, epoch, run_number),
        run_at >= first_new_run_at as is_new,
        false as is_arrival,
        case when run_at < first_new_run_at then run_number end as run_number
    from stored_values
),
{%- endif %}
-- noqa: enable=LT02

combined as (
    select
        *,
        true as is_new,
        true as is_arrival,
        null::bigint as run_number
    from new_values
    {%- if is_incremental() %}
        where
            tail_id not in (select gathered_again.tail_id from gathered_again)
            and tail_id not in (select deep_late_tails.tail_id from deep_late_tails)
        union all by name
        select
            *,
            true as is_new,
            true as is_arrival,
            null::bigint as run_number
        from metric_values
        where tail_id in (select gathered_again.tail_id from gathered_again)
        union all by name
        select * from reopened_values
        union all by name
        select * from deep_late_values
    {%- endif %}
),

with_epochs as (
    -- epoch: how many expected changes the run is at or after; baselines and windows stay within one
    select
        combined.*,
        {{ run_epoch('combined') }} as epoch
    from combined
),

numbered as (
    select
        *,
        row_number() over (partition by tail_id order by {{ run_order }}) as tail_position,
        count(*) over (partition by tail_id) as tail_length,
        count(*) filter (where not is_new) over (partition by tail_id) as stored_length,
        -- the run's position in its epoch: stored values keep theirs, new ones continue after them
        coalesce(
            run_number,
            coalesce(max(run_number) over (partition by tail_id, epoch), 0)
            + row_number() over (partition by tail_id, epoch, is_new order by {{ run_order }})
        ) as epoch_run_number
    from with_epochs
),

windowed as (
    select
        *,
        count(*) over (
            partition by tail_id, epoch order by {{ run_order }}
            rows between current row and unbounded following
        ) as runs_from_here,
        list(metric_value) over (
            partition by tail_id, epoch order by {{ run_order }}
            rows between {{ window_runs }} preceding and 1 preceding
        ) as baseline_values,
        count(metric_value) over back_window as back_runs,
        avg(metric_value) over back_window as back_mean,
        var_samp(metric_value) over back_window as back_variance,
        median(metric_value) over back_window as back_median,
        count(metric_value) over forward_window as forward_runs,
        avg(metric_value) over forward_window as forward_mean,
        var_samp(metric_value) over forward_window as forward_variance,
        median(metric_value) over forward_window as forward_median,
        count(metric_value) over span_window as span_runs,
        var_samp(metric_value) over span_window as span_variance,
        corr(metric_value, epoch_run_number::double) over span_window as span_correlation
    from numbered
    window
        back_window as (
            partition by tail_id, epoch order by {{ run_order }}
            rows between {{ back_runs }} preceding and 1 preceding
        ),
        forward_window as (
            partition by tail_id, epoch order by {{ run_order }}
            rows between current row and {{ forward_runs - 1 }} following
        ),
        span_window as (
            partition by tail_id, epoch order by {{ run_order }}
            rows between {{ back_runs }} preceding and {{ forward_runs - 1 }} following
        )
),

tested as (
    -- the windowed test of a change just before this run: a two-sample t statistic of the back and
    -- forward windows (pooled variance; infinite when both windows are constant and differ), tested
    -- only with at least min_segment_runs runs of the epoch on each side
    select
        *,
        (back_runs - 1) * back_variance + (forward_runs - 1) * forward_variance as step_sse,
        -- squared error of one straight line through both windows: a slow drift fits it as well as a step
        (span_runs - 1) * span_variance * (1 - coalesce(span_correlation, 0) ^ 2) as trend_sse,
        case
            when
                epoch_run_number <= {{ min_segment_runs }} or runs_from_here < {{ min_segment_runs }}
                then null
            when (back_runs - 1) * back_variance + (forward_runs - 1) * forward_variance = 0
                then case when forward_mean <> back_mean then 'infinity'::double else 0 end
            else abs(forward_mean - back_mean) / sqrt(
                ((back_runs - 1) * back_variance + (forward_runs - 1) * forward_variance)
                / (back_runs + forward_runs - 2) * (1.0 / back_runs + 1.0 / forward_runs)
            )
        end as t_statistic,
        100.0 * (forward_median - back_median) / nullif(abs(back_median), 0) as median_change_pct,
        -- positions whose statistic or local-maximum status the new values can change
        tail_position >= stored_length - {{ forward_runs + radius }} + 2 as in_zone
    from windowed
),

local_maxima as (
    select
        *,
        -- ties: the earliest
        t_statistic = max(t_statistic) over around_window
        and t_statistic > coalesce(max(t_statistic) over before_window, -1) as is_local_maximum
    from tested
    window
        around_window as (
            partition by tail_id, epoch order by {{ run_order }}
            rows between {{ radius }} preceding and {{ radius }} following
        ),
        before_window as (
            partition by tail_id, epoch order by {{ run_order }}
            rows between {{ radius }} preceding and 1 preceding
        )
),

found_change_points as (
    select
        tail_id,
        {
            'result_id': result_id,
            'changed_at': run_at,
            'load_id': load_id,
            'record_index': record_index,
            'before_value': back_median,
            'after_value': forward_median,
            'change_pct': median_change_pct,
            'statistic': t_statistic,
            'runs_before': back_runs,
            'runs_after': forward_runs
        } as change_point
    from local_maxima
    where
        in_zone
        and is_local_maximum
        and t_statistic >= {{ t_threshold }}
        and abs(median_change_pct) >= {{ min_change_pct }}
        and trend_sse >= {{ min_fit_ratio }} * step_sse
    {%- if is_incremental() %}
        union all
        -- the stored change points the new values cannot change
        select * from (
            select
                stored_tails.tail_id,
                unnest(stored_tails.change_points) as change_point
            from stored_tails
        ) as stored_change_points
        where not exists (
            select 1 from local_maxima
            where
                local_maxima.in_zone
                and local_maxima.tail_id = stored_change_points.tail_id
                and local_maxima.result_id = stored_change_points.change_point.result_id
        )
    {%- endif %}
),

change_point_lists as (
    select
        found_change_points.tail_id,
        list(
            found_change_points.change_point
            order by
                found_change_points.change_point.changed_at,
                found_change_points.change_point.load_id,
                found_change_points.change_point.record_index
        ) as change_points
    from found_change_points
    group by found_change_points.tail_id
),

judged as (
    -- each new value against the values before it in its epoch (at most regression_window_runs)
    select
        *,
        list_avg(baseline_values) as baseline_mean,
        list_aggregate(baseline_values, 'stddev_samp') as baseline_stddev,
        coalesce(len(baseline_values), 0) as baseline_runs,
        -- +1 when a rise is bad (latency, memory), -1 when a fall is bad (throughput)
        case when direction = 'higher_is_better' then -1 else 1 end as worse_sign
    from local_maxima
    where is_new
),

scored as (
    select
        *,
        100.0 * (metric_value - baseline_mean) / nullif(abs(baseline_mean), 0) as change_pct,
        (metric_value - baseline_mean) / nullif(baseline_stddev, 0) as z_score
    from judged
),

judgements as (
    select
        *,
        case
            when baseline_runs < {{ min_baseline_runs }} then 'insufficient_baseline'
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
),

judgement_lists as (
    select
        tail_id,
        list({
            'result_id': result_id,
            'load_id': load_id,
            'run_at': run_at,
            'current_value': metric_value,
            'baseline_mean': baseline_mean,
            'baseline_stddev': baseline_stddev,
            'baseline_runs': baseline_runs,
            'change_pct': change_pct,
            'z_score': z_score,
            'judgement': judgement,
            'severity': case
                when judgement = 'insufficient_baseline' then 'not_judged'
                when judgement <> 'regression' then 'none'
                when worse_sign * change_pct >= 3 * {{ threshold_pct }} then 'critical'
                when worse_sign * change_pct >= 2 * {{ threshold_pct }} then 'major'
                else 'minor'
            end,
            'commit_sha': commit_sha,
            'branch': branch,
            'machine_name': machine_name,
            'ci_run_id': ci_run_id
        } order by tail_position) as judgements
    from judgements
    group by tail_id
),

tails as (
    select
        tail_id,
        {%- for column in series_columns %}
            any_value({{ column }}) as {{ column }},
        {%- endfor %}
        any_value(metric) as metric,
        any_value(direction) as direction,
        list({
            'metric_value': metric_value,
            'result_id': result_id,
            'run_at': run_at,
            'load_id': load_id,
            'record_index': record_index,
            'run_number': epoch_run_number,
            'epoch': epoch,
            'commit_sha': commit_sha,
            'branch': branch,
            'machine_name': machine_name,
            'ci_run_id': ci_run_id
        } order by tail_position) filter (where tail_position > tail_length - {{ keep_runs }}) as tail_values,
        count(*) filter (where is_arrival) as arrived_runs,
        max(run_at) as last_run_at,
        max(load_id) as last_load_id,
        bool_and(is_new) as is_gathered_again
    from numbered
    group by tail_id
)

select
    tails.tail_id,
    {%- for column in series_columns %}
        tails.{{ column }},
    {%- endfor %}
    tails.metric,
    tails.direction,
    {%- if is_incremental() %}
        list_slice(
            list_concat(coalesce(stored_tails.tail_values[:stored_tails.kept_runs], []), tails.tail_values),
            -{{ keep_runs }},
            -1
        ) as tail_values,
        tails.arrived_runs + coalesce(stored_tails.history_runs, 0) as history_runs,
    {%- else %}
        tails.tail_values,
        tails.arrived_runs as history_runs,
    {%- endif %}
    coalesce(change_point_lists.change_points, []) as change_points,
    judgement_lists.judgements,
    annotation_keys.annotations_key,
    tails.is_gathered_again,
    tails.last_run_at,
    tails.last_load_id,
    -- when this build changed the tail: what performance_alerts and performance_regressions read after
    epoch_us(now()) as tail_version
from tails
inner join judgement_lists on tails.tail_id = judgement_lists.tail_id
left join change_point_lists on tails.tail_id = change_point_lists.tail_id
left join annotation_keys on tails.tail_id = annotation_keys.tail_id
{%- if is_incremental() %}
    left join stored_tails on tails.tail_id = stored_tails.tail_id
{%- endif %}
