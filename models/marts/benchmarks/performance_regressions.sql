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
        tails.*,
        tails.judgements[-1] as latest,
        list_reverse(
            list_filter(tails.tail_values, lambda v: v.epoch = tails.tail_values[-1].epoch)
        ) as epoch_values
    from {{ ref('int_performance_series_tails') }} as tails
    where
        tails.tail_version > {{ tails_version_watermark() }}
        and tails.tail_id not in ({{ ignored_tails() }})
)

select
    changed_tails.tail_id as regression_id,
    changed_tails.series_id,
    changed_tails.model_name,
    changed_tails.hardware_type,
    changed_tails.batch_size,
    changed_tails.precision,
    changed_tails.sequence_length,
    changed_tails.test_case,
    changed_tails.image_size,
    changed_tails.audio_length_seconds,
    changed_tails.metric,
    changed_tails.direction,
    changed_tails.latest.result_id as current_result_id,
    changed_tails.latest.run_at as current_run_at,
    changed_tails.latest.current_value,
    changed_tails.latest.baseline_mean,
    changed_tails.latest.baseline_stddev,
    changed_tails.latest.baseline_runs::bigint as baseline_runs,
    changed_tails.latest.change_pct,
    changed_tails.latest.z_score,
    changed_tails.latest.judgement <> 'insufficient_baseline' as is_judged,
    changed_tails.latest.judgement,
    changed_tails.latest.judgement = 'regression' as is_regression,
    changed_tails.latest.severity,
    list_transform(
        changed_tails.epoch_values[1:{{ window_runs + 1 }}],
        v -> {
            'metric_value': v.metric_value,
            'result_id': v.result_id,
            'run_at': v.run_at,
            'load_id': v.load_id,
            'record_index': v.record_index
        }
    ) as recent_values,
    changed_tails.last_load_id
from changed_tails
