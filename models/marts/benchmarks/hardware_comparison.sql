-- One row per (model, batch size, precision, sequence length, test case, image size, audio length, hardware):
-- the hardware's latest real (not simulated) throughput and latency, and its speedup over cpu's latest real
-- result for the same configuration. has_simulated_results says whether simulated
-- runs also exist for the cell. Simulated results (placeholder values on hardware that was not there) are
-- compared too only with `--vars '{hardware_comparison_include_simulated: true}'`.
with latest as (
    select * from {{ ref('latest_performance') }}
    {%- if not var('hardware_comparison_include_simulated', false) %}
        where not is_simulated
    {%- endif %}
),

cpu as (
    select * from latest
    where hardware_type = 'cpu'
)

select
    latest.series_id,
    latest.model_name,
    latest.batch_size,
    latest.precision,
    latest.sequence_length,
    latest.test_case,
    latest.image_size,
    latest.audio_length_seconds,
    latest.hardware_type,
    hardware_platforms.hardware_class,
    latest.throughput_items_per_second,
    latest.average_latency_ms,
    latest.memory_peak_mb,
    latest.is_simulated,
    latest.simulated_run_count > 0 as has_simulated_results,
    latest.run_at,
    cpu.throughput_items_per_second as cpu_throughput_items_per_second,
    cpu.average_latency_ms as cpu_average_latency_ms,
    latest.throughput_items_per_second / nullif(cpu.throughput_items_per_second, 0)
        as throughput_speedup_vs_cpu,
    cpu.average_latency_ms / nullif(latest.average_latency_ms, 0) as latency_speedup_vs_cpu,
    rank() over (
        partition by
            latest.model_name, latest.batch_size, latest.precision, latest.sequence_length, latest.test_case,
            latest.image_size, latest.audio_length_seconds
        order by latest.throughput_items_per_second desc nulls last
    ) as throughput_rank
from latest
left join cpu
    on
        latest.model_name = cpu.model_name
        and latest.batch_size is not distinct from cpu.batch_size
        and latest.precision is not distinct from cpu.precision
        and latest.sequence_length is not distinct from cpu.sequence_length
        and latest.test_case is not distinct from cpu.test_case
        and latest.image_size is not distinct from cpu.image_size
        and latest.audio_length_seconds is not distinct from cpu.audio_length_seconds
left join {{ ref('hardware_platforms') }} as hardware_platforms
    on latest.hardware_type = hardware_platforms.hardware_type
