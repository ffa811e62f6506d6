{%- set window_runs = var('regression_window_runs', 10) | int -%}
-- One row per (series, metric): the latest successful real-hardware value against the mean and stddev of
-- the series' previous runs (at most regression_window_runs of them, since its last expected change),
-- judged direction-aware: the latest of that series' judgements in performance_alerts' computation
-- (int_performance_series_tails). Runs dated only by their load time have no place in the series'
-- history and are left out. Incremental: the series whose tails changed since the last build are
-- replaced. Series or metrics annotated `ignore` are left out.
{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='regression_id',
    pre_hook="{{ forget_recomputed_tails() }}",
    post_hook="{{ record_tails_version() }}"
) }}

with changed_tails as (
    select
        *,
        judgements[-1] as latest,
        list_reverse(list_filter(tail_values, lambda v: v.epoch = tail_values[-1].epoch)) as epoch_values
    from {{ ref('int_performance_series_tails') }}
    where
        tail_version > {{ tails_version_watermark() }}
        and tail_id not in ({{ ignored_tails() }})
)

select
    tail_id as regression_id,
    series_id,
    model_name,
    hardware_type,
    batch_size,
    precision,
    sequence_length,
    test_case,
    image_size,
    audio_length_seconds,
    metric,
    direction,
    latest.result_id as current_result_id,
    latest.run_at as current_run_at,
    latest.current_value,
    latest.baseline_mean,
    latest.baseline_stddev,
    latest.baseline_runs::bigint as baseline_runs,
    latest.change_pct,
    latest.z_score,
    latest.judgement <> 'insufficient_baseline' as is_judged,
    latest.judgement,
    latest.judgement = 'regression' as is_regression,
    latest.severity,
    list_transform(
        epoch_values[1:{{ window_runs + 1 }}],
        v -> {
            'metric_value': v.metric_value,
            'result_id': v.result_id,
            'run_at': v.run_at,
            'load_id': v.load_id,
            'record_index': v.record_index
        }
    ) as recent_values,
    last_load_id
from changed_tails
