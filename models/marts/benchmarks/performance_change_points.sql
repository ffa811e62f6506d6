-- One row per detected change in level of a series' metric: a windowed two-sample test (see
-- int_performance_series_tails and the change_point_* vars in dbt_project.yml). Rebuilt from the
-- tails, which keep every series' change points: its cost follows the number of series, not the
-- history. Series or metrics annotated `ignore` are left out.
with tails as (
    select * from {{ ref('int_performance_series_tails') }}
    where tail_id not in ({{ ignored_tails() }})
),

change_points as (
    select
        tails.* exclude (change_points),
        unnest(tails.change_points) as change_point
    from tails
)

select
    md5(series_id || '|' || metric || '|' || change_point.result_id) as change_point_id,
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
    change_point.result_id,
    change_point.changed_at,
    change_point.before_value,
    change_point.after_value,
    change_point.change_pct,
    case
        when direction = 'higher_is_better' then change_point.change_pct < 0 else change_point.change_pct > 0
    end as is_regression,
    change_point.statistic,
    {{ var('change_point_t_threshold', 4) | float }}::double as threshold,
    change_point.runs_before::bigint as runs_before,
    change_point.runs_after::bigint as runs_after
from change_points
