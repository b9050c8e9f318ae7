with

suppliers as (

    select * from {{ ref('stg_scrape__suppliers') }}

),

scrapes as (

    select
        supplier_id,
        max(case when gate_status = 'ok' then observed_at end) as last_good_observation_at,
        max(observed_at) as last_observation_at
    from {{ ref('stg_scrape__offers') }}
    group by supplier_id

)

select
    suppliers.*,
    scrapes.last_good_observation_at,
    scrapes.last_observation_at
from suppliers
left join scrapes on suppliers.supplier_id = scrapes.supplier_id
