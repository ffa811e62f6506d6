-- One row per measured configuration per run, whatever shape reported it; units normalised (ms, items/s, MB).
-- The same measurement reported by two documents is kept once: the standalone document wins over a batch
-- run embedding it, then the first landed. Incremental: only loads landed since the last run are parsed;
-- a measurement they report again is decided anew among its old and new reports.
{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='measurement_id',
    post_hook="{{ record_watermark(ref('int_benchmark_document_shapes')) }}"
) }}

with results as (
    select * from {{ ref('int_benchmark_results_unioned') }}
    where
        load_id > {{ incremental_watermark('load_id') }}
        and model_name is not null and hardware_type is not null
),

model_seed as (
    select * from {{ ref('model_seed') }}
),

new_results as (
    select
        results.result_id,
        results.measurement_id,
        results.series_id,
        results.run_at,
        results.run_at_source,
        results.model_name,
        coalesce(results.model_family, model_seed.model_family) as model_family,
        coalesce(results.modality, model_seed.modality) as modality,
        results.hardware_type,
        results.device_name,
        results.batch_size,
        results.sequence_length,
        results.image_size,
        results.audio_length_seconds,
        results.precision,
        results.test_case,
        results.average_latency_ms,
        results.p50_latency_ms,
        results.p90_latency_ms,
        results.p99_latency_ms,
        results.throughput_items_per_second,
        results.memory_peak_mb,
        results.iterations,
        results.warmup_iterations,
        results.total_time_seconds,
        results.is_simulated,
        results.succeeded,
        results.error_message,
        results.metrics,
        results.run_id,
        results.git_commit,
        results.git_branch,
        results.source_format,
        results.config_path,
        results.load_id,
        results.record_index,
        results.source_path,
        loads.labels,
        loads.commit_sha,
        loads.branch,
        loads.machine_name,
        loads.ci_run_id
    from results
    left join {{ ref('stg_raw__loads') }} as loads
        on results.load_id = loads.load_id
    left join model_seed
        on results.model_name = model_seed.model_name
),

candidates as (
    select * from new_results
    {%- if is_incremental() %}
        union all
        select * from {{ this }}
        where measurement_id in (
            -- the new measurements already stored (usually none), found on the key column alone: whole
            -- rows of the history are read only when there are some
            select stored_results.measurement_id from {{ this }} as stored_results
            where stored_results.measurement_id in (select new_results.measurement_id from new_results)
        )
    {%- endif %}
)

-- every column of new_results, one report per measurement
select * from candidates  -- noqa: AM04
qualify row_number() over (
    partition by measurement_id
    order by source_format = 'batch_benchmark', load_id, record_index, config_path
) = 1
