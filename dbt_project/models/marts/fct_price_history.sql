{# Price periods per supplier offer: consecutive accepted observations with the same price
   collapse into one period; a new period starts when the price or currency changes. #}
with

observations as (

    select supplier_id, supplier_sku, observed_at, currency, price_net, price_gross
    from {{ ref('int_offers_accepted') }}
    where price_net is not null

),

matches as (

    select supplier_id, supplier_sku, part_id
    from {{ ref('int_offers_matched_to_parts') }}

),

flagged_changes as (

    select
        observations.*,
        case
            when lag(price_net) over offer_timeline is distinct from price_net
                or lag(currency) over offer_timeline is distinct from currency
            then 1 else 0
        end as starts_period
    from observations
    window offer_timeline as (partition by supplier_id, supplier_sku order by observed_at)

),

numbered_periods as (

    select
        flagged_changes.*,
        sum(starts_period) over (
            partition by supplier_id, supplier_sku
            order by observed_at
            rows between unbounded preceding and current row
        ) as period_number
    from flagged_changes

),

periods as (

    select
        supplier_id,
        supplier_sku,
        period_number,
        min(currency) as currency,
        min(price_net) as price_net,
        min(price_gross) as price_gross,
        min(observed_at) as valid_from,
        max(observed_at) as last_observed_at,
        count(*) as observations
    from numbered_periods
    group by supplier_id, supplier_sku, period_number

),

bounded_periods as (

    select
        periods.*,
        lead(valid_from) over (
            partition by supplier_id, supplier_sku order by valid_from
        ) as valid_to
    from periods

),

final as (

    select
        bounded_periods.supplier_id,
        bounded_periods.supplier_sku,
        matches.part_id,
        bounded_periods.currency,
        bounded_periods.price_net,
        bounded_periods.price_gross,
        bounded_periods.valid_from,
        bounded_periods.valid_to,
        bounded_periods.valid_to is null as is_current,
        bounded_periods.observations,
        bounded_periods.last_observed_at
    from bounded_periods
    left join matches
        on bounded_periods.supplier_id = matches.supplier_id
        and bounded_periods.supplier_sku = matches.supplier_sku

)

select * from final
