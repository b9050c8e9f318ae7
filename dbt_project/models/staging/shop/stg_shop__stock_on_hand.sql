select
    part_id,
    on_hand,
    counted_at
from {{ source('shop', 'stock_on_hand') }}
