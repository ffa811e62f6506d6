{{ config(severity='warn') }}
-- Warns with every model name a result reports that looks like a short spelling of another reported name
-- (whisper-tiny beside openai/whisper-tiny) but is not mapped to it: add the org/name form to
-- seeds/model_seed.csv (int_benchmark_model_names then maps the short name) and rebuild with --full-refresh.
with reported as (
    select distinct model_name from {{ ref('benchmark_results') }}
    union
    select distinct model_name from {{ ref('test_results') }}
)

select
    short_names.model_name as short_name,
    full_names.model_name as org_name
from reported as short_names
inner join reported as full_names
    on ends_with(full_names.model_name, '/' || short_names.model_name)
where not contains(short_names.model_name, '/')
