{#
  planning_lead_time_days is what purchasing plans with: the configured lead time until the
  order system has booked enough deliveries, then the 90th percentile of the measured ones
  (rounded up): a supplier that says 2 days and takes 5 is planned at 5.
#}
with

suppliers as (

    select * from {{ ref('stg_scrape__suppliers') }}

),

scrapes as (

    select
        supplier_id,
        max(case when gate_status = 'ok' then observed_at end) as last_good_observation_at,
        max(observed_at) as last_observation_at
    from {{ ref('stg_scrape__offers') }}
    group by supplier_id

),

measured as (

    select
        supplier_id,
        count(distinct po_id) as delivered_pos,
        percentile_cont(0.9) within group (order by lead_time_days) as lead_time_p90_days
    from {{ ref('fct_po_deliveries') }}
    where lead_time_days is not null
    group by supplier_id

)

select
    suppliers.*,
    scrapes.last_good_observation_at,
    scrapes.last_observation_at,
    coalesce(measured.delivered_pos, 0) as delivered_pos,
    measured.lead_time_p90_days,
    case
        when measured.delivered_pos >= {{ var('min_deliveries_for_lead_time') }}
            then cast(ceil(measured.lead_time_p90_days) as integer)
        else suppliers.lead_time_days
    end as planning_lead_time_days
from suppliers
left join scrapes on suppliers.supplier_id = scrapes.supplier_id
left join measured on suppliers.supplier_id = measured.supplier_id
