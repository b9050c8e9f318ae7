"""Forecast part demand and its distribution.

The method is a moving average of recent demand (zeros included), with Poisson quantiles,
which suits the slow, intermittent demand of most spare parts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import poisson

DEFAULT_QUANTILES = (0.5, 0.8, 0.9, 0.95, 0.99)
WINDOW = {"D": 56, "W": 12, "MS": 12, "M": 12}


def quantile_column(q: float) -> str:
    return f"q{round(q * 100):d}"


def fill_gaps(history: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Every series on the same regular calendar, missing periods as zero demand."""
    end = history["ds"].max()
    start = history["ds"].min()
    calendar = pd.date_range(start, end, freq=freq)
    ids = history["unique_id"].unique()
    full = pd.MultiIndex.from_product([ids, calendar], names=["unique_id", "ds"])
    summed = history.groupby(["unique_id", "ds"])["y"].sum()
    return summed.reindex(full, fill_value=0).reset_index()


def forecast(history: pd.DataFrame, horizon: int, freq: str = "D",
             quantiles: Sequence[float] = DEFAULT_QUANTILES) -> pd.DataFrame:
    """Long history (`unique_id, ds, y`) -> one row per `unique_id, ds` of the horizon with
    `mean` and one column per quantile (`q50`, `q90`, ...)."""
    if history.empty:
        columns = ["unique_id", "ds", "mean", *map(quantile_column, quantiles)]
        return pd.DataFrame(columns=columns)
    frame = history.assign(ds=pd.to_datetime(history["ds"]),
                           y=history["y"].clip(lower=0).astype(float))
    dense = fill_gaps(frame, freq)
    window = WINDOW.get(freq, 12)
    recent = dense.groupby("unique_id").tail(window)
    means = recent.groupby("unique_id")["y"].mean()
    last = dense["ds"].max()
    future = pd.date_range(last, periods=horizon + 1, freq=freq)[1:]
    out = pd.DataFrame({
        "unique_id": np.repeat(means.index.to_numpy(), horizon),
        "ds": np.tile(future.to_numpy(), len(means)),
        "mean": np.repeat(means.to_numpy(), horizon),
    })
    for q in quantiles:
        out[quantile_column(q)] = poisson.ppf(q, out["mean"].to_numpy()).astype(float)
    return out


def lead_time_demand_quantile(mean_per_period: float, periods: float, q: float) -> int:
    """The q-quantile of total demand over `periods` (sum of independent Poisson periods)."""
    return int(poisson.ppf(q, max(mean_per_period, 0.0) * max(periods, 0.0)))
