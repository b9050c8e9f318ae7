with

source as (

    select * from {{ source('scrape_gate', 'held_observations') }}

),

renamed as (

    select
        ---------- keys
        supplier_id,
        mode,
        window_start,
        supplier_sku,
        run_id,
        ---------- the observation held back and why
        observed_at,
        cast(price_net as numeric(12, 2)) as price_net,
        cast(last_accepted_price as numeric(12, 2)) as last_accepted_price,
        jump_factor,
        reason,
        ---------- how it was resolved (raw.gate_decisions has who and why)
        status,
        held_at,
        resolved_at
    from source

)

select * from renamed
