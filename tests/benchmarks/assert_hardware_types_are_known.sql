{{ config(severity='warn') }}
-- Warns with every value in a hardware position that is neither a hardware kind of the seed (after aliases:
-- gpu and cuda:0 are cuda) nor a test name (pipeline, from_pretrained become the test case): kept as it is
-- in hardware_type, listed here so that it is added to seeds/hardware_platform_seed.csv or to the aliases
-- of macros/benchmarks/benchmark_hardware_type.sql.
with used as (
    select
        hardware_type,
        'benchmark_results' as found_in,
        source_path
    from {{ ref('benchmark_results') }}
    union all
    select
        hardware_type,
        'test_results' as found_in,
        source_path
    from {{ ref('test_results') }}
    where hardware_type is not null
)

select
    used.hardware_type,
    used.found_in,
    count(*) as row_count,
    min(used.source_path) as first_source_path
from used
left join {{ ref('hardware_platform_seed') }} as seed
    on used.hardware_type = seed.hardware_type
where seed.hardware_type is null
group by used.hardware_type, used.found_in
