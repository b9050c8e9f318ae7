"""The purchase-order ledger: one record per PO with an id that never changes, its lines, and
an append-only history of its states.

    proposed -> approved -> sent -> acknowledged -> partly_received -> received
    proposed -> rejected | cancelled | expired;  approved | sent | acknowledged -> cancelled
    sent -> rejected (the order system refused it)

Files and on-order quantities follow from the ledger, never the other way round: a PO is
`approved` before its files are written and `sent` only once they are complete, so a crash or
a retry at any point rewrites the same files or nothing. Every transition is one transaction
that re-reads the current state (locked on PostgreSQL), so two runs cannot both move one PO.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from supplier_pipeline.lib.warehouse import Warehouse

ORDERS, LINES, EVENTS = ("purchasing.purchase_orders", "purchasing.purchase_order_lines",
                         "purchasing.purchase_order_events")
LEDGER = [ORDERS, LINES, EVENTS]
TRANSITIONS: dict[str, set[str]] = {
    "proposed": {"approved", "rejected", "cancelled", "expired"},
    "approved": {"sent", "cancelled"},
    "sent": {"acknowledged", "rejected", "partly_received", "received", "cancelled"},
    "acknowledged": {"partly_received", "received", "cancelled"},
    "partly_received": {"partly_received", "received"},
}
# Counted as on order by the inventory position (dbt: mart_inventory_position).
ON_ORDER = ("approved", "sent", "acknowledged", "partly_received")


class IllegalTransition(ValueError):
    """A state change the lifecycle does not allow (the message says from what to what)."""


@dataclass(frozen=True)
class Line:
    part_id: str
    supplier_sku: str
    quantity: int
    unit_price: Decimal
    reason: str


def content_hash(supplier_id: str, lines: Sequence[Line]) -> str:
    """What is ordered, not when: a new proposal with the same content is the same PO."""
    key = sorted((line.supplier_sku, int(line.quantity), str(line.unit_price)) for line in lines)
    return hashlib.sha256(json.dumps([supplier_id, key]).encode()).hexdigest()


def money(value: Decimal | float | str) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def create(store: Warehouse, supplier_id: str, lines: Sequence[Line], now: datetime,
           actor: str, reason: str, currency: str = "EUR") -> str:
    """Record a new proposed PO with its lines and first event; returns its id."""
    digest = content_hash(supplier_id, lines)
    po_id = f"PO-{supplier_id}-{now:%Y%m%d%H%M%S}-{digest[:6]}"
    rows = []
    for number, line in enumerate(sorted(lines, key=lambda x: (x.part_id, x.supplier_sku)), 1):
        price = money(line.unit_price)
        rows.append({"po_id": po_id, "line": number, "part_id": line.part_id,
                     "supplier_sku": line.supplier_sku, "quantity": int(line.quantity),
                     "unit_price": price, "line_total": money(price * int(line.quantity)),
                     "reason": line.reason})
    total = sum((r["line_total"] for r in rows), Decimal("0.00"))
    with store.connect() as connection:
        store.ensure_tables(connection, LEDGER)
        store.insert(connection, ORDERS, [{
            "po_id": po_id, "supplier_id": supplier_id, "state": "proposed",
            "content_hash": digest, "currency": currency, "total": total, "created_at": now,
            "updated_at": now}])
        store.insert(connection, LINES, rows)
        store.insert(connection, EVENTS, [{"po_id": po_id, "state": "proposed",
                                           "happened_at": now, "actor": actor,
                                           "reason": reason}])
    return po_id


def transition(store: Warehouse, po_id: str, to_state: str, actor: str, reason: str,
               now: datetime, record: tuple[str, list[dict]] | None = None,
               line_updates: dict[str, dict] | None = None, **changes) -> str:
    """Move one PO to `to_state` in one transaction; returns the state it left. `record`
    (table, rows) is appended and `line_updates` (supplier SKU -> column values) are applied
    in the same transaction; extra keyword arguments update columns of the PO (say, the order
    system's `order_number`)."""
    with store.connect() as connection:
        store.ensure_tables(connection, LEDGER + ([record[0]] if record else []))
        lock = " for update" if store.dsn else ""
        found = store.execute(connection, f"select state from {ORDERS} where po_id = ?{lock}",
                              [po_id]).fetchall()
        if not found:
            raise IllegalTransition(f"{po_id}: no such purchase order")
        current = found[0][0]
        if to_state not in TRANSITIONS.get(current, set()):
            raise IllegalTransition(f"{po_id} is {current}: it cannot become {to_state}")
        assignments = ", ".join(f"{column} = ?" for column in ["state", "updated_at", *changes])
        store.execute(connection, f"update {ORDERS} set {assignments} where po_id = ?",
                      [to_state, now, *changes.values(), po_id])
        store.insert(connection, EVENTS, [{"po_id": po_id, "state": to_state,
                                           "happened_at": now, "actor": actor,
                                           "reason": reason}])
        for sku, values in (line_updates or {}).items():
            assignments = ", ".join(f"{column} = ?" for column in values)
            store.execute(connection, f"update {LINES} set {assignments} "
                                      "where po_id = ? and supplier_sku = ?",
                          [*values.values(), po_id, sku])
        if record:
            store.insert(connection, *record)
    return current


def orders(store: Warehouse, states: Sequence[str] | None = None):
    """The POs (a frame), newest first, optionally only those in `states`."""
    if not store.table_exists(ORDERS):
        import pandas as pd

        return pd.DataFrame(columns=[name for name, _ in _columns(ORDERS)])
    where = f"where state in ({', '.join('?' for _ in states)})" if states else ""
    return store.read(f"select * from {ORDERS} {where} order by created_at desc, po_id",
                      list(states or []))


def lines_of(store: Warehouse, po_id: str):
    return store.read(f"select * from {LINES} where po_id = ? order by line", [po_id])


def events_of(store: Warehouse, po_id: str):
    return store.read(f"select * from {EVENTS} where po_id = ? order by happened_at", [po_id])


def _columns(table: str):
    from supplier_pipeline.lib.tables import TABLES

    return TABLES[table]
