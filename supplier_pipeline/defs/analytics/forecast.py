"""Demand forecast per part from the daily demand mart."""

from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.resources import WarehouseResource

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
    """Daily demand forecast per part for the next 8 weeks, with quantiles, by the automatic
    choice (local methods per demand class, or the global model where it wins the backtest:
    `method` = `global_gbm`). Demand per brand and in total is forecast with Prophet; the
    parts are pooled to their brand's or their device family's forecast only when a backtest
    says that is more accurate."""
    # pandas and scipy are imported when the asset runs, not when the code location loads.
    import pandas as pd

    from supplier_pipeline.lib.forecasting import forecast
    from supplier_pipeline.lib.forecasting.aggregate import (
        best_pooling,
        device_family,
        family_forecasts,
        group_forecasts,
        reconcile,
    )
    from supplier_pipeline.lib.forecasting.core import DEFAULT_QUANTILES
    from supplier_pipeline.lib.forecasting.plot import forecast_plot_png, markdown_image

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
    parts = store.read("select part_id, brand, device_model from marts.dim_parts"
                       ).set_index("part_id")
    brands, families = parts["brand"], parts["device_model"].map(device_family)
    aggregates = group_forecasts(history, brands, HORIZON_DAYS)
    # Parent levels tried for pooling: the brand (Prophet) and the device family.
    levels = {"brand": (brands, group_forecasts), "device family": (families, family_forecasts)}
    best, verdicts = best_pooling(history, levels, HORIZON_DAYS)
    if best:
        groups, forecaster = levels[best]
        predictions = reconcile(predictions, groups, forecaster(history, groups, HORIZON_DAYS))
    store.replace("analytics.aggregate_forecast",
                  aggregates.rename(columns={"group": "group_name"})
                  .assign(ds=lambda f: f["ds"].dt.date, forecast_date=today).to_dict("records"),
                  {"forecast_date": today})
    rows = predictions.rename(columns={"unique_id": "part_id", "class": "demand_class"}).assign(
        ds=lambda f: f["ds"].dt.date, forecast_date=today)
    # Each day's forecast is kept, so that forecast_accuracy can compare it with what happened.
    store.replace("analytics.part_forecast", rows.to_dict("records"), {"forecast_date": today})
    weekly = (rows.groupby("part_id")["mean"].sum() / (HORIZON_DAYS / 7)).sort_values()
    top = weekly.tail(10).iloc[::-1]
    table = "\n".join(["| part | units / week |", "|---|---|"]
                      + [f"| {part} | {value:.2f} |" for part, value in top.items()])
    context.log.info(f"forecast {rows['part_id'].nunique()} parts, {negative} negative inputs")
    return dg.MaterializeResult(metadata={
        "parts": int(rows["part_id"].nunique()), "horizon_days": HORIZON_DAYS,
        "negative_inputs_clipped": negative,
        "pooling": f"{best}, then top-down" if best else "per part",
        "backtest_error_per_part": verdicts["brand"].per_part_error,
        "backtest_error_pooled": verdicts[best or "brand"].pooled_error,
        **{f"backtest_error_pooled_by_{name.replace(' ', '_')}": v.pooled_error
           for name, v in verdicts.items()},
        "methods": dg.MetadataValue.json(rows.drop_duplicates("part_id")["method"]
                                         .value_counts().to_dict()),
        "demand_classes": dg.MetadataValue.json(rows.drop_duplicates("part_id")["demand_class"]
                                                .value_counts().to_dict()),
        "top_parts": dg.MetadataValue.md(table),
        "plot": dg.MetadataValue.md(markdown_image(
            forecast_plot_png(history, rows, list(top.index[:5])), "top parts")),
    })


ACCURACY_SQL = """
with forecasts as (
    select part_id, ds, mean, q90, method, demand_class, forecast_date
    from analytics.part_forecast
    where forecast_date < ? and ds < ?
), actuals as (
    select part_id, demand_date as ds, units_demanded as y from marts.fct_part_demand_daily
)
select forecasts.*, coalesce(actuals.y, 0) as y
from forecasts
left join actuals on forecasts.part_id = actuals.part_id and forecasts.ds = actuals.ds
"""


@dg.asset(
    key=["analytics", "forecast_accuracy"],
    deps=[part_demand_forecast, dg.AssetKey(["marts", "fct_part_demand_daily"])],
    group_name="analytics",
    kinds={"python", "pandas"},
    pool="warehouse",
)
def forecast_accuracy(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """How past forecasts compared with the demand that followed, per method and class."""
    from supplier_pipeline.lib.forecasting.accuracy import summarise_accuracy

    store = warehouse.get()
    today = datetime.now(UTC).date()
    compared = store.read(ACCURACY_SQL, [today, today])
    if compared.empty:
        store.replace("analytics.forecast_accuracy", [], {})
        return dg.MaterializeResult(metadata={"compared_days": 0,
                                              "note": "no past forecast has come due yet"})
    summary = summarise_accuracy(compared)
    store.replace("analytics.forecast_accuracy", summary.assign(measured_on=today)
                  .to_dict("records"), {})
    return dg.MaterializeResult(metadata={
        "compared_days": int(compared["ds"].nunique()),
        "q90_coverage": float((compared["y"] <= compared["q90"]).mean()),
        "bias_per_part_day": float((compared["mean"] - compared["y"]).mean()),
        "by_method": dg.MetadataValue.md(summary.to_markdown(index=False, floatfmt=".3f")),
    })
