"""The tables that Python assets write: raw landing tables and analytics outputs.

Types are the common subset of DuckDB and PostgreSQL, so one definition serves both.
"""

from __future__ import annotations

MONEY = "numeric(12, 2)"

OBSERVATION_COLUMNS = [
    ("supplier_id", "varchar"), ("window_start", "timestamptz"), ("run_id", "varchar"),
    ("gate_status", "varchar"), ("supplier_sku", "varchar"), ("observed_at", "timestamptz"),
    ("title", "varchar"),
    ("url", "varchar"), ("price_text", "varchar"), ("price_net", MONEY),
    ("price_gross", MONEY), ("currency", "varchar"), ("vat_rate", "numeric(5, 2)"),
    ("stock_text", "varchar"), ("stock_state", "varchar"), ("stock_qty", "integer"),
    ("brand", "varchar"), ("device_model", "varchar"), ("part_type", "varchar"),
    ("quality", "varchar"), ("colour", "varchar"), ("ean", "varchar"), ("mpn", "varchar"),
    ("pack_size", "integer"), ("problems", "varchar"), ("field_sources", "varchar"),
    ("price_breaks", "varchar"),  # JSON: [{"min_qty", "price_net", "price_gross"}, ...]
    ("loaded_at", "timestamptz"),  # when the partition landed: incremental marts start there
    # a back-order's expected day at the supplier (lib/scraping/backorder.py); last, so that a
    # warehouse that gains it by `add column` has the same column order as a new one
    ("backorder_until", "date"),
]

TABLES: dict[str, list[tuple[str, str]]] = {
    "raw.supplier_offers": OBSERVATION_COLUMNS,
    "raw.supplier_catalog": OBSERVATION_COLUMNS,
    "raw.suppliers": [
        ("supplier_id", "varchar"), ("supplier_name", "varchar"), ("engine", "varchar"),
        ("base_url", "varchar"), ("lead_time_days", "integer"), ("shipping_fee", MONEY),
        ("free_shipping_above", MONEY), ("min_order_value", MONEY), ("handling_fee", MONEY),
    ],
    # each supplier's order terms: category null = every part without terms of its own
    "raw.supplier_order_terms": [
        ("supplier_id", "varchar"), ("category", "varchar"), ("min_order_quantity", "integer"),
        ("order_multiple", "integer"),
    ],
    "raw.fetch_log": [
        ("supplier_id", "varchar"), ("window_start", "timestamptz"), ("mode", "varchar"),
        ("run_id", "varchar"), ("url", "varchar"), ("outcome", "varchar"),
        ("status", "integer"), ("elapsed_ms", "double precision"), ("bytes", "integer"),
        ("attempt", "integer"), ("fetched_at", "timestamptz"), ("error", "varchar"),
    ],
    "raw.scrape_runs": [
        ("supplier_id", "varchar"), ("window_start", "timestamptz"), ("mode", "varchar"),
        ("run_id", "varchar"), ("status", "varchar"), ("reason", "varchar"),
        ("offers", "integer"), ("finished_at", "timestamptz"),
    ],
    # The quality gate's ways out (lib/scraping/acceptance.py): observations held back for an
    # implausible price jump, and every acceptance of what the gate held back or quarantined.
    "raw.held_observations": [
        ("supplier_id", "varchar"), ("window_start", "timestamptz"), ("mode", "varchar"),
        ("run_id", "varchar"), ("supplier_sku", "varchar"), ("observed_at", "timestamptz"),
        ("price_net", MONEY), ("last_accepted_price", MONEY),
        ("jump_factor", "double precision"), ("reason", "varchar"),
        ("status", "varchar"),  # held | accepted (a person) | confirmed (runs) | rejected
        ("held_at", "timestamptz"), ("resolved_at", "timestamptz"),
    ],
    "raw.gate_decisions": [
        ("decided_at", "timestamptz"), ("supplier_id", "varchar"), ("mode", "varchar"),
        ("kind", "varchar"),  # price_jump | offer_count
        ("window_start", "timestamptz"), ("supplier_sku", "varchar"),
        ("decision", "varchar"),  # accepted | rejected
        ("basis", "varchar"),  # person | confirmed_by_runs
        ("decided_by", "varchar"), ("reason", "varchar"), ("run_id", "varchar"),
    ],
    "raw.shop_parts": [
        ("part_id", "varchar"), ("brand", "varchar"), ("device_model", "varchar"),
        ("part_type", "varchar"), ("quality", "varchar"), ("colour", "varchar"),
        ("ean", "varchar"),
    ],
    "raw.repair_orders": [
        ("order_id", "varchar"), ("created_at", "timestamptz"), ("device_model", "varchar"),
        ("repair_type", "varchar"), ("part_id", "varchar"), ("quantity", "integer"),
        ("status", "varchar"), ("completed_at", "timestamptz"),
    ],
    "raw.stock_on_hand": [
        ("part_id", "varchar"), ("on_hand", "integer"), ("counted_at", "timestamptz"),
    ],
    "raw.open_purchase_orders": [
        ("po_id", "varchar"), ("line", "integer"), ("supplier_id", "varchar"),
        ("part_id", "varchar"), ("quantity", "integer"), ("ordered_at", "timestamptz"),
        ("expected_at", "timestamptz"),
    ],
    # what the order system sends back about our POs (lib/shop/ingest.py)
    "raw.po_acknowledgements": [
        ("po_id", "varchar"), ("supplier_sku", "varchar"), ("order_number", "varchar"),
        ("status", "varchar"), ("confirmed_quantity", "integer"), ("confirmed_price", MONEY),
        ("acknowledged_at", "timestamptz"),
    ],
    "raw.goods_received": [
        ("po_id", "varchar"), ("supplier_sku", "varchar"), ("quantity", "integer"),
        ("received_at", "timestamptz"), ("invoiced_price", MONEY),
    ],
    "raw.shop_quarantine": [
        ("source", "varchar"), ("file", "varchar"), ("line", "integer"), ("record", "varchar"),
        ("reason", "varchar"), ("quarantined_at", "timestamptz"),
    ],
    "matching.offer_part_matches": [
        ("supplier_id", "varchar"), ("supplier_sku", "varchar"), ("part_id", "varchar"),
        ("method", "varchar"), ("confidence", "double precision"),
        ("candidate_part_id", "varchar"),
    ],
    "analytics.part_forecast": [
        ("part_id", "varchar"), ("ds", "date"), ("mean", "double precision"),
        ("q50", "double precision"), ("q80", "double precision"), ("q90", "double precision"),
        ("q95", "double precision"), ("q99", "double precision"), ("method", "varchar"),
        ("demand_class", "varchar"), ("dispersion", "double precision"),
        ("forecast_date", "date"), ("lead_time_rate", "double precision"),
    ],
    "analytics.aggregate_forecast": [
        ("group_name", "varchar"), ("ds", "date"), ("mean", "double precision"),
        ("q10", "double precision"), ("q50", "double precision"), ("q90", "double precision"),
        ("forecast_date", "date"),
    ],
    "analytics.forecast_accuracy": [
        ("method", "varchar"), ("demand_class", "varchar"), ("part_days", "integer"),
        ("mean_absolute_error", "double precision"), ("bias", "double precision"),
        ("q90_coverage", "double precision"), ("measured_on", "date"),
    ],
    # The alert outbox (lib/alerting/outbox.py): every alert raised, one row per delivery it
    # needs (recipient x channel) with its state, every attempt, and each channel's health.
    "alerting.alerts": [
        ("alert_id", "varchar"), ("event_kind", "varchar"), ("severity", "varchar"),
        ("rule", "varchar"), ("happened_at", "timestamptz"), ("raised_at", "timestamptz"),
        ("supplier_id", "varchar"), ("supplier_sku", "varchar"), ("part_id", "varchar"),
        ("po_id", "varchar"), ("repeat_key", "varchar"), ("subject", "varchar"),
        ("text", "varchar"), ("link", "varchar"),
        ("status", "varchar"),  # raised | seen (older than the window) | repeat
    ],
    "alerting.outbox": [
        ("alert_id", "varchar"), ("recipient", "varchar"), ("channel", "varchar"),
        ("severity", "varchar"), ("delivery", "varchar"), ("due_at", "timestamptz"),
        ("state", "varchar"),  # pending | sent | seen
        ("attempts", "integer"), ("next_attempt_at", "timestamptz"),
        ("claimed_by", "varchar"), ("claimed_until", "timestamptz"),
        ("message_key", "varchar"), ("provider_id", "varchar"), ("sent_at", "timestamptz"),
        ("last_error", "varchar"),
    ],
    "alerting.delivery_attempts": [
        ("message_key", "varchar"), ("recipient", "varchar"), ("channel", "varchar"),
        ("alerts", "integer"), ("attempted_at", "timestamptz"), ("ok", "boolean"),
        ("provider_id", "varchar"), ("error", "varchar"),
    ],
    "alerting.channel_health": [
        ("channel", "varchar"), ("down_since", "timestamptz"), ("last_error", "varchar"),
        ("checked_at", "timestamptz"),
    ],
    # the lines to order now; the PO that carries them is in the purchasing ledger
    "analytics.purchase_proposals": [
        ("supplier_id", "varchar"), ("part_id", "varchar"),
        ("supplier_sku", "varchar"), ("quantity", "integer"), ("unit_price", MONEY),
        ("line_total", MONEY), ("on_hand", "integer"), ("on_order", "integer"),
        ("reserved", "integer"), ("reorder_point", "integer"), ("order_up_to", "integer"),
        ("reason", "varchar"), ("proposed_at", "timestamptz"),
    ],
    # The purchase-order ledger (lib/purchasing/ledger.py): one row per PO and per line, the
    # PO's current state, and every transition, append-only.
    "purchasing.purchase_orders": [
        ("po_id", "varchar"), ("supplier_id", "varchar"), ("state", "varchar"),
        ("content_hash", "varchar"), ("currency", "varchar"), ("total", MONEY),
        ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
        ("order_number", "varchar"),  # the order system's own number, from its acknowledgement
    ],
    "purchasing.purchase_order_lines": [
        ("po_id", "varchar"), ("line", "integer"), ("part_id", "varchar"),
        ("supplier_sku", "varchar"), ("quantity", "integer"), ("unit_price", MONEY),
        ("line_total", MONEY), ("reason", "varchar"), ("confirmed_quantity", "integer"),
        ("confirmed_price", MONEY), ("received_quantity", "integer"),
    ],
    "purchasing.purchase_order_events": [
        ("po_id", "varchar"), ("state", "varchar"), ("happened_at", "timestamptz"),
        ("actor", "varchar"), ("reason", "varchar"),
    ],
    # the policy backtest on the shop's own history (defs/analytics/policy_backtest.py)
    "analytics.policy_backtest": [
        ("target", "double precision"), ("policy", "varchar"),
        ("fill_rate", "double precision"), ("cycle_service", "double precision"),
        ("avg_units", "double precision"), ("avg_value", "double precision"),
        ("stockouts", "double precision"), ("order_lines", "double precision"),
        ("baskets", "double precision"), ("goods", "double precision"),
        ("shipping", "double precision"), ("spend", "double precision"),
        ("measured_on", "date"),
    ],
    "analytics.po_files": [
        ("proposal_id", "varchar"), ("supplier_id", "varchar"), ("content_hash", "varchar"),
        ("csv_path", "varchar"), ("json_path", "varchar"), ("lines", "integer"),
        ("emitted_at", "timestamptz"),
    ],
}


# PostgreSQL indexes (DuckDB's zone maps already skip what these would): a partition write
# deletes its slice by (supplier, window); incremental marts look for rows loaded or observed
# after a supplier's last build.
INDEXES: dict[str, list[tuple[str, ...]]] = {
    "raw.supplier_offers": [("supplier_id", "window_start"), ("supplier_id", "loaded_at"),
                            ("supplier_id", "observed_at")],
    "raw.supplier_catalog": [("supplier_id", "window_start")],
    "raw.fetch_log": [("supplier_id", "window_start")],
}
