"""Demand forecast per part from the daily demand mart."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from supplier_pipeline.defs.resources import WarehouseResource
from supplier_pipeline.lib.forecasting import forecast
from supplier_pipeline.lib.forecasting.core import DEFAULT_QUANTILES

HORIZON_DAYS = 56


@dg.asset(
    key=["analytics", "part_demand_forecast"],
    deps=[dg.AssetKey(["marts", "fct_part_demand_daily"]), dg.AssetKey(["marts", "dim_parts"])],
    group_name="analytics",
    kinds={"python", "pandas"},
    pool="warehouse",
)
def part_demand_forecast(context: dg.AssetExecutionContext,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Daily demand forecast per part for the next 8 weeks, with quantiles."""
    store = warehouse.get()
    history = store.read("select part_id as unique_id, demand_date as ds, "
                         "units_demanded as y from marts.fct_part_demand_daily")
    if history.empty:
        raise dg.Failure("fct_part_demand_daily is empty: ingest repair orders first")
    history["ds"] = pd.to_datetime(history["ds"])
    history["y"] = history["y"].astype(float)
    negative = int((history["y"] < 0).sum())
    predictions = forecast(history, HORIZON_DAYS, "D", DEFAULT_QUANTILES, with_details=True)
    today = datetime.now(UTC).date()
    rows = predictions.rename(columns={"unique_id": "part_id", "class": "demand_class"}).assign(
        ds=lambda f: f["ds"].dt.date, forecast_date=today)
    store.replace("analytics.part_forecast", rows.to_dict("records"), {})
    weekly = (rows.groupby("part_id")["mean"].sum() / (HORIZON_DAYS / 7)).sort_values()
    top = weekly.tail(10).iloc[::-1]
    table = "\n".join(["| part | units / week |", "|---|---|"]
                      + [f"| {part} | {value:.2f} |" for part, value in top.items()])
    context.log.info(f"forecast {rows['part_id'].nunique()} parts, {negative} negative inputs")
    return dg.MaterializeResult(metadata={
        "parts": int(rows["part_id"].nunique()), "horizon_days": HORIZON_DAYS,
        "negative_inputs_clipped": negative,
        "methods": dg.MetadataValue.json(rows.drop_duplicates("part_id")["method"]
                                         .value_counts().to_dict()),
        "demand_classes": dg.MetadataValue.json(rows.drop_duplicates("part_id")["demand_class"]
                                                .value_counts().to_dict()),
        "top_parts": dg.MetadataValue.md(table),
    })
