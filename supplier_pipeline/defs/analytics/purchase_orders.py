"""The purchase-order ledger in Dagster: proposals become POs (approved automatically inside
each supplier's limits, otherwise waiting for a person), the order system's answers move them
on, and a person approves or rejects from the UI (`review_purchase_orders_job`) or the command
line (`supplier-pipeline po`)."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from supplier_pipeline.defs.resources import SuppliersResource, WarehouseResource

# The ledger's tables as dbt reads them (mart_inventory_position). The steps below write them;
# drawing those writes as edges would close a loop (position -> proposal -> ledger -> position).
WRITERS = "purchasing/purchase_orders, analytics/po_files and review_purchase_orders_job"
ledger_tables = [
    dg.AssetSpec(["ledger", "purchase_orders"], group_name="purchasing", kinds={"python"},
                 description=f"One row per PO and its current state (written by {WRITERS})."),
    dg.AssetSpec(["ledger", "purchase_order_lines"], group_name="purchasing", kinds={"python"},
                 description=f"One row per PO line (written by {WRITERS})."),
    dg.AssetSpec(["ledger", "purchase_order_events"], group_name="purchasing",
                 kinds={"python"},
                 description=f"Every state change of every PO, append-only (written by "
                             f"{WRITERS})."),
]


class PurchaseOrdersConfig(dg.Config):
    approval_expires_hours: int = 48
    """A proposed PO nobody approved within this many hours expires."""


def _waiting_table(waiting) -> str:
    if waiting.empty:
        return "none"
    rows = ["| po_id | supplier | total | proposed at |", "|---|---|---|---|"]
    rows += [f"| {r.po_id} | {r.supplier_id} | {float(r.total):.2f} | {r.created_at} |"
             for r in waiting.itertuples(index=False)]
    return "\n".join(rows)


@dg.asset(
    key=["purchasing", "purchase_orders"],
    deps=[dg.AssetKey(["analytics", "purchase_proposals"]),
          dg.AssetKey(["raw", "po_acknowledgements"]), dg.AssetKey(["raw", "goods_received"])],
    group_name="purchasing",
    kinds={"python"},
    pool="warehouse",
)
def purchase_orders(context: dg.AssetExecutionContext, config: PurchaseOrdersConfig,
                    suppliers: SuppliersResource,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """POs in the ledger: proposals recorded per supplier, approved within limits, expired,
    acknowledged and received as the order system reports."""
    from supplier_pipeline.lib.purchasing import ledger
    from supplier_pipeline.lib.purchasing.approval import (
        ApprovalRule,
        expire,
        recent_prices,
        sync_supplier,
        usual_quantities,
    )
    from supplier_pipeline.lib.purchasing.feedback import apply_acknowledgements, apply_receipts

    store = warehouse.get()
    with store.connect() as connection:  # before the order system's first answer
        store.ensure_tables(connection, ["raw.po_acknowledgements", "raw.goods_received",
                                         *ledger.LEDGER])
    now = datetime.now(UTC)
    actions = apply_acknowledgements(store, store.read("select * from raw.po_acknowledgements"),
                                     now)
    actions += apply_receipts(store, store.read("select * from raw.goods_received"), now)
    actions += [f"{po_id}: expired" for po_id in
                expire(store, timedelta(hours=config.approval_expires_hours), now)]
    proposals = store.read("select * from analytics.purchase_proposals")
    usual = usual_quantities(store)
    for supplier_id, terms in suppliers.all().items():
        rows = proposals[proposals["supplier_id"] == supplier_id]
        lines = [ledger.Line(r.part_id, r.supplier_sku, int(r.quantity),
                             ledger.money(r.unit_price), r.reason)
                 for r in rows.itertuples(index=False)]
        rule = ApprovalRule(terms.purchasing.auto_approve_up_to,
                            terms.purchasing.max_quantity_factor,
                            terms.purchasing.max_price_factor)
        recent = recent_prices(store, supplier_id, now - timedelta(days=30))
        actions.append(sync_supplier(store, supplier_id, lines, rule, usual, recent, now))
    for action in actions:
        context.log.info(action)
    waiting = ledger.orders(store, ["proposed"])
    return dg.MaterializeResult(metadata={
        "actions": dg.MetadataValue.md("\n".join(f"- {a}" for a in actions) or "none"),
        "waiting_for_approval": len(waiting),
        "waiting": dg.MetadataValue.md(_waiting_table(waiting)),
    })


class ReviewConfig(dg.Config):
    po_ids: list[str]
    """The POs to decide on (they must be waiting for approval)."""
    decision: str
    """approve or reject"""
    reviewer: str
    """Who decides (recorded in the PO's history)."""
    note: str = ""
    """Why (recorded in the PO's history)."""


@dg.op(pool="warehouse")
def review_purchase_orders(context: dg.OpExecutionContext, config: ReviewConfig,
                           warehouse: WarehouseResource):
    """Approve or reject POs waiting for approval; approved ones go out with the next
    po_files run."""
    from supplier_pipeline.lib.purchasing.approval import decide

    for line in decide(warehouse.get(), config.po_ids, config.decision, config.reviewer,
                       config.note, datetime.now(UTC)):
        context.log.info(line)
    yield dg.AssetMaterialization(["ledger", "purchase_order_events"], metadata={
        "decision": config.decision, "reviewer": config.reviewer,
        "po_ids": ", ".join(config.po_ids)})
    yield dg.Output(None)


@dg.job(description="Approve or reject purchase orders waiting for approval (typed config: "
                    "po_ids, decision, reviewer, note).")
def review_purchase_orders_job():
    review_purchase_orders()
