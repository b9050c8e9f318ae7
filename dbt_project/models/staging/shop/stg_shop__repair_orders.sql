with

source as (

    select * from {{ source('shop', 'repair_orders') }}

)

select
    order_id,
    created_at,
    cast(created_at as date) as created_date,
    device_model,
    repair_type,
    nullif(part_id, '') as part_id,
    quantity,
    status,
    completed_at
from source
