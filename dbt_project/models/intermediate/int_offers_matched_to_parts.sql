{{ config(materialized="table") }}

{# Each supplier offer matched to one of the shop's parts: a manual override always wins,
   otherwise the automatic match (EAN, attributes, attributes read from the title, fuzzy
   title similarity) computed by the offer_part_matches asset. #}
with

automatic as (

    select supplier_id, supplier_sku, part_id, method, confidence, candidate_part_id
    from {{ source('matching', 'offer_part_matches') }}

),

descriptions as (

    select supplier_id, supplier_sku, title, pack_size
    from (
        select supplier_id, supplier_sku, title, coalesce(pack_size, 1) as pack_size,
               row_number() over (
                   partition by supplier_id, supplier_sku order by observed_at desc
               ) as recency
        from {{ ref('stg_scrape__offers') }}
        where gate_status = 'ok'
    ) as ranked
    where recency = 1

),

overrides as (

    select supplier_id, supplier_sku, nullif(part_id, '') as part_id
    from {{ ref('part_match_overrides') }}

),

final as (

    select
        automatic.supplier_id,
        automatic.supplier_sku,
        descriptions.title,
        coalesce(descriptions.pack_size, 1) as pack_size,
        case when overrides.supplier_sku is not null then overrides.part_id
             else automatic.part_id end as part_id,
        case when overrides.supplier_sku is not null then 1.0
             else automatic.confidence end as confidence,
        case when overrides.supplier_sku is not null then 'manual'
             else automatic.method end as match_method,
        automatic.candidate_part_id
    from automatic
    left join descriptions
        on automatic.supplier_id = descriptions.supplier_id
        and automatic.supplier_sku = descriptions.supplier_sku
    left join overrides
        on automatic.supplier_id = overrides.supplier_id
        and automatic.supplier_sku = overrides.supplier_sku

)

select * from final
