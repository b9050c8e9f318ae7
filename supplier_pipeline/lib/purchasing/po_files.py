"""Purchase-order files for the shop's order system: `<po_id>.csv` and `<po_id>.json` per
approved PO, written atomically (temporary file, then rename) so a reader never sees half a
file, the JSON last. Their content comes only from the ledger, so writing them again after a
crash gives the same bytes under the same names: the order system sees one order, not two.
The JSON validates against `po-file-v1.schema.json`, which is copied beside the files.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("po-file-v1.schema.json")
CSV_COLUMNS = ["line", "supplier_sku", "part_id", "quantity", "unit_price", "line_total",
               "currency", "reason"]
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PoFiles:
    po_id: str
    csv_path: Path
    json_path: Path


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula, quoted so it stays text."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


def po_document(po: dict, supplier_name: str, lines: list[dict]) -> dict:
    """The JSON document of one PO (its content depends on the ledger only)."""
    rows = [{"line": int(line["line"]), "part_id": line["part_id"],
             "supplier_sku": line["supplier_sku"], "quantity": int(line["quantity"]),
             "unit_price": f"{line['unit_price']:.2f}", "line_total": f"{line['line_total']:.2f}",
             "reason": line["reason"] or ""}
            for line in sorted(lines, key=lambda x: int(x["line"]))]
    return {"$schema": SCHEMA_FILE.name, "po_id": po["po_id"], "supplier_id": po["supplier_id"],
            "supplier_name": supplier_name, "created_at": po["created_at"].isoformat(),
            "approved_at": po["approved_at"].isoformat(), "approved_by": po["approved_by"],
            "currency": po["currency"], "total": f"{po['total']:.2f}", "lines": rows}


def write_po_files(outbox: Path, document: dict) -> PoFiles:
    """Write (or rewrite, identically) the CSV and JSON of one PO document."""
    outbox.mkdir(parents=True, exist_ok=True)
    schema = outbox / SCHEMA_FILE.name
    if not schema.exists() or schema.read_bytes() != SCHEMA_FILE.read_bytes():
        _atomic_write(schema, SCHEMA_FILE.read_text(encoding="utf-8"))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for line in document["lines"]:
        writer.writerow({k: spreadsheet_safe(v) for k, v in
                         {**line, "currency": document["currency"]}.items()})
    po_id = document["po_id"]
    csv_path, json_path = outbox / f"{po_id}.csv", outbox / f"{po_id}.json"
    _atomic_write(csv_path, buffer.getvalue())
    # The JSON goes last: its presence tells the order system that both files are complete.
    _atomic_write(json_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return PoFiles(po_id, csv_path, json_path)
