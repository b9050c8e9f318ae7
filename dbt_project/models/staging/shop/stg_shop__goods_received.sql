select
    po_id,
    supplier_sku,
    quantity,
    received_at,
    cast(invoiced_price as numeric(12, 2)) as invoiced_price
from {{ source('shop', 'goods_received') }}
