-- One row per measured configuration per run, whatever shape reported it; units normalised (ms, items/s, MB).
with results as (
    select * from {{ ref('int_benchmark_results_unioned') }}
),

model_seed as (
    select * from {{ ref('model_seed') }}
)

select
    results.result_id,
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
    results.source_path
from results
left join model_seed
    on results.model_name = model_seed.model_name
