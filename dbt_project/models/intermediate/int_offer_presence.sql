{{ config(materialized="table") }}

{# When each supplier offer was first and last seen in an accepted scrape, and when it went
   missing: the first accepted scrape of its supplier after its last sighting. An observation
   held back for its price jump still shows the offer is there. #}
with

observations as (

    select supplier_id, supplier_sku, observed_at
    from {{ ref('int_offers_accepted') }}

    union all

    select supplier_id, supplier_sku, observed_at
    from {{ ref('stg_scrape__held_observations') }}
    where mode = 'prices' and status in ('held', 'rejected')

),

supplier_scrapes as (

    select distinct supplier_id, observed_at
    from observations

),

sightings as (

    select supplier_id, supplier_sku,
           min(observed_at) as first_seen_at,
           max(observed_at) as last_seen_at
    from observations
    group by supplier_id, supplier_sku

),

gone as (

    select sightings.supplier_id, sightings.supplier_sku,
           min(supplier_scrapes.observed_at) as gone_at
    from sightings
    inner join supplier_scrapes
        on sightings.supplier_id = supplier_scrapes.supplier_id
        and supplier_scrapes.observed_at > sightings.last_seen_at
    group by sightings.supplier_id, sightings.supplier_sku

)

select
    sightings.supplier_id,
    sightings.supplier_sku,
    sightings.first_seen_at,
    sightings.last_seen_at,
    gone.gone_at
from sightings
left join gone
    on sightings.supplier_id = gone.supplier_id
    and sightings.supplier_sku = gone.supplier_sku
