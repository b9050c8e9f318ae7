{# Every current offer for each shop part, ranked by landed unit price among the available
   ones. Shipping is shared pro rata: a unit worth the whole free-shipping threshold carries the
   whole fee. #}
with

observations as (

    select * from {{ ref('int_offers_accepted') }}

),

matches as (

    select * from {{ ref('int_offers_matched_to_parts') }}
    where part_id is not null

),

suppliers as (

    -- the lead time purchasing plans with: configured, or measured once deliveries are known
    select
        supplier_id,
        shipping_fee,
        free_shipping_above,
        planning_lead_time_days as lead_time_days
    from {{ ref('dim_suppliers') }}

),

latest_observation as (

    select *
    from (
        select
            observations.*,
            row_number() over (
                partition by supplier_id, supplier_sku order by observed_at desc
            ) as recency
        from observations
    ) as ranked
    where recency = 1

),

supplier_freshness as (

    select supplier_id, max(observed_at) as last_scraped_at
    from observations
    group by supplier_id

),

priced_offers as (

    select
        matches.part_id,
        offer.supplier_id,
        offer.supplier_sku,
        offer.title,
        offer.currency,
        offer.price_net,
        offer.stock_state,
        offer.stock_qty,
        offer.backorder_until,
        matches.pack_size,
        matches.confidence as match_confidence,
        suppliers.lead_time_days,
        offer.price_net + suppliers.shipping_fee * offer.price_net
            / greatest(coalesce(suppliers.free_shipping_above, offer.price_net), offer.price_net)
            as landed_unit_price,
        offer.stock_state in ('in', 'low') as is_available,
        offer.observed_at,
        {{ hours_between('offer.observed_at', current_ts()) }} as hours_since_observed,
        {{ hours_between('offer.observed_at', current_ts()) }}
            > {{ var('stale_after_hours') }} as is_stale,
        {{ hours_between('freshness.last_scraped_at', current_ts()) }} as supplier_data_age_hours
    from latest_observation as offer
    inner join matches
        on offer.supplier_id = matches.supplier_id
        and offer.supplier_sku = matches.supplier_sku
    inner join suppliers on offer.supplier_id = suppliers.supplier_id
    inner join supplier_freshness as freshness on offer.supplier_id = freshness.supplier_id
    where offer.price_net is not null

),

ranked as (

    select
        priced_offers.*,
        row_number() over (
            partition by part_id
            order by is_available desc, landed_unit_price, supplier_id
        ) as offer_rank
    from priced_offers

),

final as (

    select
        ranked.*,
        offer_rank = 1 and is_available as is_best_offer
    from ranked

)

select * from final
