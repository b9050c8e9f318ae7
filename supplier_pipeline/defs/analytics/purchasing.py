"""Purchase proposals from a min/max policy, and the PO files for the shop's order system."""

from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.resources import FoldersResource, WarehouseResource
from supplier_pipeline.lib.purchasing.po_files import content_hash, write_po_files


class ProposalConfig(dg.Config):
    service_level: float = 0.95
    """Probability of not running out during the supplier's lead time."""
    review_days: int = 7
    """Days of demand an order covers beyond the lead time."""


POSITION_SQL = """
with demand as (
    select part_id, avg(mean) as mean_daily_demand, max(dispersion) as demand_dispersion,
           avg(coalesce(lead_time_rate, mean)) as lead_time_rate
    from analytics.part_forecast
    where forecast_date = (select max(forecast_date) from analytics.part_forecast)
    group by part_id
), on_order as (
    select part_id, sum(quantity) as on_order
    from staging.stg_shop__open_purchase_orders group by part_id
), reserved as (
    select part_id, sum(quantity) as reserved
    from staging.stg_shop__repair_orders
    where status = 'waiting_parts' and part_id is not null group by part_id
)
select parts.part_id,
       coalesce(demand.mean_daily_demand, 0) as mean_daily_demand,
       coalesce(demand.demand_dispersion, 1) as demand_dispersion,
       coalesce(demand.lead_time_rate, 0) as lead_time_rate,
       coalesce(stock.on_hand, 0) as on_hand,
       coalesce(on_order.on_order, 0) as on_order,
       coalesce(reserved.reserved, 0) as reserved
from marts.dim_parts as parts
left join demand on parts.part_id = demand.part_id
left join staging.stg_shop__stock_on_hand as stock on parts.part_id = stock.part_id
left join on_order on parts.part_id = on_order.part_id
left join reserved on parts.part_id = reserved.part_id
"""


@dg.asset(
    key=["analytics", "purchase_proposals"],
    deps=[dg.AssetKey(["analytics", "part_demand_forecast"]),
          dg.AssetKey(["marts", "mart_best_offer"]),
          dg.AssetKey(["staging", "stg_shop__stock_on_hand"]),
          dg.AssetKey(["staging", "stg_shop__open_purchase_orders"])],
    group_name="purchasing",
    kinds={"python"},
    pool="warehouse",
)
def purchase_proposals(context: dg.AssetExecutionContext, config: ProposalConfig,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    """What to order now, per part and supplier, with the calculation behind each line."""
    # pandas and scipy are imported when the asset runs, not when the code location loads.
    import pandas as pd

    from supplier_pipeline.lib.purchasing.proposals import build_proposals

    store = warehouse.get()
    positions = store.read(POSITION_SQL)
    offers = store.read("select * from marts.mart_best_offer where is_best_offer")
    lines = build_proposals(positions, offers, config.service_level, config.review_days)
    now = datetime.now(UTC)
    for line in lines:
        line["proposed_at"] = now
        line["line_total"] = round(line["unit_price"] * line["quantity"], 2)
        line["proposal_id"] = None
    store.replace("analytics.purchase_proposals", lines, {})
    frame = pd.DataFrame(lines)
    by_supplier = (frame.groupby("supplier_id")["line_total"].agg(["count", "sum"])
                   if lines else pd.DataFrame())
    return dg.MaterializeResult(metadata={
        "lines": len(lines), "parts_checked": len(positions),
        "by_supplier": dg.MetadataValue.md(by_supplier.to_markdown() if lines else "none"),
    })


@dg.asset(
    key=["analytics", "po_files"],
    deps=[purchase_proposals],
    group_name="purchasing",
    kinds={"python", "csv", "json"},
    pool="warehouse",
)
def po_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
             folders: FoldersResource) -> dg.MaterializeResult:
    """One CSV and one JSON purchase-order file per supplier; an identical order is never
    emitted twice."""
    store = warehouse.get()
    lines = store.read("select * from analytics.purchase_proposals")
    names = dict(store.read("select supplier_id, supplier_name from raw.suppliers")
                 .itertuples(index=False))
    emitted = set()
    if store.table_exists("analytics.po_files"):
        emitted = set(store.read("select content_hash from analytics.po_files")["content_hash"])
    written, skipped, now = [], 0, datetime.now(UTC)
    outbox = folders.outbox()
    for supplier_id, group in lines.groupby("supplier_id"):
        records = group.to_dict("records")
        if content_hash(supplier_id, records) in emitted:
            skipped += 1
            continue
        files = write_po_files(outbox, supplier_id, names.get(supplier_id, supplier_id),
                               records, now)
        written.append({"proposal_id": files.proposal_id, "supplier_id": supplier_id,
                        "content_hash": files.content_hash, "csv_path": str(files.csv_path),
                        "json_path": str(files.json_path), "lines": len(records),
                        "emitted_at": now})
    store.append("analytics.po_files", written)
    return dg.MaterializeResult(metadata={
        "outbox": str(outbox), "files_written": 2 * len(written),
        "unchanged_orders_skipped": skipped,
        "proposals": ", ".join(w["proposal_id"] for w in written) or "none",
    })
