-- One row per (series, metric, run) judged a regression or an improvement against the runs before it
-- (the rules and vars of performance_regressions), so past alerts stay queryable after newer runs land.
-- Incremental: appends the judgements of the tails that changed since the last build; a tail computed
-- again from its whole history (a late run, a measurement reported again, changed annotations) has its
-- rows replaced. Series or metrics annotated `ignore` are left out.
{{ config(
    materialized='incremental', incremental_strategy='append',
    pre_hook="{{ forget_recomputed_tails() }}",
    post_hook="{{ record_tails_version() }}"
) }}

with changed_tails as (
    select * from {{ ref('int_performance_series_tails') }}
    where
        tail_version > {{ tails_version_watermark() }}
        and tail_id not in ({{ ignored_tails() }})
),

judged_runs as (
    select
        changed_tails.* exclude (judgements),
        unnest(changed_tails.judgements) as judged
    from changed_tails
)

select
    md5(series_id || '|' || metric || '|' || judged.result_id) as alert_id,
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
    judged.result_id,
    judged.load_id,
    judged.run_at,
    judged.current_value,
    judged.baseline_mean,
    judged.baseline_stddev,
    judged.baseline_runs::bigint as baseline_runs,
    judged.change_pct,
    judged.z_score,
    judged.judgement = 'regression' as is_regression,
    judged.judgement = 'improvement' as is_improvement,
    judged.severity,
    judged.commit_sha,
    judged.branch,
    judged.machine_name,
    judged.ci_run_id
from judged_runs
where judged.judgement in ('regression', 'improvement')
