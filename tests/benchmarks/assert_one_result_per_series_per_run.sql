{{ config(severity='warn') }}
-- Warns with every series that has two results in one run (one document at one run time): two
-- configurations that differ by a dimension the models do not keep, or a file that lists one configuration
-- twice. Every dimension a document records is part of the series (benchmark_series_dimensions).
select
    series_id,
    source_path,
    record_index,
    run_at,
    count(*) as result_count,
    list(config_path order by config_path) as config_paths
from {{ ref('benchmark_results') }}
group by series_id, source_path, load_id, record_index, run_at
having count(*) > 1
