{# Units of each part asked for by repair orders per day (by the day the order came in), the
   units already consumed, and the repairs still waiting for the part. Parts come from the
   order itself or from repair_part_map (int_repair_order_parts). Cancelled orders and repairs
   that need no part are left out. #}
with

orders as (

    select * from {{ ref('int_repair_order_parts') }}
    where status <> 'cancelled'

),

daily as (

    select
        part_id,
        created_date as demand_date,
        sum(quantity) as units_demanded,
        sum(case when status = 'completed' then quantity else 0 end) as units_consumed,
        sum(case when status = 'waiting_parts' then 1 else 0 end) as repairs_waiting,
        count(*) as repair_orders
    from orders
    group by part_id, created_date

)

select * from daily
