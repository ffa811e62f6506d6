-- One row per model spelling that is an alias of another: the short name of a model the model seed also
-- names in its Hugging Face form (whisper-tiny is openai/whisper-tiny), mapped to that canonical name.
-- A short name that more than one organisation's model ends with stays as it is.
with seed_names as (
    select model_name from {{ ref('model_seed') }}
)

select
    short_names.model_name as alias_name,
    any_value(full_names.model_name) as model_name
from seed_names as short_names
inner join seed_names as full_names
    on ends_with(full_names.model_name, '/' || short_names.model_name)
where not contains(short_names.model_name, '/')
group by short_names.model_name
having count(*) = 1
