select
    po_id,
    line,
    supplier_id,
    part_id,
    quantity,
    ordered_at,
    expected_at
from {{ source('shop', 'open_purchase_orders') }}
