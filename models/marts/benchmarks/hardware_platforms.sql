-- One row per hardware kind: every kind of the hardware seed and every kind a benchmark or test result names.
-- Kinds only the data shows have no vendor or class until they are added to the seed.
with observed as (
    select
        hardware_type,
        'benchmark' as seen_in
    from {{ ref('benchmark_results') }}
    union all
    select
        hardware_type,
        'test' as seen_in
    from {{ ref('test_results') }}
    where hardware_type is not null
),

observed_hardware as (
    select
        hardware_type,
        count(*) filter (where seen_in = 'benchmark') as benchmark_result_count,
        count(*) filter (where seen_in = 'test') as test_result_count
    from observed
    group by hardware_type
),

hardware_seed as (
    select * from {{ ref('hardware_platform_seed') }}
),

all_hardware as (
    select hardware_type from hardware_seed
    union
    select hardware_type from observed_hardware
)

select
    all_hardware.hardware_type,
    coalesce(hardware_seed.display_name, all_hardware.hardware_type) as display_name,
    hardware_seed.vendor,
    hardware_seed.hardware_class,
    coalesce(hardware_seed.is_browser, false) as is_browser,
    hardware_seed.hardware_type is not null as is_in_seed,
    coalesce(observed_hardware.benchmark_result_count, 0) as benchmark_result_count,
    coalesce(observed_hardware.test_result_count, 0) as test_result_count
from all_hardware
left join hardware_seed
    on all_hardware.hardware_type = hardware_seed.hardware_type
left join observed_hardware
    on all_hardware.hardware_type = observed_hardware.hardware_type
