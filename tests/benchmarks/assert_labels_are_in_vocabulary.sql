{{ config(severity='warn') }}
-- Warns with every label of user data outside its accepted vocabulary once clear synonyms are folded
-- (image is vision, float16 is fp16; macros/benchmarks/benchmark_labels.sql): kept as reported, listed here.
with labels as (
    select
        'modality' as label_name,
        modality as label_value,
        source_path
    from {{ ref('benchmark_results') }}
    where modality not in ({{ "'" ~ benchmark_modalities() | join("', '") ~ "'" }})
    union all
    select
        'precision' as label_name,
        precision as label_value,
        source_path
    from {{ ref('benchmark_results') }}
    where precision not in ({{ "'" ~ benchmark_precisions() | join("', '") ~ "'" }})
)

select
    label_name,
    label_value,
    count(*) as row_count,
    min(source_path) as first_source_path
from labels
group by label_name, label_value
