"""Retention of raw data: old repeats of observations compacted and old fetch-log windows
deleted, as lib/retention.py explains."""

import dagster as dg

from supplier_pipeline.defs.resources import WarehouseResource


@dg.asset(
    key=["maintenance", "raw_retention"],
    deps=[dg.AssetKey(["raw", "supplier_offers"]), dg.AssetKey(["raw", "supplier_catalog"]),
          dg.AssetKey(["raw", "fetch_log"])],
    group_name="maintenance",
    kinds={"python"},
    pool="warehouse",
)
def raw_retention(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Raw observations older than RAW_RETENTION_DAYS that repeat their offer's, and fetch-log
    windows older than FETCH_LOG_RETENTION_DAYS, removed."""
    from supplier_pipeline.lib.retention import (
        FETCH_LOG_VARIABLE,
        RETENTION_VARIABLE,
        compact_raw,
        fetch_log_days,
        prune_fetch_log,
        retention_days,
        warehouse_bytes,
    )

    days, log_days = retention_days(), fetch_log_days()
    store = warehouse.get()
    size_before = warehouse_bytes(store)
    tables = compact_raw(store, days) if days is not None else []
    tables += [prune_fetch_log(store, log_days)] if log_days is not None else []
    return dg.MaterializeResult(metadata={
        "retention_days": days if days is not None else f"{RETENTION_VARIABLE} unset: kept all",
        "fetch_log_retention_days": (log_days if log_days is not None
                                     else f"{FETCH_LOG_VARIABLE}=keep: kept all"),
        **{f"removed {t.table}": t.removed for t in tables},
        **{f"rows before {t.table}": t.rows_before for t in tables},
        "size_before": dg.MetadataValue.int(size_before),
        "size_after": dg.MetadataValue.int(warehouse_bytes(store)),
    })
