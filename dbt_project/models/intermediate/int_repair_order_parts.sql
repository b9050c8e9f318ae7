{#
  The parts each repair order uses: the part the repair system recorded, or, when it recorded
  only the device and the repair type, the parts repair_part_map says that repair needs (a
  device-specific rule wins over the generic one), taken from the shop's parts for that device,
  its preferred quality first. Repairs that map to nothing are in mart_repair_part_review.
#}
with

orders as (

    select * from {{ ref('stg_shop__repair_orders') }}

),

parts as (

    select * from {{ ref('stg_shop__parts') }}

),

rules as (

    select * from {{ ref('repair_part_map') }}

),

recorded as (

    select order_id, part_id, quantity, status, created_date, 'recorded' as part_source
    from orders
    where part_id is not null

),

applicable_rules as (

    select
        orders.order_id,
        orders.device_model,
        rules.part_type,
        rules.quantity,
        rules.preferred_quality,
        dense_rank() over (
            partition by orders.order_id
            order by case when rules.device_model is null then 1 else 0 end
        ) as specificity
    from orders
    inner join rules
        on rules.repair_type = orders.repair_type
        and (rules.device_model is null or rules.device_model = orders.device_model)
    where orders.part_id is null

),

candidates as (

    select
        applicable_rules.order_id,
        parts.part_id,
        applicable_rules.quantity,
        row_number() over (
            partition by applicable_rules.order_id, applicable_rules.part_type
            order by case when parts.quality = applicable_rules.preferred_quality then 0 else 1 end,
                     parts.part_id
        ) as choice
    from applicable_rules
    inner join parts
        on parts.part_type = applicable_rules.part_type
        and (applicable_rules.device_model = parts.device_model
             or applicable_rules.device_model = parts.brand || ' ' || parts.device_model)
    where applicable_rules.specificity = 1 and applicable_rules.part_type is not null

),

mapped as (

    select orders.order_id, candidates.part_id, candidates.quantity, orders.status,
           orders.created_date, 'repair_part_map' as part_source
    from candidates
    inner join orders on candidates.order_id = orders.order_id
    where candidates.choice = 1

)

select * from recorded
union all
select * from mapped
