select
    task_id,
    tag_name,
    tag_value
from {{ ref('int_generator_task_tags_unnested') }}
where tag_name is not null
