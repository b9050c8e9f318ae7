{{ config(materialized="table") }}

{# Each supplier offer matched to one of the shop's parts: a manual override wins, then the
   EAN, then the normalised attributes (brand, device model, part type, quality, colour). #}
with

catalog as (

    select supplier_id, supplier_sku, observed_at, title, brand, device_model, part_type,
           quality, colour, ean, pack_size
    from {{ ref('stg_scrape__catalog') }}
    where gate_status = 'ok'

),

offers as (

    select supplier_id, supplier_sku, observed_at, title, brand, device_model, part_type,
           quality, colour, ean, coalesce(pack_size, 1) as pack_size
    from {{ ref('int_offers_accepted') }}
    where part_type is not null

),

described as (

    select * from catalog
    union all
    select * from offers

),

latest_description as (

    select *
    from (
        select
            described.*,
            row_number() over (
                partition by supplier_id, supplier_sku
                order by (brand is not null) desc, observed_at desc
            ) as recency
        from described
    ) as ranked
    where recency = 1

),

parts as (

    select
        part_id,
        lower(brand) as brand,
        lower(device_model) as device_model,
        part_type,
        quality,
        coalesce(colour, '') as colour,
        ean
    from {{ ref('stg_shop__parts') }}

),

by_ean as (

    select offer.supplier_id, offer.supplier_sku, parts.part_id,
           1.0 as confidence, 'ean' as match_method, 1 as precedence
    from latest_description as offer
    inner join parts on offer.ean = parts.ean

),

by_attributes as (

    select offer.supplier_id, offer.supplier_sku, parts.part_id,
           0.9 as confidence, 'attributes' as match_method, 2 as precedence
    from latest_description as offer
    inner join parts
        on offer.brand = parts.brand
        and offer.device_model = parts.device_model
        and offer.part_type = parts.part_type
        and offer.quality = parts.quality
        and coalesce(offer.colour, '') = parts.colour

),

overrides as (

    select supplier_id, supplier_sku, nullif(part_id, '') as part_id,
           1.0 as confidence, 'manual' as match_method, 0 as precedence
    from {{ ref('part_match_overrides') }}

),

candidates as (

    select * from overrides
    union all
    select * from by_ean
    union all
    select * from by_attributes

),

best_candidate as (

    select *
    from (
        select
            candidates.*,
            row_number() over (
                partition by supplier_id, supplier_sku order by precedence
            ) as preference
        from candidates
    ) as ranked
    where preference = 1

),

final as (

    select
        offer.supplier_id,
        offer.supplier_sku,
        offer.title,
        offer.pack_size,
        best_candidate.part_id,
        coalesce(best_candidate.confidence, 0.0) as confidence,
        coalesce(best_candidate.match_method, 'unmatched') as match_method
    from latest_description as offer
    left join best_candidate
        on offer.supplier_id = best_candidate.supplier_id
        and offer.supplier_sku = best_candidate.supplier_sku

)

select * from final
