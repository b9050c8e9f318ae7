{# Stock periods per supplier offer, in the same shape as fct_price_history: a new period
   starts when the stock state or the shown quantity changes. #}
with

stock_observations as (

    select supplier_id, supplier_sku, observed_at, stock_state, stock_qty
    from {{ ref('int_offers_accepted') }}

),

history as (

    {{ change_periods('stock_observations', ['stock_state', 'stock_qty']) }}

)

select * from history
