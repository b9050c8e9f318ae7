with

source as (

    select * from {{ source('scrape', 'supplier_offers') }}

),

renamed as (

    select
        ---------- keys
        supplier_id,
        supplier_sku,
        window_start,
        run_id,
        gate_status,
        -- when the partition landed (null for rows from before the column existed)
        loaded_at,
        ---------- observation
        observed_at,
        title,
        url,
        cast(price_net as numeric(12, 2)) as price_net,
        cast(price_gross as numeric(12, 2)) as price_gross,
        currency,
        stock_state,
        stock_qty,
        -- the day a back-order is expected at the supplier; null when the shop shows none
        cast(backorder_until as date) as backorder_until,
        ---------- attributes (feeds carry them on every scrape)
        brand,
        device_model,
        part_type,
        quality,
        colour,
        nullif(trim(ean), '') as ean,
        nullif(trim(mpn), '') as mpn,
        pack_size,
        problems
    from source

)

select * from renamed
