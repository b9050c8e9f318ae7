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
    rounding_days: float = 14.0
    """A line may be rounded up (to a price break, towards free shipping) by at most this many
    days of forecast demand, and only when it lowers the total."""
    budget_per_run: float | None = None
    """Most this run may propose (goods + shipping); lines beyond it wait, most urgent first."""
    budget_per_week: float | None = None
    """Most the POs of one week (Monday on) may cost, counting those already approved."""
    time_limit_seconds: float = 10.0
    """How long the basket optimiser may search before the best basket found is used."""


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
          dg.AssetKey(["marts", "mart_offer_terms"]),
          dg.AssetKey(["marts", "mart_inventory_position"])],
    group_name="purchasing",
    kinds={"python"},
    pool="warehouse",
)
def purchase_proposals(context: dg.AssetExecutionContext, config: ProposalConfig,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    """What to order now, per part and supplier: the policy's quantities placed in the
    cheapest baskets across suppliers (price breaks, packs, stock shown, shipping thresholds,
    minimum order values), within the budget, each line with the calculation behind it."""
    # pandas and scipy are imported when the asset runs, not when the code location loads.
    from supplier_pipeline.lib.purchasing.proposals import (
        ProposalSettings,
        budget_for_run,
        build_proposals,
    )

    store = warehouse.get()
    demand = store.read(DEMAND_SQL)
    positions = store.read("select * from marts.mart_inventory_position").merge(
        demand, on="part_id", how="left").fillna({"mean_daily_demand": 0.0,
                                                  "demand_dispersion": 1.0,
                                                  "lead_time_rate": 0.0})
    terms = store.read("select * from marts.mart_offer_terms")
    now = datetime.now(UTC)
    budget = budget_for_run(store, config.budget_per_run, config.budget_per_week, now)
    settings = ProposalSettings(config.service_level, config.review_days, config.rounding_days,
                                budget, config.time_limit_seconds)
    proposal = build_proposals(positions, terms, settings)
    lines = proposal.lines
    for line in lines:
        line["proposed_at"] = now
        line["line_total"] = round(line["unit_price"] * line["quantity"], 2)
    store.replace("analytics.purchase_proposals", lines, {})
    basket = proposal.basket
    return dg.MaterializeResult(metadata={
        "lines": len(lines), "parts_checked": len(positions),
        "total": round(basket.total, 2) if basket else 0.0,
        "optimiser": f"{basket.method}, gap {basket.gap:.2%}" if basket else "nothing to order",
        "baskets": dg.MetadataValue.md(_baskets_table(proposal)),
        "budget": "none" if settings.budget is None else round(settings.budget, 2),
        "deferred_by_budget": dg.MetadataValue.md(_rows_table(proposal.deferred) or "none"),
        "parts_without_eligible_offer": dg.MetadataValue.md(
            "\n".join(f"- {part}: {why}" for part, why in sorted(proposal.no_offer.items()))
            or "none"),
        "short": dg.MetadataValue.json(basket.short if basket else {}),
    })


def _baskets_table(proposal) -> str:
    """One row per supplier basket: lines, goods, shipping, total."""
    basket = proposal.basket
    if basket is None or not basket.lines:
        return "nothing to order"
    rows = ["| supplier | lines | goods | shipping | total |", "|---|---:|---:|---:|---:|"]
    for supplier in sorted(basket.goods):
        count = sum(line.supplier_id == supplier for line in basket.lines)
        goods, ship = basket.goods[supplier], basket.shipping.get(supplier, 0.0)
        rows.append(f"| {supplier} | {count} | {goods:.2f} | {ship:.2f} | {goods + ship:.2f} |")
    return "\n".join(rows)


def _rows_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    names = list(rows[0])
    return "\n".join(["| " + " | ".join(names) + " |", "|" + "---|" * len(names),
                      *("| " + " | ".join(str(r[n]) for n in names) + " |" for r in rows)])


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
