"""Forecasts of aggregated demand (all repairs, per brand) with Prophet, and pooling: the
per-part forecasts of a group (a brand, a device family) scaled to its aggregate forecast,
kept only where that beats the per-part forecasts in a backtest.

Aggregated series are dense, trending and seasonal (weekdays, the year), which is what
Prophet models well; single parts are intermittent, where it does not. Prophet is imported
when used: it is slow to import and only this module needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplier_pipeline.lib.forecasting.core import forecast, quantile_column, to_matrix

TOTAL = "all"


def prophet_forecast(series: pd.DataFrame, horizon: int, freq: str = "D",
                     quantiles: Sequence[float] = (0.1, 0.5, 0.9),
                     samples: int = 300) -> pd.DataFrame:
    """One dense series (`ds, y`) -> `ds, mean` and one column per quantile for the next
    `horizon` periods; never negative. Quantiles come from Prophet's predictive samples."""
    from prophet import Prophet

    logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
    days = (series["ds"].max() - series["ds"].min()).days
    model = Prophet(yearly_seasonality=days >= 730, weekly_seasonality=freq == "D",
                    daily_seasonality=False, uncertainty_samples=samples)
    model.fit(series[["ds", "y"]])
    future = model.make_future_dataframe(periods=horizon, freq=freq, include_history=False)
    draws = np.clip(model.predictive_samples(future)["yhat"], 0, None)
    out = pd.DataFrame({"ds": future["ds"], "mean": draws.mean(axis=1)})
    for q in quantiles:
        out[quantile_column(q)] = np.quantile(draws, q, axis=1)
    return out


def group_totals(history: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Long part history + part -> group -> long `group, ds, y` per group and for all parts,
    on a full calendar (a day with no repairs is a zero)."""
    y, ids, calendar = to_matrix(history, "D")
    labelled = pd.DataFrame(y, index=ids, columns=calendar)
    by_group = labelled.groupby(groups.reindex(ids).fillna("unknown").to_numpy()).sum()
    by_group.loc[TOTAL] = labelled.sum()
    return (by_group.rename_axis(index="group", columns="ds").stack().rename("y")
            .reset_index())


def reconcile(part_forecasts: pd.DataFrame, groups: pd.Series,
              group_forecasts: pd.DataFrame) -> pd.DataFrame:
    """Top-down: each part keeps its share of its group's per-part total, and the group's
    total becomes the aggregate forecast; a part's quantiles move with its mean (in whole
    units). Parts of groups without an aggregate forecast are unchanged."""
    out = part_forecasts.assign(group=part_forecasts["unique_id"].map(groups))
    sums = out.groupby(["group", "ds"])["mean"].transform("sum")
    target = out.merge(group_forecasts[["group", "ds", "mean"]].rename(
        columns={"mean": "group_mean"}), on=["group", "ds"], how="left")["group_mean"]
    ratio = np.where((sums > 0) & target.notna().to_numpy(),
                     target.to_numpy() / sums.replace(0, np.nan).to_numpy(), 1.0)
    ratio = np.nan_to_num(ratio, nan=1.0)
    out["mean"] = out["mean"] * ratio
    if "lead_time_rate" in out:
        out["lead_time_rate"] = np.where(out["mean"] > 0, out["mean"], out["lead_time_rate"])
    for column in [c for c in out.columns if c.startswith("q") and c[1:].isdigit()]:
        out[column] = np.floor(out[column] * ratio)
    return out.drop(columns="group")


@dataclass(frozen=True)
class PoolingVerdict:
    """Backtest mean absolute error of each part's demand over the held-out horizon (what a
    reorder point depends on), with per-part forecasts and after pooling."""

    use_pooling: bool
    per_part_error: float
    pooled_error: float


GroupForecaster = Callable[[pd.DataFrame, pd.Series, int], pd.DataFrame]


def pooling_backtest(history: pd.DataFrame, groups: pd.Series, horizon: int,
                     forecaster: GroupForecaster | None = None) -> PoolingVerdict:
    """Hold out the last `horizon` days: per-part forecasts as they are, or reconciled to
    forecasts of their group (`forecaster`, Prophet's `group_forecasts` by default). Pooling
    is used only when it is more accurate on the parts' horizon totals."""
    history = history.assign(ds=pd.to_datetime(history["ds"]))
    cut = history["ds"].max() - pd.Timedelta(days=horizon)
    train, test = history[history["ds"] <= cut], history[history["ds"] > cut]
    if train.empty or train["ds"].nunique() < 4 * horizon:
        return PoolingVerdict(False, float("nan"), float("nan"))
    per_part = forecast(train, horizon, "D", quantiles=[0.5])
    pooled = reconcile(per_part, groups, (forecaster or group_forecasts)(train, groups, horizon))
    actual = test.assign(y=test["y"].clip(lower=0)).groupby("unique_id")["y"].sum()

    def error(frame: pd.DataFrame) -> float:
        totals = frame.groupby("unique_id")["mean"].sum()
        return float((totals - actual.reindex(totals.index, fill_value=0)).abs().mean())

    per_part_error, pooled_error = error(per_part), error(pooled)
    return PoolingVerdict(pooled_error < per_part_error, per_part_error, pooled_error)


def best_pooling(history: pd.DataFrame,
                 levels: dict[str, tuple[pd.Series, GroupForecaster]], horizon: int
                 ) -> tuple[str | None, dict[str, PoolingVerdict]]:
    """Backtest pooling at every parent level (name -> part groups and their forecaster):
    the level whose pooled forecasts beat the per-part ones by the most, or None when none
    does, and every level's verdict."""
    verdicts = {name: pooling_backtest(history, groups, horizon, forecaster)
                for name, (groups, forecaster) in levels.items()}
    winners = [name for name, verdict in verdicts.items() if verdict.use_pooling]
    best = min(winners, key=lambda name: verdicts[name].pooled_error) if winners else None
    return best, verdicts


def group_forecasts(history: pd.DataFrame, groups: pd.Series, horizon: int,
                    quantiles: Sequence[float] = (0.1, 0.5, 0.9)) -> pd.DataFrame:
    """Prophet forecasts per group and for all parts together: `group, ds, mean, q..`."""
    totals = group_totals(history, groups)
    frames = [prophet_forecast(series, horizon, "D", quantiles).assign(group=name)
              for name, series in totals.groupby("group") if series["y"].sum() > 0]
    return pd.concat(frames, ignore_index=True)[["group", "ds", "mean",
                                                 *map(quantile_column, quantiles)]]


# Variant words after a model name: an iPhone 13 Pro Max is of the iPhone 13 family.
VARIANT_WORDS = {"pro", "max", "plus", "+", "mini", "ultra", "lite", "fe", "edge", "neo", "5g",
                 "4g"}


def device_family(model: str | None) -> str | None:
    """`iPhone 13 Pro Max` -> `iphone 13`, `Redmi Note 12 Pro+` -> `redmi note 12`: phones
    whose repairs rise and fall together (one launch, one age)."""
    if not model:
        return None
    words = model.lower().replace("+", " + ").split()
    while len(words) > 1 and words[-1] in VARIANT_WORDS:
        words.pop()
    return " ".join(words)


def family_forecasts(history: pd.DataFrame, groups: pd.Series, horizon: int) -> pd.DataFrame:
    """Daily demand per group (device family) forecast by the automatic choice, as
    `group, ds, mean`: family totals are denser than their parts but too many and too sparse
    for a Prophet fit each."""
    totals = group_totals(history, groups)
    totals = totals[totals["group"] != TOTAL].rename(columns={"group": "unique_id"})
    out = forecast(totals, horizon, "D", quantiles=[0.5])
    return out.rename(columns={"unique_id": "group"})[["group", "ds", "mean"]]
