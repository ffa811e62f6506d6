-- One row per (benchmark result, metric) that regressions and change points judge: successful runs on
-- real hardware with a time of their own (a run dated only by its load time has no place in its series'
-- history). A view: a filter on load_id reaches the scan of benchmark_results.
with judged_results as (
    select * from {{ ref('benchmark_results') }}
    where succeeded and not is_simulated and run_at_source <> 'loaded_at'
),

measured_metrics as (
    -- unpivot leaves out NULL values
    unpivot (
        select
            series_id,
            model_name,
            hardware_type,
            batch_size,
            precision,
            sequence_length,
            image_size,
            audio_length_seconds,
            test_case,
            result_id,
            run_at,
            load_id,
            record_index,
            commit_sha,
            branch,
            machine_name,
            ci_run_id,
            throughput_items_per_second,
            average_latency_ms,
            memory_peak_mb
        from judged_results
    )
    on throughput_items_per_second, average_latency_ms, memory_peak_mb
    into name measure value metric_value
),

named as (
    select
        * exclude (measure),
        case measure
            when 'throughput_items_per_second' then 'throughput'
            when 'average_latency_ms' then 'latency'
            else 'memory'
        end as metric,
        case
            when measure = 'throughput_items_per_second' then 'higher_is_better' else 'lower_is_better'
        end as direction
    from measured_metrics
)

select
    md5(series_id || '|' || metric) as tail_id,
    *
from named
where isfinite(metric_value)
