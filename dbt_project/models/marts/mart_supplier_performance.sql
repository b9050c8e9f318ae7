{# How each supplier's data, offers and deliveries behave, week by week. #}
with

runs as (

    select supplier_id, {{ week_of('window_start') }} as week_start, status
    from {{ ref('stg_scrape__runs') }}
    where mode = 'prices'

),

scrape_outcomes as (

    select supplier_id, week_start,
           count(*) as scrapes,
           avg(case when status = 'ok' then 1.0 else 0.0 end) as scrape_success_rate
    from runs
    group by supplier_id, week_start

),

observations as (

    select * from {{ ref('int_offers_accepted') }}

),

scrape_points as (

    select supplier_id, {{ week_of('observed_at') }} as week_start, observed_at,
           avg(case when stock_state in ('in', 'low') then 1.0 else 0.0 end) as in_stock_share
    from observations
    group by supplier_id, {{ week_of('observed_at') }}, observed_at

),

gaps as (

    select scrape_points.*,
           {{ hours_between('lag(observed_at) over (partition by supplier_id order by observed_at)',
                            'observed_at') }} as hours_since_previous
    from scrape_points

),

freshness as (

    select supplier_id, week_start,
           avg(in_stock_share) as in_stock_share,
           max(hours_since_previous) as longest_gap_hours,
           max(observed_at) as last_good_observation_at
    from gaps
    group by supplier_id, week_start

),

weekly_prices as (

    select *
    from (
        select observations.supplier_id, observations.supplier_sku, matches.part_id,
               {{ week_of('observations.observed_at') }} as week_start,
               observations.price_net,
               row_number() over (
                   partition by observations.supplier_id, observations.supplier_sku,
                                {{ week_of('observations.observed_at') }}
                   order by observations.observed_at desc
               ) as recency
        from observations
        inner join {{ ref('int_offers_matched_to_parts') }} as matches
            on observations.supplier_id = matches.supplier_id
            and observations.supplier_sku = matches.supplier_sku
        where matches.part_id is not null and observations.price_net is not null
    ) as latest
    where recency = 1

),

ranked_prices as (

    select weekly_prices.*,
           rank() over (partition by part_id, week_start order by price_net) as price_rank
    from weekly_prices

),

cheapest as (

    select supplier_id, week_start,
           count(distinct part_id) as matched_parts,
           avg(case when price_rank = 1 then 1.0 else 0.0 end) as cheapest_share
    from ranked_prices
    group by supplier_id, week_start

),

deliveries as (

    select supplier_id, {{ week_of('sent_at') }} as week_start,
           count(distinct po_id) as delivered_pos,
           avg(lead_time_days) as mean_lead_time_days,
           sum(received_quantity) * 1.0 / nullif(sum(ordered_quantity), 0) as fill_rate,
           avg(invoiced_price / nullif(quoted_price, 0)) as price_kept,
           avg(case when in_stock_when_sent
                    then case when received_quantity < ordered_quantity then 1.0 else 0.0 end
               end) as in_stock_not_delivered_rate
    from {{ ref('fct_po_deliveries') }}
    group by supplier_id, {{ week_of('sent_at') }}

),

volatility as (

    select supplier_id, {{ week_of('changed_at') }} as week_start,
           count(*) as price_changes,
           avg(abs(change_pct)) as mean_abs_change_pct
    from {{ ref('fct_offer_changes') }}
    where change_type in ('price_up', 'price_down')
    group by supplier_id, {{ week_of('changed_at') }}

)

select
    scrape_outcomes.supplier_id,
    scrape_outcomes.week_start,
    scrape_outcomes.scrapes,
    scrape_outcomes.scrape_success_rate,
    freshness.last_good_observation_at,
    freshness.longest_gap_hours,
    freshness.in_stock_share,
    cheapest.matched_parts,
    cheapest.cheapest_share,
    coalesce(volatility.price_changes, 0) as price_changes,
    volatility.mean_abs_change_pct,
    coalesce(deliveries.delivered_pos, 0) as delivered_pos,
    deliveries.mean_lead_time_days,
    deliveries.fill_rate,
    deliveries.price_kept,
    deliveries.in_stock_not_delivered_rate
from scrape_outcomes
left join freshness
    on scrape_outcomes.supplier_id = freshness.supplier_id
    and scrape_outcomes.week_start = freshness.week_start
left join cheapest
    on scrape_outcomes.supplier_id = cheapest.supplier_id
    and scrape_outcomes.week_start = cheapest.week_start
left join volatility
    on scrape_outcomes.supplier_id = volatility.supplier_id
    and scrape_outcomes.week_start = volatility.week_start
left join deliveries
    on scrape_outcomes.supplier_id = deliveries.supplier_id
    and scrape_outcomes.week_start = deliveries.week_start
