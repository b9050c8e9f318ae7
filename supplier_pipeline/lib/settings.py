"""Where the pipeline keeps its local files; read at call time, never at import."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Local state of the embedded default: warehouse file, shop inbox, PO outbox."""
    return Path(os.environ.get("SUPPLIER_PIPELINE_DATA_DIR", PROJECT_ROOT / ".data")).resolve()


def duckdb_path() -> Path:
    return Path(os.environ.get("WAREHOUSE_DUCKDB_PATH", data_dir() / "warehouse.duckdb"))


def shop_inbox() -> Path:
    """Where the repair/order system drops repair orders, stock levels and open POs."""
    return Path(os.environ.get("SHOP_INBOX_DIR", data_dir() / "shop_inbox"))


def po_outbox() -> Path:
    """Where purchase-order files are written for the order system to pick up."""
    return Path(os.environ.get("PO_OUTBOX_DIR", data_dir() / "po_outbox"))
