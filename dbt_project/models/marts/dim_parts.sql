with

parts as (

    select * from {{ ref('stg_shop__parts') }}

),

offer_counts as (

    select part_id, count(*) as matched_offers
    from {{ ref('int_offers_matched_to_parts') }}
    where part_id is not null
    group by part_id

)

select
    parts.part_id,
    parts.brand,
    parts.device_model,
    parts.part_type,
    parts.quality,
    parts.colour,
    parts.ean,
    coalesce(offer_counts.matched_offers, 0) as matched_offers
from parts
left join offer_counts on parts.part_id = offer_counts.part_id
