-- One row per (skill test run, hardware) judged from the run's status map, plus one row (hardware NULL)
-- per run whose overall outcome is reported. A status map holds "<hardware>_<step>": "Success (REAL)" |
-- "Success (MOCK)" | "Error: ..." | "Failed ..." | "... not available" entries; apple means mps and
-- qualcomm qnn. Runs come from skill test reports ({status, metadata} or {metadata, results: {status}}),
-- status maps of their own (the document or its results object; the model named by the file name),
-- collected results (test_<skill>: map or error text), performance runs (results.<file>.performance_metrics
-- .<hardware>: map) and skill test runs (skill_tests.<file>.json_result: map).
with documents as not materialized (
    select * from {{ ref('int_benchmark_documents_classified') }}
    where document_shape in (
        'skill_test_report', 'skill_status_map', 'skill_collected_results', 'skill_performance_run',
        'skill_tests_run'
    )
),

reports as (
    -- where a report keeps its status map: {status}, {results: {status}}, {results: map} or the document
    select
        *,
        case
            when document_shape = 'skill_status_map' and json_type(payload, '$.results') = 'OBJECT'
                then '$.results'
            when document_shape = 'skill_status_map' then '$'
            when json_type(payload, '$.status') = 'OBJECT' then '$.status'
            else '$.results.status'
        end as run_path
    from documents
    where document_shape in ('skill_test_report', 'skill_status_map')
),

collected as (
    select
        load_id,
        record_index,
        unnest(map_entries(payload::map (varchar, json))) as run_entry
    from documents
    where document_shape = 'skill_collected_results'
),

files as (
    select
        load_id,
        record_index,
        document_shape,
        unnest(map_entries(
            (
                case
                    when document_shape = 'skill_performance_run' then payload -> '$.results'
                    else payload -> '$.skill_tests'
                end
            )::map (varchar, json)
        )) as run_entry
    from documents
    where document_shape in ('skill_performance_run', 'skill_tests_run')
),

runs as (
    select
        load_id,
        record_index,
        run_path,
        coalesce(
            payload ->> '$.metadata.model_type',
            nullif(regexp_extract(payload ->> '$.metadata.model', '^(hf_)?(.+)$', 2), ''),
            -- a status map of its own names its model only in its file name (hf_<model>_test_results.json)
            nullif(regexp_extract(source_path, 'hf_([^/@]+?)_test_results', 1), '')
        ) as model_key,
        coalesce(
            payload ->> '$.metadata.model_name', payload ->> '$.results.metadata.model_name'
        ) as model_name,
        {{ json_to_timestamp("payload -> '$.results.metadata.test_timestamp'") }} as record_at,
        case when payload -> run_path ->> '$.test_error' is not null then 'failed' end as run_status,
        payload -> run_path ->> '$.test_error' as run_error,
        coalesce(
            {{ json_to_double("payload -> '$.metadata.execution_time'") }},
            {{ json_to_double("payload -> '$.results.total_execution_time'") }}
        ) as execution_time_seconds,
        payload -> run_path as status_map,
        null::json as status_maps_by_hardware
    from reports
    union all
    select
        load_id,
        record_index,
        '$.' || to_json(run_entry['key']) as run_path,
        regexp_replace(run_entry['key'], '^test_(hf_)?', '') as model_key,
        null as model_name,
        null::timestamp as record_at,
        case when json_type(run_entry['value']) = 'VARCHAR' then 'failed' end as run_status,
        case when json_type(run_entry['value']) = 'VARCHAR' then run_entry['value'] ->> '$' end as run_error,
        null::double as execution_time_seconds,
        case when json_type(run_entry['value']) = 'OBJECT' then run_entry['value'] end as status_map,
        null::json as status_maps_by_hardware
    from collected
    union all
    select
        load_id,
        record_index,
        case when document_shape = 'skill_performance_run' then '$.results.' else '$.skill_tests.' end
        || to_json(run_entry['key']) as run_path,
        coalesce(nullif(regexp_extract(run_entry['key'], 'test_(hf_)?([^/]+)\.py$', 2), ''), run_entry['key'])
            as model_key,
        null as model_name,
        {{ json_to_timestamp("run_entry['value'] -> '$.json_result.metadata.timestamp'") }} as record_at,
        coalesce(
            run_entry['value'] ->> '$.status',
            case
                when {{ json_to_double("run_entry['value'] -> '$.return_code'") }} = 0 then 'success'
                when {{ json_to_double("run_entry['value'] -> '$.return_code'") }} <> 0 then 'failed'
            end
        ) as run_status,
        run_entry['value'] ->> '$.error' as run_error,
        coalesce(
            {{ json_to_double("run_entry['value'] -> '$.execution_time'") }},
            {{ json_to_double("run_entry['value'] -> '$.elapsed_time'") }}
        ) as execution_time_seconds,
        run_entry['value'] -> '$.json_result' as status_map,
        run_entry['value'] -> '$.performance_metrics' as status_maps_by_hardware
    from files
),

status_maps as (
    select
        load_id,
        record_index,
        run_path,
        null as map_hardware,
        status_map
    from runs
    where json_type(status_map) = 'OBJECT'
    union all
    select
        load_id,
        record_index,
        run_path,
        hardware_entry['key'] as map_hardware,
        hardware_entry['value'] as status_map
    from (
        select
            load_id,
            record_index,
            run_path,
            unnest(map_entries(status_maps_by_hardware::map (varchar, json))) as hardware_entry
        from runs
        where json_type(status_maps_by_hardware) = 'OBJECT'
    ) as grouped
    where json_type(hardware_entry['value']) = 'OBJECT'
),

steps as (
    select
        load_id,
        record_index,
        run_path,
        map_hardware,
        step_entry['key'] as step,
        step_entry['value'] ->> '$' as step_value,
        nullif(regexp_extract(
            step_entry['key'], '^(cpu|cuda|openvino|apple|mps|qualcomm|qnn|rocm|webnn|webgpu)_', 1
        ), '') as step_hardware
    from (
        select
            *,
            unnest(map_entries(status_map::map (varchar, json))) as step_entry
        from status_maps
    ) as entries
    where json_type(step_entry['value']) = 'VARCHAR'
),

judged_steps as (
    select
        load_id,
        record_index,
        run_path,
        step,
        step_value,
        {{ benchmark_hardware_type('coalesce(step_hardware, map_hardware)') }} as hardware_type,
        case
            when step_value ilike 'success%' then 'passed'
            when step_value ilike 'error%' or step_value ilike 'failed%' then 'failed'
            when step_value ilike '%not available%' then 'skipped'
        end as outcome,
        step_value ilike '%(mock)%'
        or step_value ilike '%simulated%'
        or (step like '%implementation_type' and step_value ilike '%mock%') as is_mock
    from steps
),

per_hardware as (
    select
        load_id,
        record_index,
        run_path || '#' || hardware_type as result_path,
        run_path,
        hardware_type,
        'skill_platform' as test_type,
        case
            when bool_or(outcome = 'failed') then 'failed'
            when bool_or(outcome = 'passed') then 'passed'
            else 'skipped'
        end as status,
        string_agg(step || ': ' || step_value, '; ' order by step) filter (where outcome = 'failed')
            as error_message,
        json_group_object(step, step_value) as details,
        bool_or(is_mock) as is_flagged_simulated
    from judged_steps
    where hardware_type is not null
    group by load_id, record_index, run_path, hardware_type
    having bool_or(outcome is not null)
),

per_run as (
    select
        load_id,
        record_index,
        run_path as result_path,
        run_path,
        null as hardware_type,
        'skill_run' as test_type,
        {{ benchmark_test_status('run_status', 'null') }} as status,
        run_error as error_message,
        false as is_flagged_simulated
    from runs
    where run_status is not null
),

outcomes as (
    select * from per_hardware
    union all by name
    select * from per_run
)

select
    documents.load_id,
    documents.record_index,
    outcomes.result_path,
    runs.record_at,
    runs.model_key,
    runs.model_name,
    runs.model_key as model_family,
    outcomes.hardware_type,
    outcomes.test_type,
    outcomes.status,
    outcomes.error_message,
    case when outcomes.hardware_type is null then runs.execution_time_seconds end as execution_time_seconds,
    outcomes.details,
    outcomes.is_flagged_simulated,
    documents.document_shape as source_format
from outcomes
inner join runs
    on
        outcomes.load_id = runs.load_id
        and outcomes.record_index = runs.record_index
        and outcomes.run_path = runs.run_path
inner join documents
    on outcomes.load_id = documents.load_id and outcomes.record_index = documents.record_index
