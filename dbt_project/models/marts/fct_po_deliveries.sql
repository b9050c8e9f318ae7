{#
  What each supplier did with the POs it was sent: per line, when it went out, how much and at
  what price arrived, how long it took, and whether its shop said "in stock" at that moment.
  Only POs that have been delivered (partly or fully) are judged: one still on the way says
  nothing yet about its supplier.
#}
with

lines as (

    select * from {{ ref('stg_purchasing__purchase_order_lines') }}

),

sent as (

    select po_id, min(happened_at) as sent_at
    from {{ source('purchasing', 'purchase_order_events') }}
    where state = 'sent'
    group by po_id

),

receipts as (

    select
        po_id,
        supplier_sku,
        sum(quantity) as received_quantity,
        max(received_at) as last_received_at,
        sum(quantity * invoiced_price)
            / nullif(sum(case when invoiced_price is not null then quantity end), 0)
            as invoiced_price
    from {{ ref('stg_shop__goods_received') }}
    group by po_id, supplier_sku

),

stock_periods as (

    select * from {{ ref('fct_stock_history') }}

)

select
    lines.supplier_id,
    lines.po_id,
    lines.line,
    lines.supplier_sku,
    sent.sent_at,
    lines.quantity as ordered_quantity,
    lines.unit_price as quoted_price,
    coalesce(receipts.received_quantity, 0) as received_quantity,
    receipts.last_received_at,
    receipts.invoiced_price,
    case when coalesce(receipts.received_quantity, 0) >= lines.quantity
        then {{ hours_between('sent.sent_at', 'receipts.last_received_at') }} / 24.0
    end as lead_time_days,
    exists (
        select 1 from stock_periods
        where stock_periods.supplier_id = lines.supplier_id
            and stock_periods.supplier_sku = lines.supplier_sku
            and stock_periods.valid_from <= sent.sent_at
            and (stock_periods.valid_to is null or stock_periods.valid_to > sent.sent_at)
            and stock_periods.stock_state in ('in', 'low')
    ) as in_stock_when_sent
from lines
inner join sent on lines.po_id = sent.po_id
left join receipts
    on lines.po_id = receipts.po_id and lines.supplier_sku = receipts.supplier_sku
where lines.state in ('partly_received', 'received')
