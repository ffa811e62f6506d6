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

ranked as (
    select
        *,
        count(*) over (partition by series_id) as series_run_count,
        min(run_at) over (partition by series_id) as first_run_at,
        max(load_id) over (partition by series_id) as last_load_id,
        row_number() over (
            partition by series_id
            order by
                run_at_source = 'loaded_at' asc, run_at desc, load_id desc, record_index desc, result_id asc
        ) as recency
    from measured
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
from ranked
where recency = 1
