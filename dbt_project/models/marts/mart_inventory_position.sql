{{ config(materialized='view') }}
{#
  A view, not a table: the proposal step reads it minutes after the ledger changed (a PO
  approved or sent since the last dbt build is on order now), so a part is never ordered
  twice because the marts had not been rebuilt yet.

  On order = the ledger's open lines (approved, sent, acknowledged or partly received, minus
  what arrived) + the shop's own open POs that the ledger does not know. Our POs appear in the
  shop's export once entered there; counting them from the ledger only counts them once.
  On hand = the shop's last count + what was received after that count: between a delivery
  and the next stock export the units are no longer on order and not yet counted.
#}
with

parts as (

    select part_id from {{ ref('dim_parts') }}

),

stock as (

    select part_id, on_hand, counted_at from {{ ref('stg_shop__stock_on_hand') }}

),

ledger_lines as (

    select * from {{ ref('stg_purchasing__purchase_order_lines') }}

),

shop_open_lines as (

    select * from {{ ref('stg_shop__open_purchase_orders') }}

),

repair_orders as (

    select * from {{ ref('int_repair_order_parts') }}

),

received_since_count as (

    select ledger_lines.part_id, sum(receipts.quantity) as received
    from {{ ref('stg_shop__goods_received') }} as receipts
    inner join ledger_lines
        on receipts.po_id = ledger_lines.po_id
        and receipts.supplier_sku = ledger_lines.supplier_sku
    left join stock on ledger_lines.part_id = stock.part_id
    where stock.counted_at is null or receipts.received_at > stock.counted_at
    group by ledger_lines.part_id

),

on_order_in_ledger as (

    select part_id, sum(open_quantity) as on_order
    from ledger_lines
    where is_on_order
    group by part_id

),

on_order_elsewhere as (

    select part_id, sum(quantity) as on_order
    from shop_open_lines
    where po_id not in (select po_id from ledger_lines)
    group by part_id

),

reserved as (

    select part_id, sum(quantity) as reserved
    from repair_orders
    where status = 'waiting_parts'
    group by part_id

),

position as (

    select
        parts.part_id,
        coalesce(stock.on_hand, 0) + coalesce(received_since_count.received, 0) as on_hand,
        coalesce(on_order_in_ledger.on_order, 0) as on_order_in_ledger,
        coalesce(on_order_elsewhere.on_order, 0) as on_order_elsewhere,
        coalesce(reserved.reserved, 0) as reserved
    from parts
    left join stock on parts.part_id = stock.part_id
    left join received_since_count on parts.part_id = received_since_count.part_id
    left join on_order_in_ledger on parts.part_id = on_order_in_ledger.part_id
    left join on_order_elsewhere on parts.part_id = on_order_elsewhere.part_id
    left join reserved on parts.part_id = reserved.part_id

)

select
    part_id,
    on_hand,
    on_order_in_ledger + on_order_elsewhere as on_order,
    on_order_in_ledger,
    on_order_elsewhere,
    reserved,
    on_hand + on_order_in_ledger + on_order_elsewhere - reserved as inventory_position
from position
