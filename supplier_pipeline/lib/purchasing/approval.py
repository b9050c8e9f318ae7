"""From proposal lines to POs in the ledger: one open proposal per supplier, superseded when
its content changes, approved automatically only inside the supplier's limits, expired when
nobody decides in time. Every decision is an event that says who (or which rule) and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from supplier_pipeline.lib.purchasing import ledger
from supplier_pipeline.lib.warehouse import Warehouse

AUTO = "auto-approval"


@dataclass(frozen=True)
class ApprovalRule:
    """A supplier's limits (its YAML `purchasing` section)."""

    auto_approve_up_to: float | None  # PO total; None: every PO waits for a person
    max_quantity_factor: float = 3.0  # a line above this x the part's usual order waits
    max_price_factor: float = 1.5  # a unit price above this x the offer's recent price waits


def auto_approval(rule: ApprovalRule, lines: Sequence[ledger.Line],
                  usual_quantity: Mapping[str, float],
                  recent_price: Mapping[str, float]) -> tuple[bool, str]:
    """Whether a PO may be approved without a person, and the reason either way."""
    total = sum(Decimal(str(line.unit_price)) * line.quantity for line in lines)
    if rule.auto_approve_up_to is None:
        return False, "waits for approval: this supplier has no auto-approval limit"
    if total > Decimal(str(rule.auto_approve_up_to)):
        return False, (f"waits for approval: total {total:.2f} is above the auto-approval "
                       f"limit {rule.auto_approve_up_to:.2f}")
    for line in lines:
        usual = usual_quantity.get(line.part_id)
        if usual and line.quantity > rule.max_quantity_factor * usual:
            return False, (f"waits for approval: {line.part_id} x{line.quantity} is more than "
                           f"{rule.max_quantity_factor:g} x its usual order ({usual:g})")
        recent = recent_price.get(line.supplier_sku)
        if recent and float(line.unit_price) > rule.max_price_factor * recent:
            return False, (f"waits for approval: {line.supplier_sku} at {line.unit_price} is "
                           f"more than {rule.max_price_factor:g} x its recent price "
                           f"({recent:.2f})")
    return True, (f"auto-approved: total {total:.2f} within the limit "
                  f"{rule.auto_approve_up_to:.2f}, quantities and prices usual")


def sync_supplier(store: Warehouse, supplier_id: str, lines: Sequence[ledger.Line],
                  rule: ApprovalRule, usual_quantity: Mapping[str, float],
                  recent_price: Mapping[str, float], now: datetime) -> str:
    """Make the ledger hold this proposal for the supplier; returns what was done."""
    open_pos = ledger.orders(store, ["proposed"])
    open_pos = open_pos[open_pos["supplier_id"] == supplier_id]
    digest = ledger.content_hash(supplier_id, lines) if lines else None
    if digest is not None and digest in set(open_pos["content_hash"]):
        return f"{supplier_id}: proposal unchanged"
    po_id = None
    if lines:
        po_id = ledger.create(store, supplier_id, lines, now, "purchase_proposals",
                              "proposed by the replenishment policy")
    for old in open_pos["po_id"]:
        why = f"superseded by {po_id}" if po_id else "no longer needed"
        ledger.transition(store, old, "cancelled", "purchase_proposals", why, now)
    if po_id is None:
        return f"{supplier_id}: nothing to order"
    approved, reason = auto_approval(rule, lines, usual_quantity, recent_price)
    if approved:
        ledger.transition(store, po_id, "approved", AUTO, reason, now)
    return f"{po_id}: {reason}"


def expire(store: Warehouse, after: timedelta, now: datetime) -> list[str]:
    """Proposals nobody approved within `after` expire (the next run proposes afresh)."""
    import pandas as pd

    stale = ledger.orders(store, ["proposed"])
    expired = []
    for row in stale.itertuples(index=False):
        if now - pd.Timestamp(row.created_at).to_pydatetime() > after:
            ledger.transition(store, row.po_id, "expired", "purchase_orders",
                              f"not approved within {after}", now)
            expired.append(row.po_id)
    return expired


def decide(store: Warehouse, po_ids: Sequence[str], decision: str, reviewer: str, note: str,
           now: datetime) -> list[str]:
    """A person's approval or rejection; every PO named must be waiting for it."""
    if decision not in ("approve", "reject"):
        raise ValueError(f"decision must be approve or reject, not {decision!r}")
    if not reviewer.strip():
        raise ValueError("a decision needs the reviewer's name")
    state = "approved" if decision == "approve" else "rejected"
    waiting = set(ledger.orders(store, ["proposed"])["po_id"])
    if not_waiting := [po_id for po_id in po_ids if po_id not in waiting]:
        # all or none: a typo in one id must not approve the others half-way
        raise ledger.IllegalTransition(f"not waiting for approval: {', '.join(not_waiting)}")
    for po_id in po_ids:
        ledger.transition(store, po_id, state, reviewer, note or decision, now)
    return [f"{po_id}: {state} by {reviewer}" for po_id in po_ids]


def usual_quantities(store: Warehouse, min_orders: int = 3) -> dict[str, float]:
    """Each part's median ordered quantity over POs that went out (with enough of them)."""
    if not store.table_exists(ledger.LINES):
        return {}
    sent = store.read(f"select l.part_id, l.quantity from {ledger.LINES} as l "
                      f"join {ledger.ORDERS} as o on l.po_id = o.po_id "
                      "where o.state in ('sent', 'acknowledged', 'partly_received', 'received')")
    counts = sent.groupby("part_id")["quantity"]
    usual = counts.median()[counts.size() >= min_orders]
    return {part: float(qty) for part, qty in usual.items()}


def recent_prices(store: Warehouse, supplier_id: str, since: datetime) -> dict[str, float]:
    """The average net price of each of the supplier's offers over its periods since `since`."""
    prices = store.read("select supplier_sku, avg(price_net) as price from marts.fct_price_history "
                        "where supplier_id = ? and (valid_to is null or valid_to >= ?) "
                        "group by supplier_sku", [supplier_id, since])
    return {row.supplier_sku: float(row.price) for row in prices.itertuples(index=False)}
