"""How the replenishment policy would have done on the shop's own demand history."""

from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.resources import WarehouseResource

REPLAYED_WEEKS = 26
TARGETS = (0.95, 0.99)


@dg.asset(
    key=["analytics", "policy_backtest"],
    deps=[dg.AssetKey(["marts", "fct_part_demand_daily"]),
          dg.AssetKey(["marts", "mart_best_offer"])],
    group_name="analytics",
    kinds={"python", "pandas"},
    pool="warehouse",
)
def policy_backtest(context: dg.AssetExecutionContext,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The last 26 weeks of the shop's demand replayed week by week under the project's
    policy and its rivals (owner's rule, one supplier, moving average, perfect foresight):
    fill rate, stock, orders and spend at 95 % and 99 % targets."""
    # pandas and scipy are imported when the asset runs, not when the code location loads.
    import pandas as pd

    from supplier_pipeline.lib.purchasing.backtest import (
        market_from_offers,
        run_backtest,
        weekly_demand,
    )

    store = warehouse.get()
    history = store.read("select part_id as unique_id, demand_date as ds, "
                         "units_demanded as y from marts.fct_part_demand_daily")
    if history.empty:
        raise dg.Failure("fct_part_demand_daily is empty: ingest repair orders first")
    offers = store.read("select part_id, supplier_id, price_net, pack_size "
                        "from marts.mart_best_offer")
    suppliers = store.read("select supplier_id, shipping_fee, free_shipping_above "
                           "from raw.suppliers")
    today = datetime.now(UTC).date()
    # weeks end on the last whole day: today's demand is still coming in
    demand, ids = weekly_demand(history, pd.Timestamp(today))
    market, carried = market_from_offers(ids, offers, suppliers)
    demand = demand[carried]
    if demand.shape[1] <= REPLAYED_WEEKS + 13:
        raise dg.Failure(f"{demand.shape[1]} weeks of demand: the backtest needs more than "
                         f"{REPLAYED_WEEKS + 13} (a quarter of history before the replay)")
    table = run_backtest(demand, market, demand.shape[1] - REPLAYED_WEEKS, review=1,
                         freq="W", targets=TARGETS, refit_every=4)
    rows = table.reset_index().query("target != 'sweep'").assign(
        target=lambda f: f["target"].astype(float), measured_on=today)
    store.replace("analytics.policy_backtest", rows.to_dict("records"), {})
    project = rows.set_index(["target", "policy"])
    headline = {}
    for target in TARGETS:
        ours = project.loc[(target, "project @ equal fill"), "avg_units"]
        owner = project.loc[(target, "owner @ equal fill"), "avg_units"]
        headline[f"fill_rate_at_{target:.0%}"] = float(project.loc[(target, "project"),
                                                                   "fill_rate"])
        headline[f"stock_vs_owner_at_equal_fill_{target:.0%}"] = (
            float(ours / owner - 1) if owner > 0 else float("nan"))
    context.log.info(f"replayed {REPLAYED_WEEKS} weeks of {len(demand)} parts")
    return dg.MaterializeResult(metadata={
        "parts": len(demand), "weeks_replayed": REPLAYED_WEEKS,
        **{k.replace("%", "pct"): v for k, v in headline.items()},
        "table": dg.MetadataValue.md(rows.drop(columns="measured_on").to_markdown(
            index=False, floatfmt=".3f")),
    })
