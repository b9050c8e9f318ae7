"""Purchase proposals from a min/max policy, and the PO files for the shop's order system
(the ledger in between: defs/analytics/purchase_orders.py)."""

from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.resources import FoldersResource, WarehouseResource


class ProposalConfig(dg.Config):
    service_level: float = 0.95
    """Probability of not running out during the supplier's lead time."""
    review_days: int = 7
    """Days of demand an order covers beyond the lead time."""


# What each part is expected to need: the latest forecast (one table, summarised per part).
DEMAND_SQL = """
select part_id, avg(mean) as mean_daily_demand, max(dispersion) as demand_dispersion,
       avg(coalesce(lead_time_rate, mean)) as lead_time_rate
from analytics.part_forecast
where forecast_date = (select max(forecast_date) from analytics.part_forecast)
group by part_id
"""


@dg.asset(
    key=["analytics", "purchase_proposals"],
    deps=[dg.AssetKey(["analytics", "part_demand_forecast"]),
          dg.AssetKey(["marts", "mart_best_offer"]),
          dg.AssetKey(["marts", "mart_inventory_position"])],
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
    demand = store.read(DEMAND_SQL)
    positions = store.read("select * from marts.mart_inventory_position").merge(
        demand, on="part_id", how="left").fillna({"mean_daily_demand": 0.0,
                                                  "demand_dispersion": 1.0,
                                                  "lead_time_rate": 0.0})
    offers = store.read("select * from marts.mart_best_offer where is_best_offer")
    lines = build_proposals(positions, offers, config.service_level, config.review_days)
    now = datetime.now(UTC)
    for line in lines:
        line["proposed_at"] = now
        line["line_total"] = round(line["unit_price"] * line["quantity"], 2)
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
    deps=[dg.AssetKey(["purchasing", "purchase_orders"])],
    group_name="purchasing",
    kinds={"python", "csv", "json"},
    pool="warehouse",
)
def po_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
             folders: FoldersResource) -> dg.MaterializeResult:
    """One CSV and one JSON file per approved purchase order, named by its PO id; a PO is
    written once (a retry rewrites the same files) and then marked sent."""
    from supplier_pipeline.lib.purchasing.emit import emit_approved

    store = warehouse.get()
    names = dict(store.read("select supplier_id, supplier_name from raw.suppliers")
                 .itertuples(index=False))
    emitted = emit_approved(store, folders.outbox(), names, datetime.now(UTC))
    return dg.MaterializeResult(metadata={
        "outbox": str(folders.outbox()), "files_written": 2 * len(emitted),
        "sent": ", ".join(e["proposal_id"] for e in emitted) or "none",
    })
