"""Purchase-order files for the shop's order system: one CSV and one JSON per supplier and
proposal, written atomically (temporary file, then rename) so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

SCHEMA_URL = "https://supplier-pipeline.invalid/schemas/po-file-v1.json"
CSV_COLUMNS = ["line", "supplier_sku", "part_id", "quantity", "unit_price", "line_total",
               "currency", "reason"]


@dataclass(frozen=True)
class PoFiles:
    proposal_id: str
    content_hash: str
    csv_path: Path
    json_path: Path


def content_hash(supplier_id: str, lines: list[dict]) -> str:
    """Identifies what is ordered, not when: the same order is never emitted twice."""
    key = sorted((line["supplier_sku"], int(line["quantity"]), str(line["unit_price"]))
                 for line in lines)
    return hashlib.sha256(json.dumps([supplier_id, key]).encode()).hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_po_files(outbox: Path, supplier_id: str, supplier_name: str, lines: list[dict],
                   created_at: datetime, currency: str = "EUR") -> PoFiles:
    digest = content_hash(supplier_id, lines)
    proposal_id = f"PO-{supplier_id}-{created_at:%Y%m%dT%H%M}-{digest[:8]}"
    outbox.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, line in enumerate(sorted(lines, key=lambda x: x["part_id"]), start=1):
        price = Decimal(str(line["unit_price"])).quantize(Decimal("0.01"))
        rows.append({"line": number, "supplier_sku": line["supplier_sku"],
                     "part_id": line["part_id"], "quantity": int(line["quantity"]),
                     "unit_price": str(price),
                     "line_total": str((price * int(line["quantity"])).quantize(Decimal("0.01"))),
                     "currency": currency, "reason": line["reason"]})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    document = {
        "$schema": SCHEMA_URL, "proposal_id": proposal_id, "supplier_id": supplier_id,
        "supplier_name": supplier_name, "created_at": created_at.isoformat(),
        "currency": currency, "content_hash": digest,
        "total": str(sum((Decimal(r["line_total"]) for r in rows), Decimal("0.00"))),
        "lines": rows,
    }
    csv_path, json_path = outbox / f"{proposal_id}.csv", outbox / f"{proposal_id}.json"
    _atomic_write(csv_path, buffer.getvalue())
    # The JSON goes last: its presence tells the order system that both files are complete.
    _atomic_write(json_path, json.dumps(document, indent=2, ensure_ascii=False))
    return PoFiles(proposal_id, digest, csv_path, json_path)
