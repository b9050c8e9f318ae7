with

source as (

    select * from {{ source('purchasing', 'purchase_order_events') }}

)

select
    po_id,
    state,
    happened_at,
    actor,
    reason
from source
