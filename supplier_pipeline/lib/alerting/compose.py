"""What an alert says: one line per event that tells the owner what it changes for the
business, from what the event row already carries (marts.mart_alert_events)."""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal

from supplier_pipeline.lib.alerting.message import Line

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "CNY": "¥"}
# what the UI shows for each kind of event (a path under the Dagster UI's base URL)
ASSET_PATHS = {
    "scrape": "/assets/raw/supplier_offers",
    "po": "/assets/purchasing/purchase_orders",
    "offer": "/assets/marts/mart_alert_events",
}
TITLES = {
    "price_up": "Price up", "price_down": "Price down", "back_in_stock": "Back in stock",
    "low_stock": "Low stock", "out_of_stock": "Out of stock",
    "new_cheapest_supplier": "New cheapest supplier", "scrape_failed": "Supplier scrape failed",
    "scrape_quarantined": "Supplier scrape quarantined",
    "scrape_recovered": "Supplier scrapes again", "data_stale": "Data stale",
    "data_fresh_again": "Data fresh again",
    "po_waiting_approval": "PO waiting for approval", "po_rejected": "PO rejected",
    "po_overdue": "PO overdue", "run_failed": "Run failed", "channel_down": "Alert channel down",
}


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def money(amount, currency: str | None, signed: bool = False) -> str:
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    sign = ("+" if value > 0 else "−" if value < 0 else "") if signed else (
        "−" if value < 0 else "")
    return f"{sign}{abs(value):.2f} {SYMBOLS.get(currency or 'EUR', currency)}"


def _prices(event: dict, basis: str) -> str:
    currency = event.get("currency")
    net = f"{money(event['old_value'], currency)} → {money(event['new_value'], currency)}"
    gross_known = _present(event.get("old_price_gross")) and _present(
        event.get("new_price_gross"))
    gross = (f"{money(event['old_price_gross'], currency)} → "
             f"{money(event['new_price_gross'], currency)}") if gross_known else None
    if basis == "gross" and gross:
        return f"{gross} gross"
    if basis == "both" and gross:
        return f"{net} net, {gross} gross"
    return f"{net} net"


def _what(event: dict) -> str:
    return (event.get("part_name") or event.get("title") or event.get("part_id")
            or event.get("supplier_sku") or "?")


def _next_purchase(event: dict) -> str:
    """Where the next proposal buys the part, against this offer's new price."""
    best, landed = event.get("best_supplier_id"), event.get("best_landed_unit_price")
    if not best or not _present(landed):
        return "no supplier has it available now"
    currency = event.get("best_currency") or event.get("currency")
    if best == event.get("supplier_id"):
        return f"it is still the best offer ({money(landed, currency)} landed)"
    text = f"the next proposal buys it at {best} for {money(landed, currency)} landed"
    if _present(event.get("new_value")) and event.get("event_kind") in ("price_up", "price_down"):
        text += f" ({money(float(landed) - float(event['new_value']), currency, signed=True)})"
    return text


def _repairs(event: dict) -> str:
    waiting = int(event.get("repairs_waiting") or 0)
    if waiting <= 0:
        return ""
    return f"; {waiting} repair{'s are' if waiting > 1 else ' is'} waiting for it"


def line_text(event: dict, basis: str = "net") -> str:
    kind, supplier = event["event_kind"], event.get("supplier_id")
    detail = event.get("detail") or ""
    if kind in ("price_up", "price_down"):
        pct = abs(float(event["change_pct"])) if _present(event.get("change_pct")) else None
        move = f"{'up' if kind == 'price_up' else 'down'}" + (f" {pct:.1f} %" if pct else "")
        return (f"{_what(event)} {move} at {supplier} ({_prices(event, basis)}); "
                f"{_next_purchase(event)}{_repairs(event)}.")
    if kind in ("back_in_stock", "low_stock", "out_of_stock"):
        state = {"back_in_stock": "back in stock", "low_stock": "low on stock",
                 "out_of_stock": "out of stock"}[kind]
        return f"{_what(event)} {state} at {supplier}; {_next_purchase(event)}{_repairs(event)}."
    if kind == "new_cheapest_supplier":
        currency = event.get("currency")
        previous = detail.removeprefix("was ").strip()
        saving = (f", {money(event['change_amount'], currency, signed=True)} a unit"
                  if _present(event.get("change_amount")) else "")
        return (f"{supplier} is now the cheapest for {_what(event)} at "
                f"{money(event['new_value'], currency)} a unit (was {previous} at "
                f"{money(event['old_value'], currency)}{saving}){_repairs(event)}.")
    if kind == "scrape_failed":
        return (f"{supplier}: {detail}. Its prices and stock stay as last seen until a scrape "
                "succeeds.")
    if kind == "scrape_quarantined":
        return (f"{supplier}: {detail}. The result was kept aside; the previous good data stays "
                "in use.")
    if kind == "scrape_recovered":
        return f"{supplier} scrapes again ({detail})."
    if kind in ("po_waiting_approval", "po_rejected", "po_overdue"):
        lines = event.get("new_state")
        total = (f", {money(event['new_value'], event.get('currency'))}"
                 if _present(event.get("new_value")) else "")
        head = f"PO {event['po_id']} for {supplier} ({lines} lines{total})"
        if kind == "po_waiting_approval":
            return (f"{head} waits for approval: supplier-pipeline po approve "
                    f"{event['po_id']}.")
        if kind == "po_rejected":
            return f"{head} was rejected ({detail})."
        return f"{head} is overdue: {detail}."
    return f"{supplier + ': ' if supplier else ''}{detail}"


def subject_of(event: dict) -> str:
    where = event.get("part_name") or event.get("po_id") or event.get("supplier_id") or ""
    title = TITLES.get(event["event_kind"], event["event_kind"])
    pct = event.get("change_pct")
    if event["event_kind"] in ("price_up", "price_down") and _present(pct):
        title += f" {abs(float(pct)):.0f} %"
    return f"{title}: {where}" + (f" at {event['supplier_id']}"
                                  if event.get("part_name") and event.get("supplier_id") else "")


def link_of(event: dict, ui_url: str | None) -> str | None:
    if not ui_url:
        return None
    base = ui_url.rstrip("/")
    if event.get("run_id"):
        return f"{base}/runs/{event['run_id']}"
    kind = event["event_kind"]
    if kind.startswith("po_"):
        return base + ASSET_PATHS["po"]
    if kind.startswith("scrape_") or kind.startswith("data_"):
        return base + ASSET_PATHS["scrape"]
    return base + ASSET_PATHS["offer"]


def digest_subject(lines: list[Line]) -> str:
    """"Supplier alerts: 7 (3 price up, 2 out of stock, 2 PO waiting for approval)"."""
    kinds = Counter(TITLES.get(line.kind, line.kind).lower() for line in lines)
    parts = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
    return f"Supplier alerts: {len(lines)} ({parts})"


def digest_text(lines: list[Line]) -> str:
    """Grouped by supplier, then part, with counts: one block per supplier."""
    by_supplier: dict[str, list[Line]] = {}
    for line in sorted(lines, key=lambda x: (x.supplier or "", x.part or "", x.kind)):
        by_supplier.setdefault(line.supplier or "general", []).append(line)
    blocks = []
    for supplier, group in by_supplier.items():
        parts = Counter(line.part for line in group if line.part)
        head = f"{supplier}: {len(group)} alert{'s' if len(group) > 1 else ''}"
        if parts:
            head += f" on {len(parts)} part{'s' if len(parts) > 1 else ''}"
        blocks.append("\n".join([head, *(f"- {line.text}" for line in group)]))
    return "\n\n".join(blocks)
