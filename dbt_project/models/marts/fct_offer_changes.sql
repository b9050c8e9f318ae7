{# One row per change event of a supplier offer: new offer, price up or down, back in stock,
   low stock, out of stock, offer gone. Prices are per the offer's currency, net and gross. #}
with

prices as (

    select *,
        lag(price_net) over (partition by supplier_id, supplier_sku order by valid_from)
            as previous_price,
        lag(price_gross) over (partition by supplier_id, supplier_sku order by valid_from)
            as previous_price_gross
    from {{ ref('fct_price_history') }}

),

stock as (

    select *,
        lag(stock_state) over (partition by supplier_id, supplier_sku order by valid_from)
            as previous_state
    from {{ ref('fct_stock_history') }}

),

presence as (

    select * from {{ ref('int_offer_presence') }}

),

matches as (

    select supplier_id, supplier_sku, part_id from {{ ref('int_offers_matched_to_parts') }}

),

price_changes as (

    select
        supplier_id, supplier_sku, valid_from as changed_at,
        case when price_net > previous_price then 'price_up' else 'price_down' end
            as change_type,
        previous_price as old_price,
        price_net as new_price,
        price_net - previous_price as change_amount,
        round(cast(100.0 * (price_net - previous_price) / previous_price as numeric), 2)
            as change_pct,
        cast(null as varchar) as old_stock_state,
        cast(null as varchar) as new_stock_state,
        currency,
        previous_price_gross as old_price_gross,
        price_gross as new_price_gross
    from prices
    where previous_price is not null and price_net <> previous_price

),

stock_changes as (

    select
        supplier_id, supplier_sku, valid_from as changed_at,
        -- a back-order cannot be bought now: for purchasing it is out of stock
        case
            when stock_state in ('out', 'backorder') then 'out_of_stock'
            when previous_state in ('out', 'backorder') then 'back_in_stock'
            else 'low_stock'
        end as change_type,
        cast(null as numeric(12, 2)) as old_price,
        cast(null as numeric(12, 2)) as new_price,
        cast(null as numeric(12, 2)) as change_amount,
        cast(null as numeric) as change_pct,
        previous_state as old_stock_state,
        stock_state as new_stock_state,
        cast(null as varchar) as currency,
        cast(null as numeric(12, 2)) as old_price_gross,
        cast(null as numeric(12, 2)) as new_price_gross
    from stock
    where (stock_state in ('out', 'backorder') and previous_state in ('in', 'low'))
        or (stock_state in ('in', 'low') and previous_state in ('out', 'backorder'))
        or (stock_state = 'low' and previous_state = 'in')

),

appearances as (

    select supplier_id, supplier_sku, first_seen_at as changed_at, 'new_offer' as change_type,
           cast(null as numeric(12, 2)) as old_price, cast(null as numeric(12, 2)) as new_price,
           cast(null as numeric(12, 2)) as change_amount, cast(null as numeric) as change_pct,
           cast(null as varchar) as old_stock_state, cast(null as varchar) as new_stock_state,
           cast(null as varchar) as currency, cast(null as numeric(12, 2)) as old_price_gross,
           cast(null as numeric(12, 2)) as new_price_gross
    from presence
    union all
    select supplier_id, supplier_sku, gone_at, 'offer_gone',
           null, null, null, null, null, null, null, null, null
    from presence
    where gone_at is not null

),

events as (

    select * from price_changes
    union all
    select * from stock_changes
    union all
    select * from appearances

)

select
    events.supplier_id,
    events.supplier_sku,
    matches.part_id,
    events.changed_at,
    events.change_type,
    events.old_price,
    events.new_price,
    events.change_amount,
    events.change_pct,
    events.old_stock_state,
    events.new_stock_state,
    events.currency,
    events.old_price_gross,
    events.new_price_gross
from events
left join matches
    on events.supplier_id = matches.supplier_id
    and events.supplier_sku = matches.supplier_sku
