"""What the order system sends back moves the ledger on: acknowledgements (accepted or
rejected, with its own order number and the confirmed quantities and prices) and goods
received. Both exports are whole files read again on every delivery, so applying them is
idempotent: a PO moves only when what they say about it changed."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from supplier_pipeline.lib.purchasing import ledger
from supplier_pipeline.lib.warehouse import Warehouse

ACTOR = "order system"


def apply_acknowledgements(store: Warehouse, acks: pd.DataFrame, now: datetime) -> list[str]:
    states = dict(ledger.orders(store)[["po_id", "state"]].itertuples(index=False))
    done = []
    for po_id, rows in acks.groupby("po_id"):
        state = states.get(po_id)
        if state is None:
            done.append(f"{po_id}: unknown PO, acknowledgement ignored")
            continue
        if state != "sent":
            continue  # already acknowledged (or further): the file is read again each time
        number = str(rows["order_number"].dropna().iloc[0]) if rows["order_number"].notna().any() \
            else None
        if (rows["status"] == "rejected").all():
            ledger.transition(store, po_id, "rejected", ACTOR,
                              f"rejected by the order system (order {number})", now,
                              order_number=number)
            done.append(f"{po_id}: rejected")
            continue
        updates = {row.supplier_sku: {
            "confirmed_quantity": 0 if row.status == "rejected" else _int(row.confirmed_quantity),
            "confirmed_price": None if pd.isna(row.confirmed_price) else row.confirmed_price}
            for row in rows.itertuples(index=False)}
        ledger.transition(store, po_id, "acknowledged", ACTOR, f"order {number}", now,
                          line_updates=updates, order_number=number)
        done.append(f"{po_id}: acknowledged as order {number}")
    return done


def apply_receipts(store: Warehouse, receipts: pd.DataFrame, now: datetime) -> list[str]:
    states = dict(ledger.orders(store)[["po_id", "state"]].itertuples(index=False))
    received = receipts.groupby(["po_id", "supplier_sku"])["quantity"].sum()
    done = []
    for po_id in received.index.get_level_values(0).unique():
        state = states.get(po_id)
        if state is None:
            done.append(f"{po_id}: unknown PO, receipt ignored")
            continue
        if state not in ("sent", "acknowledged", "partly_received"):
            continue
        lines = ledger.lines_of(store, po_id)
        totals = received.loc[po_id]
        arrived = pd.to_numeric(lines["received_quantity"]).fillna(0)
        before = dict(zip(lines["supplier_sku"], arrived, strict=True))
        if all(int(totals.get(sku, 0)) == int(qty) for sku, qty in before.items()):
            continue
        expected = pd.to_numeric(lines["confirmed_quantity"]).fillna(lines["quantity"])
        got = pd.Series([int(totals.get(sku, 0)) for sku in lines["supplier_sku"]],
                        index=lines.index)
        complete = bool((got >= expected).all())
        ledger.transition(
            store, po_id, "received" if complete else "partly_received", ACTOR,
            f"received {int(got.sum())} of {int(expected.sum())} units", now,
            line_updates={sku: {"received_quantity": int(totals.get(sku, 0))}
                          for sku in lines["supplier_sku"]})
        done.append(f"{po_id}: {'received' if complete else 'partly received'}")
    return done


def _int(value) -> int | None:
    return None if pd.isna(value) else int(value)
