-- One row per series (model, hardware, batch size, precision, sequence length, test case, input shape):
-- its latest successful measurement, real (not simulated) runs first, with how many successful runs the
-- series has and how many of them were simulated. A run dated only by its load time is taken only when no
-- run of the series carries a timestamp of its own.
-- Incremental: a series with results landed since the last run takes the latest of its stored row and
-- those results.
{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='series_id',
    post_hook="{{ record_watermark(ref('benchmark_results')) }}"
) }}
{%- set watermark = incremental_watermark() %}
{%- set columns = [
    'series_id', 'model_name', 'hardware_type', 'batch_size', 'precision', 'sequence_length', 'test_case',
    'image_size', 'audio_length_seconds', 'result_id', 'run_at', 'run_at_source', 'model_family', 'modality', 'device_name', 'average_latency_ms',
    'p50_latency_ms', 'p90_latency_ms', 'p99_latency_ms', 'throughput_items_per_second', 'memory_peak_mb',
    'is_simulated', 'source_format'
] %}

with history as not materialized (
    select * from {{ ref('benchmark_results') }}
    where succeeded and (average_latency_ms is not null or throughput_items_per_second is not null)
),

measured as not materialized (
    select * from history
    where load_id > {{ watermark }}
),

candidates as (
    select {{ columns | join(', ') }}, load_id, record_index from measured
    {%- if is_incremental() %}
        union all
        -- the stored rows of those series, while still in benchmark_results, with the landing order
        -- they are ranked by. A stored row leaves only when its measurement is reported again and the
        -- new report wins; that report is then among the new results, with the same run_at and values.
        select
            {%- for column in columns %}
                stored_latest.{{ column }},
            {%- endfor %}
            stored_keys.load_id,
            stored_keys.record_index
        from {{ this }} as stored_latest
        -- a subquery: as a CTE it would exist on incremental runs only
        inner join (  -- noqa: ST05
            select
                history.result_id,
                history.load_id,
                history.record_index
            from history
            where history.result_id in (
                select this_run.result_id from {{ this }} as this_run
                where this_run.series_id in (select measured.series_id from measured)
            )
        ) as stored_keys on stored_latest.result_id = stored_keys.result_id
    {%- endif %}
),

latest as (
    -- the latest: real runs first, dated runs first, then run_at, load_id, record_index descending,
    -- result_id ascending
    -- (an aggregate per series, not a window sorting the whole history)
    select
        arg_min(
            candidates,
            {
                'is_simulated': is_simulated,
                'is_load_dated': run_at_source = 'loaded_at',
                'run_at': -epoch_us(run_at),
                'load_id': -load_id,
                'record_index': -record_index,
                'result_id': result_id
            }
        ) as latest_row
    from candidates
    group by series_id
),

series as (
    -- counted over the whole history: a result reported again replaces a stored one, it adds no run
    select
        series_id,
        count(*) as series_run_count,
        count(*) filter (where is_simulated) as simulated_run_count,
        min(run_at) as first_run_at,
        max(load_id) as last_load_id
    from history
    where series_id in (select measured.series_id from measured)
    group by series_id
)

select
    {%- for column in columns %}
        latest.latest_row.{{ column }},
    {%- endfor %}
    series.series_run_count,
    series.simulated_run_count,
    series.first_run_at,
    series.last_load_id
from latest
inner join series on latest.latest_row.series_id = series.series_id
