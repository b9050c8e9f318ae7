{# Observations from price/stock scrape partitions that passed the quality gate, less those
   held back for an implausible price jump. A quarantined partition contributes nothing, so it
   can never look like a change; a held observation stays out until a person accepts it or
   consecutive scrapes confirm its price (its row's loaded_at is then touched, so the
   incremental histories rebuild with it in place). #}
with

gate_passed as (

    select * from {{ ref('stg_scrape__offers') }}
    where gate_status = 'ok'

),

held_back as (

    select supplier_id, window_start, supplier_sku
    from {{ ref('stg_scrape__held_observations') }}
    where mode = 'prices' and status in ('held', 'rejected')

),

accepted as (

    select gate_passed.*
    from gate_passed
    where not exists (
        select 1
        from held_back
        where held_back.supplier_id = gate_passed.supplier_id
            and held_back.window_start = gate_passed.window_start
            and held_back.supplier_sku = gate_passed.supplier_sku
    )

)

select * from accepted
