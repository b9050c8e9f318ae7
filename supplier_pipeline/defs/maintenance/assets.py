"""Retention of raw observations: old repeats compacted, as lib/retention.py explains."""

import dagster as dg

from supplier_pipeline.defs.resources import WarehouseResource


@dg.asset(
    key=["maintenance", "raw_retention"],
    deps=[dg.AssetKey(["raw", "supplier_offers"]), dg.AssetKey(["raw", "supplier_catalog"])],
    group_name="maintenance",
    kinds={"python"},
    pool="warehouse",
)
def raw_retention(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Raw observations older than RAW_RETENTION_DAYS that repeat their offer's, removed."""
    from supplier_pipeline.lib.retention import (
        RETENTION_VARIABLE,
        compact_raw,
        retention_days,
        warehouse_bytes,
    )

    days = retention_days()
    store = warehouse.get()
    size_before = warehouse_bytes(store)
    tables = compact_raw(store, days) if days is not None else []
    return dg.MaterializeResult(metadata={
        "retention_days": days if days is not None else f"{RETENTION_VARIABLE} unset: kept all",
        **{f"removed {t.table}": t.removed for t in tables},
        **{f"rows before {t.table}": t.rows_before for t in tables},
        "size_before": dg.MetadataValue.int(size_before),
        "size_after": dg.MetadataValue.int(warehouse_bytes(store)),
    })
