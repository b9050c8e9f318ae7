{#
  Everything that may deserve an alert, one row per event, with what the owner needs to judge
  it: the part, whether the shop needs it, what the best offer is now, how many repairs wait.
  The alert rules (lib/alerting/rules.py) choose from these rows; this model decides nothing.

  event_id is derived from what happened (who, what, old and new value, the hour it happened)
  so it stays the same when the history is rebuilt from the same scrapes; repeat_key names the
  "same thing again" (the same move of the same offer) for the rules' repeat window.
#}
with

changes as (

    select * from {{ ref('fct_offer_changes') }}
    where change_type not in ('new_offer', 'offer_gone')

),

parts as (

    select
        part_id,
        part_type as category,
        concat_ws(' ', brand, device_model, replace(part_type, '_', ' '),
                  case when quality is not null then '(' || replace(quality, '_', ' ') || ')' end)
            as part_name
    from {{ ref('dim_parts') }}

),

position as (

    select * from {{ ref('mart_inventory_position') }}

),

open_proposals as (

    select distinct part_id
    from {{ ref('stg_purchasing__purchase_order_lines') }}
    where state = 'proposed'

),

part_needs as (

    select
        parts.part_id,
        parts.part_name,
        parts.category,
        coalesce(position.reserved, 0) as repairs_waiting,
        coalesce(position.on_hand, 0) > 0 as is_stocked,
        coalesce(position.reserved, 0) > 0
            or open_proposals.part_id is not null
            or coalesce(position.inventory_position, 0) <= 0 as is_needed
    from parts
    left join position on parts.part_id = position.part_id
    left join open_proposals on parts.part_id = open_proposals.part_id

),

best_offers as (

    select part_id, supplier_id, landed_unit_price, currency
    from {{ ref('mart_best_offer') }}
    where is_best_offer

),

offer_titles as (

    select supplier_id, supplier_sku, max(title) as title
    from {{ ref('mart_best_offer') }}
    group by supplier_id, supplier_sku

),

offer_events as (

    select
        change_type as event_kind,
        changed_at as happened_at,
        supplier_id,
        supplier_sku,
        part_id,
        cast(null as varchar) as po_id,
        currency,
        old_price as old_value,
        new_price as new_value,
        old_price_gross,
        new_price_gross,
        change_amount,
        change_pct,
        old_stock_state as old_state,
        new_stock_state as new_state,
        cast(null as varchar) as detail,
        concat_ws('|', supplier_id, supplier_sku, change_type,
                  cast(old_price as varchar), cast(new_price as varchar),
                  old_stock_state, new_stock_state) as repeat_key
    from changes

),

matched_prices as (

    select
        matches.part_id,
        history.supplier_id,
        history.supplier_sku,
        history.currency,
        history.price_net / coalesce(nullif(matches.pack_size, 0), 1) as unit_price,
        history.valid_from,
        history.valid_to
    from {{ ref('fct_price_history') }} as history
    inner join {{ ref('int_offers_matched_to_parts') }} as matches
        on history.supplier_id = matches.supplier_id
        and history.supplier_sku = matches.supplier_sku
    where matches.part_id is not null

),

price_moments as (

    select distinct part_id, currency, valid_from as moment from matched_prices

),

cheapest_at_moment as (

    select
        price_moments.part_id,
        price_moments.currency,
        price_moments.moment,
        matched_prices.supplier_id,
        matched_prices.supplier_sku,
        matched_prices.unit_price,
        row_number() over (
            partition by price_moments.part_id, price_moments.currency, price_moments.moment
            order by matched_prices.unit_price, matched_prices.supplier_id
        ) as price_rank
    from price_moments
    inner join matched_prices
        on price_moments.part_id = matched_prices.part_id
        and price_moments.currency = matched_prices.currency
        and matched_prices.valid_from <= price_moments.moment
        and (matched_prices.valid_to is null or matched_prices.valid_to > price_moments.moment)

),

cheapest_sequence as (

    select
        *,
        lag(supplier_id) over (partition by part_id, currency order by moment)
            as previous_supplier_id,
        lag(unit_price) over (partition by part_id, currency order by moment)
            as previous_unit_price
    from cheapest_at_moment
    where price_rank = 1

),

cheapest_events as (

    select
        'new_cheapest_supplier' as event_kind,
        moment as happened_at,
        supplier_id,
        supplier_sku,
        part_id,
        cast(null as varchar) as po_id,
        currency,
        cast(previous_unit_price as numeric(12, 2)) as old_value,
        cast(unit_price as numeric(12, 2)) as new_value,
        cast(null as numeric(12, 2)) as old_price_gross,
        cast(null as numeric(12, 2)) as new_price_gross,
        cast(unit_price - previous_unit_price as numeric(12, 2)) as change_amount,
        round(cast(100.0 * (unit_price - previous_unit_price) / previous_unit_price
                   as numeric), 2) as change_pct,
        cast(null as varchar) as old_state,
        cast(null as varchar) as new_state,
        'was ' || previous_supplier_id as detail,
        concat_ws('|', part_id, 'new_cheapest_supplier', previous_supplier_id, supplier_id)
            as repeat_key
    from cheapest_sequence
    where previous_supplier_id is not null and previous_supplier_id <> supplier_id

),

scrape_runs as (

    select
        *,
        lag(status) over (
            partition by supplier_id, mode order by window_start, finished_at
        ) as previous_status
    from {{ ref('stg_scrape__runs') }}

),

scrape_events as (

    -- a supplier going wrong, or right again: not every failed window of a long outage
    select
        case
            when status = 'failed' then 'scrape_failed'
            when status = 'quarantined' then 'scrape_quarantined'
            else 'scrape_recovered'
        end as event_kind,
        finished_at as happened_at,
        supplier_id,
        cast(null as varchar) as supplier_sku,
        cast(null as varchar) as part_id,
        cast(null as varchar) as po_id,
        cast(null as varchar) as currency,
        cast(null as numeric(12, 2)) as old_value,
        cast(null as numeric(12, 2)) as new_value,
        cast(null as numeric(12, 2)) as old_price_gross,
        cast(null as numeric(12, 2)) as new_price_gross,
        cast(null as numeric(12, 2)) as change_amount,
        cast(null as numeric) as change_pct,
        previous_status as old_state,
        status as new_state,
        mode || ' scrape of the window from ' || cast(window_start as varchar)
            || coalesce(': ' || reason, '') as detail,
        concat_ws('|', supplier_id, mode, status, cast(window_start as varchar)) as repeat_key
    from scrape_runs
    where (status in ('failed', 'quarantined') and coalesce(previous_status, 'ok') <> status)
        or (status = 'ok' and previous_status in ('failed', 'quarantined'))

),

po_lines as (

    select
        po_id,
        supplier_id,
        state,
        count(*) as line_count,
        sum(quantity * unit_price) as total
    from {{ ref('stg_purchasing__purchase_order_lines') }}
    group by po_id, supplier_id, state

),

po_events as (

    select * from {{ ref('stg_purchasing__purchase_order_events') }}

),

po_sent as (

    select po_id, max(happened_at) as sent_at
    from po_events
    where state = 'sent'
    group by po_id

),

po_notices as (

    -- waiting: only while it still waits; rejected: by the owner or by the supplier
    select
        case when po_events.state = 'proposed' then 'po_waiting_approval'
             else 'po_rejected' end as event_kind,
        po_events.happened_at,
        po_lines.supplier_id,
        po_lines.po_id,
        po_lines.line_count,
        po_lines.total,
        coalesce(po_events.actor || ': ', '') || coalesce(po_events.reason, '') as detail
    from po_events
    inner join po_lines on po_events.po_id = po_lines.po_id
    where (po_events.state = 'proposed' and po_lines.state = 'proposed')
        or po_events.state = 'rejected'

    union all

    -- overdue: sent longer ago than the supplier's planning lead time plus a day's grace
    select
        'po_overdue',
        po_sent.sent_at + (suppliers.planning_lead_time_days + 1) * interval '1 day',
        po_lines.supplier_id,
        po_lines.po_id,
        po_lines.line_count,
        po_lines.total,
        'sent ' || cast(cast(po_sent.sent_at as date) as varchar) || ', expected within '
            || cast(suppliers.planning_lead_time_days as varchar) || ' days'
    from po_lines
    inner join po_sent on po_lines.po_id = po_sent.po_id
    inner join {{ ref('dim_suppliers') }} as suppliers
        on po_lines.supplier_id = suppliers.supplier_id
    where po_lines.state in ('sent', 'acknowledged', 'partly_received')
        and po_sent.sent_at + (suppliers.planning_lead_time_days + 1) * interval '1 day'
            < {{ current_ts() }}

),

po_alert_events as (

    select
        event_kind,
        happened_at,
        supplier_id,
        cast(null as varchar) as supplier_sku,
        cast(null as varchar) as part_id,
        po_id,
        cast(null as varchar) as currency,
        cast(null as numeric(12, 2)) as old_value,
        cast(total as numeric(12, 2)) as new_value,
        cast(null as numeric(12, 2)) as old_price_gross,
        cast(null as numeric(12, 2)) as new_price_gross,
        cast(null as numeric(12, 2)) as change_amount,
        cast(null as numeric) as change_pct,
        cast(null as varchar) as old_state,
        cast(line_count as varchar) as new_state,
        detail,
        concat_ws('|', po_id, event_kind) as repeat_key
    from po_notices

),

events as (

    select * from offer_events
    union all
    select * from cheapest_events
    union all
    select * from scrape_events
    union all
    select * from po_alert_events

)

select
    md5(concat_ws('|', events.event_kind, events.supplier_id, events.supplier_sku,
                  events.part_id, events.po_id, cast(events.old_value as varchar),
                  cast(events.new_value as varchar), events.old_state, events.new_state,
                  cast(cast(floor(extract(epoch from events.happened_at) / 3600) as bigint)
                       as varchar))) as event_id,
    events.event_kind,
    events.happened_at,
    events.supplier_id,
    events.supplier_sku,
    events.part_id,
    part_needs.part_name,
    part_needs.category,
    offer_titles.title,
    events.po_id,
    events.currency,
    events.old_value,
    events.new_value,
    events.old_price_gross,
    events.new_price_gross,
    events.change_amount,
    events.change_pct,
    events.old_state,
    events.new_state,
    events.detail,
    events.repeat_key,
    coalesce(part_needs.is_needed, false) as part_needed,
    coalesce(part_needs.is_stocked, false) as part_stocked,
    coalesce(part_needs.repairs_waiting, 0) as repairs_waiting,
    best_offers.supplier_id as best_supplier_id,
    best_offers.landed_unit_price as best_landed_unit_price,
    best_offers.currency as best_currency
from events
left join part_needs on events.part_id = part_needs.part_id
left join best_offers on events.part_id = best_offers.part_id
left join offer_titles
    on events.supplier_id = offer_titles.supplier_id
    and events.supplier_sku = offer_titles.supplier_sku
