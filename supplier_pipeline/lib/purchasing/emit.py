"""Approved POs become files, exactly once.

The order is what makes it safe: files are written while the PO is `approved`, and the PO
becomes `sent` (with its line in `analytics.po_files`) in one transaction only afterwards. A
crash before that leaves it `approved`, and the next run writes the same files again, byte for
byte, under the same names; a `sent` PO is never written again. Two runs at once write the
same bytes, and only one of them marks the PO sent.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from supplier_pipeline.lib.purchasing import ledger
from supplier_pipeline.lib.purchasing.po_files import po_document, write_po_files
from supplier_pipeline.lib.warehouse import Warehouse

EMISSIONS = "analytics.po_files"


def _utc(value) -> datetime:
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


def approval_of(store: Warehouse, po_id: str) -> tuple[datetime, str]:
    events = ledger.events_of(store, po_id)
    approved = events[events["state"] == "approved"].iloc[-1]
    return _utc(approved["happened_at"]), approved["actor"]


def emit_approved(store: Warehouse, outbox: Path, supplier_names: dict[str, str],
                  now: datetime) -> list[dict]:
    """Write the files of every approved PO and mark it sent; what was emitted."""
    emitted = []
    for po in ledger.orders(store, ["approved"]).to_dict("records"):
        approved_at, approved_by = approval_of(store, po["po_id"])
        header = {**po, "created_at": _utc(po["created_at"]), "approved_at": approved_at,
                  "approved_by": approved_by}
        lines = ledger.lines_of(store, po["po_id"]).to_dict("records")
        document = po_document(header, supplier_names.get(po["supplier_id"], po["supplier_id"]),
                               lines)
        files = write_po_files(outbox, document)
        record = {"proposal_id": po["po_id"], "supplier_id": po["supplier_id"],
                  "content_hash": po["content_hash"], "csv_path": str(files.csv_path),
                  "json_path": str(files.json_path), "lines": len(lines), "emitted_at": now}
        try:
            ledger.transition(store, po["po_id"], "sent", "po_files",
                              f"written to {files.json_path.parent}", now,
                              record=(EMISSIONS, [record]))
        except ledger.IllegalTransition:
            # an overlapping run sent it first, with these same files: nothing to add
            continue
        emitted.append(record)
    return emitted
