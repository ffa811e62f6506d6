-- One row per detected change in level of a series' metric: a windowed two-sample test (see
-- int_performance_series_tails and the change_point_* vars in dbt_project.yml). Rebuilt from the
-- tails, which keep every series' change points: its cost follows the number of series, not the
-- history. Series or metrics annotated `ignore` are left out.
with tails as (
    select * from {{ ref('int_performance_series_tails') }}
    where tail_id not in ({{ ignored_tails() }})
),

detected as (
    select
        tails.*,
        unnest(tails.change_points) as change_point
    from tails
)

select
    md5(
        detected.series_id || '|' || detected.metric || '|' || detected.change_point.result_id
    ) as change_point_id,
    detected.series_id,
    detected.model_name,
    detected.hardware_type,
    detected.batch_size,
    detected.precision,
    detected.sequence_length,
    detected.test_case,
    detected.image_size,
    detected.audio_length_seconds,
    detected.metric,
    detected.direction,
    detected.change_point.result_id,
    detected.change_point.changed_at,
    detected.change_point.before_value,
    detected.change_point.after_value,
    detected.change_point.change_pct,
    case
        when detected.direction = 'higher_is_better'
            then detected.change_point.change_pct < 0
        else detected.change_point.change_pct > 0
    end as is_regression,
    detected.change_point.statistic,
    {{ var('change_point_t_threshold', 4) | float }}::double as threshold,
    detected.change_point.runs_before::bigint as runs_before,
    detected.change_point.runs_after::bigint as runs_after
from detected
