-- One row per series (model, hardware, batch size, precision, sequence length, test case): its latest
-- successful measurement, with how many successful runs the series has. A run dated only by its load time
-- is taken only when no run of the series carries a timestamp of its own.
-- Incremental: only series with results landed since the last run are ranked again.
{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='series_id',
    post_hook="{{ record_watermark(ref('benchmark_results')) }}"
) }}

with {{ changed_benchmark_series() }},

measured as (
    select * from {{ ref('benchmark_results') }}
    where
        succeeded and (average_latency_ms is not null or throughput_items_per_second is not null)
        and series_id in (select changed_series.series_id from changed_series)
),

series as (
    -- aggregates, not windows: a hash aggregate per series instead of sorting the whole history
    select
        series_id,
        count(*) as series_run_count,
        min(run_at) as first_run_at,
        max(load_id) as last_load_id,
        -- the latest: dated runs first, then run_at, load_id, record_index descending, result_id ascending
        arg_min(
            result_id,
            {
                'is_load_dated': run_at_source = 'loaded_at',
                'run_at': -epoch_us(run_at),
                'load_id': -load_id,
                'record_index': -record_index,
                'result_id': result_id
            }
        ) as latest_result_id
    from measured
    group by series_id
),

latest as (
    -- read from benchmark_results again rather than from `measured`: a CTE read twice is materialised
    select
        results.*,
        series.series_run_count,
        series.first_run_at,
        series.last_load_id
    from {{ ref('benchmark_results') }} as results
    inner join series on results.result_id = series.latest_result_id
)

select
    series_id,
    model_name,
    hardware_type,
    batch_size,
    precision,
    sequence_length,
    test_case,
    result_id,
    run_at,
    run_at_source,
    model_family,
    modality,
    device_name,
    average_latency_ms,
    p50_latency_ms,
    p90_latency_ms,
    p99_latency_ms,
    throughput_items_per_second,
    memory_peak_mb,
    is_simulated,
    source_format,
    series_run_count,
    first_run_at,
    last_load_id
from latest
