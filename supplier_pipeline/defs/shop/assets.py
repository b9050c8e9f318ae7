"""Ingest the shop's exports: parts, repair orders, stock on hand, open purchase orders."""

import json
from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.resources import FoldersResource, WarehouseResource
from supplier_pipeline.lib.shop.ingest import (
    OPTIONAL,
    SOURCES,
    ShopFileError,
    read_shop_file,
    refusal,
)
from supplier_pipeline.lib.warehouse import Slice


class ShopIngestConfig(dg.Config):
    accept_smaller_export: bool = False
    """Take an export with far fewer rows than the last accepted one (a person checked it)."""


def _ingest(source: str, config: ShopIngestConfig, folders: FoldersResource,
            warehouse: WarehouseResource, check_parts: bool) -> dg.MaterializeResult:
    filename, model = SOURCES[source]
    path = folders.inbox() / filename
    if source in OPTIONAL and not path.exists():
        return dg.MaterializeResult(metadata={"file": str(path), "rows": 0,
                                              "note": "not delivered yet"})
    store = warehouse.get()
    known = None
    if check_parts and store.table_exists("raw.shop_parts"):
        known = set(store.read("select part_id from raw.shop_parts")["part_id"])
    try:
        ingested = read_shop_file(path, model, known)
    except ShopFileError as exc:
        raise dg.Failure(str(exc)) from exc
    now = datetime.now(UTC)
    quarantine = [{"source": source, "file": str(path), "line": q["line"],
                   "record": json.dumps(q["record"], ensure_ascii=False), "reason": q["reason"],
                   "quarantined_at": now} for q in ingested.quarantined]
    previous = (int(store.read(f"select count(*) as n from raw.{source}")["n"].iloc[0])
                if store.table_exists(f"raw.{source}") else 0)
    refused = refusal(source, ingested, previous)
    if refused and not (config.accept_smaller_export and ingested.good):
        # the bad rows are kept with their reasons; the last accepted data stays in use
        store.replace("raw.shop_quarantine", quarantine, {"source": source})
        raise dg.Failure(f"{path}: {refused}; the previous data is kept. If the export is "
                         "right, re-run with accept_smaller_export: true.")
    store.replace_slices([Slice(f"raw.{source}", ingested.good, {}),
                          Slice("raw.shop_quarantine", quarantine, {"source": source})])
    reasons = "\n".join(f"- line {q['line']}: {q['reason']}" for q in ingested.quarantined[:20])
    return dg.MaterializeResult(metadata={
        "file": str(path), "encoding": ingested.encoding, "rows": len(ingested.good),
        "quarantined": len(quarantine),
        "quarantine_reasons": dg.MetadataValue.md(reasons or "none"),
    })


def _shop_asset(source: str, description: str, check_parts: bool) -> dg.AssetsDefinition:
    deps = [dg.AssetKey(["raw", "shop_parts"])] if check_parts else []

    @dg.asset(key=["raw", source], deps=deps, group_name="shop", kinds={"python", "csv"},
              description=description, pool="warehouse")
    def shop_asset(config: ShopIngestConfig, folders: FoldersResource,
                   warehouse: WarehouseResource):
        return _ingest(source, config, folders, warehouse, check_parts)

    return shop_asset


shop_parts = _shop_asset("shop_parts", "The parts the shop uses (its part master).", False)
repair_orders = _shop_asset(
    "repair_orders", "Repair orders from the shop's system; bad rows quarantined.", True)
stock_on_hand = _shop_asset("stock_on_hand", "Stock on hand per part, as last counted.", True)
open_purchase_orders = _shop_asset(
    "open_purchase_orders", "Purchase-order lines ordered but not yet delivered.", True)
po_acknowledgements = _shop_asset(
    "po_acknowledgements", "The order system's answers to our POs, per line.", False)
goods_received = _shop_asset(
    "goods_received", "Deliveries of our PO lines, as the order system booked them.", False)
