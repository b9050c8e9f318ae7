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

{# Price periods per supplier offer: consecutive accepted observations with the same price
   collapse into one period; a new period starts when the price or currency changes. Built
   incrementally: see the change_periods macro. #}
with

priced_observations as (

    select supplier_id, supplier_sku, observed_at, currency, price_net, price_gross
    from {{ ref('int_offers_accepted') }}
    where price_net is not null

),

history as (

    {{ change_periods('priced_observations', ['price_net', 'currency', 'price_gross']) }}

)

select * from history
