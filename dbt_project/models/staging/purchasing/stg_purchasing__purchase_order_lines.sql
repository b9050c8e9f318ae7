with

orders as (

    select * from {{ source('purchasing', 'purchase_orders') }}

),

lines as (

    select * from {{ source('purchasing', 'purchase_order_lines') }}

)

select
    lines.po_id,
    lines.line,
    orders.supplier_id,
    orders.state,
    orders.created_at,
    lines.part_id,
    lines.supplier_sku,
    lines.quantity,
    lines.unit_price,
    lines.confirmed_quantity,
    lines.confirmed_price,
    coalesce(lines.received_quantity, 0) as received_quantity,
    -- approved POs count as ordered: their files may be on the way to the order system
    orders.state in ('approved', 'sent', 'acknowledged', 'partly_received') as is_on_order,
    greatest(
        coalesce(lines.confirmed_quantity, lines.quantity) - coalesce(lines.received_quantity, 0),
        0
    ) as open_quantity
from lines
inner join orders on lines.po_id = orders.po_id
