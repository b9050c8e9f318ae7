{#
  Every offer purchasing may order a part from, with the terms ordering needs: the price at
  each quantity break, packs, the minimum order quantity and order multiple (the supplier
  file's, per category or for all parts), the stock the shop shows, lead time, and the
  supplier's shipping fee, free-shipping threshold, minimum order value and handling fee. An
  offer is eligible only when it is in stock or back-ordered with a known date, was seen in
  its supplier's last good scrape, and is not older than `stale_after_hours`;
  ineligible_reason says why not.

  A back-order's lead time is the days until the supplier expects it plus the supplier's own
  lead time: the supplier ships when it has the part, and the delivery takes as long then as
  it does today. A back-order without a date has no lead time to plan with, so it waits.
#}
with

offers as (

    select * from {{ ref('mart_best_offer') }}

),

accepted as (

    select supplier_id, supplier_sku, window_start from {{ ref('int_offers_accepted') }}

),

last_good_scrape as (

    select supplier_id, max(window_start) as window_start
    from accepted
    group by supplier_id

),

last_seen as (

    select supplier_id, supplier_sku, max(window_start) as window_start
    from accepted
    group by supplier_id, supplier_sku

),

latest_breaks as (

    select supplier_id, supplier_sku, price_breaks
    from (
        select
            supplier_id,
            supplier_sku,
            price_breaks,
            row_number() over (
                partition by supplier_id, supplier_sku order by observed_at desc
            ) as recency
        from {{ ref('stg_scrape__catalog') }}
        where gate_status = 'ok'
    ) as ranked
    where recency = 1

),

suppliers as (

    select supplier_id, shipping_fee, free_shipping_above, min_order_value, handling_fee
    from {{ ref('dim_suppliers') }}

),

order_terms as (

    select * from {{ source('scrape', 'supplier_order_terms') }}

),

categories as (

    select part_id, part_type as category from {{ ref('dim_parts') }}

),

-- days until the supplier has the part: 0 on the shelf, null when nobody can say
availability as (

    select
        *,
        case
            when is_available then 0
            when stock_state = 'backorder' and backorder_until is not null
                then greatest(backorder_until - cast({{ current_ts() }} as date), 0)
        end as days_until_available
    from offers

),

terms as (

    select
        offers.part_id,
        offers.supplier_id,
        offers.supplier_sku,
        offers.title,
        offers.currency,
        offers.price_net,
        latest_breaks.price_breaks,
        offers.pack_size,
        offers.stock_state,
        offers.stock_qty,
        offers.backorder_until,
        offers.days_until_available,
        offers.lead_time_days as supplier_lead_time_days,
        offers.lead_time_days + coalesce(offers.days_until_available, 0) as lead_time_days,
        offers.landed_unit_price,
        coalesce(suppliers.shipping_fee, 0) as shipping_fee,
        suppliers.free_shipping_above,
        coalesce(suppliers.min_order_value, 0) as min_order_value,
        coalesce(suppliers.handling_fee, 0) as handling_fee,
        coalesce(category_terms.min_order_quantity, default_terms.min_order_quantity, 1)
            as min_order_quantity,
        coalesce(category_terms.order_multiple, default_terms.order_multiple, 1)
            as order_multiple,
        offers.hours_since_observed,
        case
            when offers.stock_state = 'backorder' and offers.backorder_until is null
                then 'back-order with no date shown'
            when offers.days_until_available is null then 'not in stock at the supplier'
            when offers.is_stale
                then 'not seen for more than {{ var("stale_after_hours") }} hours'
            when last_seen.window_start < last_good_scrape.window_start
                then 'missing from the supplier''s last good scrape'
        end as ineligible_reason
    from availability as offers
    inner join suppliers on offers.supplier_id = suppliers.supplier_id
    left join latest_breaks
        on offers.supplier_id = latest_breaks.supplier_id
        and offers.supplier_sku = latest_breaks.supplier_sku
    left join last_seen
        on offers.supplier_id = last_seen.supplier_id
        and offers.supplier_sku = last_seen.supplier_sku
    left join last_good_scrape on offers.supplier_id = last_good_scrape.supplier_id
    left join categories on offers.part_id = categories.part_id
    left join order_terms as category_terms
        on offers.supplier_id = category_terms.supplier_id
        and categories.category = category_terms.category
    left join order_terms as default_terms
        on offers.supplier_id = default_terms.supplier_id
        and default_terms.category is null

)

select
    *,
    ineligible_reason is null as is_eligible
from terms
