-- One row per model, by its canonical name: every model of the model seed and every model a benchmark or
-- test result names (results already use canonical names), with its other spellings (aliases). Family,
-- modality and category come from the seed (by name, else by upstream key), else from the data.
with observed as (
    select
        model_name,
        model_family,
        modality,
        run_at as seen_at,
        'benchmark' as seen_in
    from {{ ref('benchmark_results') }}
    union all
    select
        model_name,
        model_family,
        null as modality,
        tested_at as seen_at,
        'test' as seen_in
    from {{ ref('test_results') }}
),

observed_models as (
    select
        model_name,
        mode(model_family) as observed_family,
        mode(modality) as observed_modality,
        count(*) filter (where seen_in = 'benchmark') as benchmark_result_count,
        count(*) filter (where seen_in = 'test') as test_result_count,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from observed
    group by model_name
),

model_seed as (
    select * from {{ ref('model_seed') }}
),

model_names as (
    select * from {{ ref('int_benchmark_model_names') }}
),

aliases as (
    select
        model_name,
        list(alias_name order by alias_name) as aliases
    from model_names
    group by model_name
),

all_models as (
    select model_name from model_seed
    where model_name not in (select model_names.alias_name from model_names)
    union
    select model_name from observed_models
)

select
    all_models.model_name,
    coalesce(by_name.model_key, by_key.model_key) as model_key,
    coalesce(by_name.model_family, by_key.model_family, observed_models.observed_family) as model_family,
    coalesce(by_name.modality, by_key.modality, observed_models.observed_modality) as modality,
    coalesce(by_name.model_category, by_key.model_category) as model_category,
    coalesce(aliases.aliases, []::varchar[]) as aliases,
    by_name.model_name is not null as is_in_seed,
    coalesce(observed_models.benchmark_result_count, 0) as benchmark_result_count,
    coalesce(observed_models.test_result_count, 0) as test_result_count,
    observed_models.first_seen_at,
    observed_models.last_seen_at
from all_models
left join model_seed as by_name
    on all_models.model_name = by_name.model_name
left join model_seed as by_key
    on all_models.model_name = by_key.model_key
left join observed_models
    on all_models.model_name = observed_models.model_name
left join aliases
    on all_models.model_name = aliases.model_name
