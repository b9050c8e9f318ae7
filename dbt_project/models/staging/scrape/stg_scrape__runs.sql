with

source as (

    select * from {{ source('scrape', 'scrape_runs') }}

)

select
    supplier_id,
    window_start,
    mode,
    run_id,
    status,
    reason,
    offers,
    finished_at
from source
