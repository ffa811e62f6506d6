-- One row per (series, metric, run) judged a regression or an improvement against the runs before it
-- (the rules and vars of performance_regressions), so past alerts stay queryable after newer runs land.
-- Incremental: appends the judgements of the tails that changed since the last build; a tail computed
-- again from its whole history has its rows replaced, and the runs a late value reopened (the runs after
-- it) are judged again. Series or metrics annotated `ignore` are left out.
{{ config(
    materialized='incremental', incremental_strategy='append',
    pre_hook=["{{ forget_recomputed_tails() }}", "{{ forget_rejudged_runs() }}"],
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
        changed_tails.*,
        unnest(changed_tails.judgements) as judged
    from changed_tails
)

select
    md5(
        judged_runs.series_id || '|' || judged_runs.metric || '|' || judged_runs.judged.result_id
    ) as alert_id,
    judged_runs.series_id,
    judged_runs.model_name,
    judged_runs.hardware_type,
    judged_runs.batch_size,
    judged_runs.precision,
    judged_runs.sequence_length,
    judged_runs.test_case,
    judged_runs.image_size,
    judged_runs.audio_length_seconds,
    judged_runs.metric,
    judged_runs.direction,
    judged_runs.judged.result_id,
    judged_runs.judged.load_id,
    judged_runs.judged.run_at,
    judged_runs.judged.current_value,
    judged_runs.judged.baseline_mean,
    judged_runs.judged.baseline_stddev,
    judged_runs.judged.baseline_runs::bigint as baseline_runs,
    judged_runs.judged.change_pct,
    judged_runs.judged.z_score,
    judged_runs.judged.judgement = 'regression' as is_regression,
    judged_runs.judged.judgement = 'improvement' as is_improvement,
    judged_runs.judged.severity,
    judged_runs.judged.commit_sha,
    judged_runs.judged.branch,
    judged_runs.judged.machine_name,
    judged_runs.judged.ci_run_id
from judged_runs
where judged_runs.judged.judgement in ('regression', 'improvement')
