with

source as (

    select * from {{ source('scrape', 'supplier_catalog') }}

),

renamed as (

    select
        supplier_id,
        supplier_sku,
        window_start,
        gate_status,
        observed_at,
        title,
        url,
        brand,
        device_model,
        part_type,
        quality,
        colour,
        nullif(trim(ean), '') as ean,
        nullif(trim(mpn), '') as mpn,
        coalesce(pack_size, 1) as pack_size,
        -- JSON list of {min_qty, price_net, price_gross}, null when the page shows no breaks
        price_breaks
    from source

)

select * from renamed
