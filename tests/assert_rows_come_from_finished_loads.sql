-- Every landed row the marts are built from belongs to a load that finished (loads are atomic, so a
-- row without a finished load would mean a half-written load became visible).
with landed as (
    select distinct load_id from {{ ref('stg_raw__task_events') }}
    union
    select distinct load_id from {{ ref('stg_raw__documents') }}
)

select landed.load_id
from landed
left join {{ ref('stg_raw__loads') }} as loads on landed.load_id = loads.load_id
where loads.finished_at is null
