{# Repairs recorded without a part that repair_part_map cannot turn into parts: no rule for the
   repair type, or no part of the shop fits the device. A person adds a rule or a part. #}
with

orders as (

    select * from {{ ref('stg_shop__repair_orders') }}
    where part_id is null and status <> 'cancelled'

),

rules as (

    select * from {{ ref('repair_part_map') }}

),

mapped as (

    select distinct order_id from {{ ref('int_repair_order_parts') }}

),

needs_no_part as (

    select distinct repair_type from rules where part_type is null

)

select
    orders.device_model,
    orders.repair_type,
    count(*) as repair_orders,
    min(orders.created_at) as first_seen_at,
    max(orders.created_at) as last_seen_at,
    case
        when orders.repair_type not in (select repair_type from rules)
            then 'no rule for this repair type'
        else 'no part of the shop fits this device'
    end as reason
from orders
where orders.order_id not in (select order_id from mapped)
    and orders.repair_type not in (select repair_type from needs_no_part)
group by orders.device_model, orders.repair_type
