"""The demo shop's order system answering the POs it picks up from the outbox: it books each
one with the supplier (an acknowledgement with its own order number, sometimes fewer units
than asked), then books what arrives (goods received, sometimes short, sometimes at another
price), each demo supplier in its own way, so `make demo` shows the whole loop. The demo
cannot wait for a courier: everything is booked at the moment it answers."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from supplier_pipeline.demo.shop_history import _write


@dataclass(frozen=True)
class Habits:
    short_confirm: float  # share of lines confirmed with fewer units than ordered
    short_delivery: float  # share of lines that arrive short of what was confirmed
    price_drift: float  # invoiced price = quoted x (1 + this) on some lines


HABITS = {"ricambi_italia": Habits(0.0, 0.05, 0.0),
          "teile_feed": Habits(0.15, 0.2, 0.03),
          "fixparts_js": Habits(0.05, 0.1, 0.0)}
DEFAULT = Habits(0.1, 0.1, 0.0)


def answer(outbox: Path, inbox: Path, now: datetime) -> dict[str, int]:
    """Acknowledge and receive every PO file in the outbox; writes the two answer files."""
    acks, receipts = [], []
    for path in sorted(outbox.glob("PO-*.json")):
        po = json.loads(path.read_text(encoding="utf-8"))
        habits = HABITS.get(po["supplier_id"], DEFAULT)
        rng = np.random.default_rng(zlib.crc32(po["po_id"].encode()))
        number = f"OS-{zlib.crc32(po['po_id'].encode()) % 100000:05d}"
        for line in po["lines"]:
            ordered = int(line["quantity"])
            confirmed = ordered - 1 if ordered > 1 and rng.random() < habits.short_confirm \
                else ordered
            acks.append([po["po_id"], line["supplier_sku"], number, "accepted", confirmed,
                         line["unit_price"], now.isoformat()])
            arrived = confirmed - 1 if confirmed > 1 and rng.random() < habits.short_delivery \
                else confirmed
            price = Decimal(line["unit_price"])
            if rng.random() < 0.3:
                price = (price * Decimal(str(1 + habits.price_drift))).quantize(Decimal("0.01"))
            receipts.append([po["po_id"], line["supplier_sku"], arrived, now.isoformat(),
                             str(price)])
    _write(inbox / "po_acknowledgements.csv",
           ["po_id", "supplier_sku", "order_number", "status", "confirmed_quantity",
            "confirmed_price", "acknowledged_at"], acks)
    _write(inbox / "goods_received.csv",
           ["po_id", "supplier_sku", "quantity", "received_at", "invoiced_price"], receipts)
    return {"po_acknowledgements.csv": len(acks), "goods_received.csv": len(receipts)}
