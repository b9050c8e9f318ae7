{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["supplier_id", "supplier_sku", "valid_from"],
        pre_hook="{{ forget_rebuilt_suppliers() }}",
        post_hook="{{ refresh_part_ids() }}",
    )
}}
-- depends_on: {{ ref('stg_scrape__offers') }}

{# Stock periods per supplier offer, in the same shape as fct_price_history: a new period
   starts when the stock state or the shown quantity changes. Built incrementally: see the
   change_periods macro. #}
with

stock_observations as (

    select supplier_id, supplier_sku, observed_at, stock_state, stock_qty
    from {{ ref('int_offers_accepted') }}

),

history as (

    {{ change_periods('stock_observations', ['stock_state', 'stock_qty']) }}

)

select * from history
