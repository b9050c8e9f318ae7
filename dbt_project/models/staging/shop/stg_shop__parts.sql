with

source as (

    select * from {{ source('shop', 'shop_parts') }}

)

select
    part_id,
    brand,
    device_model,
    part_type,
    quality,
    nullif(colour, '') as colour,
    nullif(ean, '') as ean
from source
