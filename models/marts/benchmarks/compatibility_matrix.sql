-- One row per (model, hardware) of the models and hardware_platforms marts: compatible, incompatible or
-- untested. Evidence is every passed/failed test result and every benchmark result; the latest real
-- (non-simulated) evidence decides, else the latest simulated one; evidence dated only by its load time
-- comes after dated evidence (its place in time is unknown); at equal times a failure wins.
with evidence as (
    select
        model_name,
        hardware_type,
        tested_at as evidence_at,
        tested_at_source = 'loaded_at' as is_load_dated,
        status = 'passed' as is_compatible,
        is_simulated,
        'test:' || test_type as evidence_source,
        test_result_id as evidence_id
    from {{ ref('test_results') }}
    where hardware_type is not null and status in ('passed', 'failed')
    union all
    select
        model_name,
        hardware_type,
        run_at as evidence_at,
        run_at_source = 'loaded_at' as is_load_dated,
        succeeded as is_compatible,
        is_simulated,
        'benchmark:' || source_format as evidence_source,
        result_id as evidence_id
    from {{ ref('benchmark_results') }}
),

summarised as (
    select
        model_name,
        hardware_type,
        coalesce(max(evidence_at) filter (where not is_load_dated), max(evidence_at)) as last_tested_at,
        count(*) filter (where is_compatible) as passed_count,
        count(*) filter (where not is_compatible) as failed_count,
        count(*) filter (where not is_simulated) as real_evidence_count,
        -- the deciding evidence, by an aggregate rather than a window over all evidence: real first,
        -- dated first, latest first, failure first, then by id (NULLs last, as in an order by)
        arg_min(
            {
                'is_compatible': is_compatible,
                'is_simulated': is_simulated,
                'evidence_at': evidence_at,
                'evidence_source': evidence_source
            },
            {
                'is_simulated': is_simulated,
                'is_load_dated': is_load_dated,
                'evidence_at': -epoch_us(evidence_at),
                'is_compatible': is_compatible,
                'evidence_id': evidence_id
            }
        ) as deciding
    from evidence
    group by model_name, hardware_type
)

select
    models.model_name,
    hardware_platforms.hardware_type,
    case
        when summarised.deciding.is_compatible then 'compatible'
        when not summarised.deciding.is_compatible then 'incompatible'
        else 'untested'
    end as compatibility_status,
    case
        when summarised.deciding.is_simulated then 'simulated'
        when not summarised.deciding.is_simulated then 'real'
    end as evidence,
    summarised.deciding.is_simulated,
    summarised.deciding.evidence_at as decided_at,
    summarised.deciding.evidence_source as decided_by,
    summarised.last_tested_at,
    coalesce(summarised.passed_count, 0) as passed_count,
    coalesce(summarised.failed_count, 0) as failed_count,
    coalesce(summarised.real_evidence_count, 0) as real_evidence_count
from {{ ref('models') }} as models
cross join {{ ref('hardware_platforms') }} as hardware_platforms
left join summarised
    on
        models.model_name = summarised.model_name
        and hardware_platforms.hardware_type = summarised.hardware_type
