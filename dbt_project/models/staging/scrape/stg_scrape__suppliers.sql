with

source as (

    select * from {{ source('scrape', 'suppliers') }}

)

select
    supplier_id,
    supplier_name,
    engine,
    lead_time_days,
    cast(shipping_fee as numeric(12, 2)) as shipping_fee,
    cast(free_shipping_above as numeric(12, 2)) as free_shipping_above,
    cast(min_order_value as numeric(12, 2)) as min_order_value,
    cast(coalesce(handling_fee, 0) as numeric(12, 2)) as handling_fee
from source
