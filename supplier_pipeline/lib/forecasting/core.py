"""`forecast()`: the entry point for the pipeline, benchmarks and anyone else.

It puts every series on one regular calendar (missing periods are zero demand, negative
quantities such as returns count as zero), lets the backtest choose a method per demand class,
and returns the per-period mean and quantiles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from supplier_pipeline.lib.forecasting.auto import (
    Choice,
    backtest_choice,
    lead_time_rate,
    predict,
)
from supplier_pipeline.lib.forecasting.lead_time import lead_time_dispersion, lead_time_quantiles

DEFAULT_QUANTILES = (0.5, 0.8, 0.9, 0.95, 0.99)
DETAILS = ["method", "class", "lead_time_rate", "dispersion"]
SEASON = {"D": 56, "W": 13, "MS": 12, "M": 12, "ME": 12}


def quantile_column(q: float) -> str:
    return f"q{round(q * 100):d}"


def to_matrix(history: pd.DataFrame, freq: str) -> tuple[np.ndarray, pd.Index, pd.DatetimeIndex]:
    """Long `unique_id, ds, y` -> series x periods, on the calendar of all series together."""
    period = {"MS": "M", "ME": "M"}.get(freq, freq)
    frame = history.assign(ds=pd.to_datetime(history["ds"]).dt.to_period(period).dt.start_time,
                           y=pd.to_numeric(history["y"], errors="coerce").fillna(0).clip(lower=0))
    calendar = pd.date_range(frame["ds"].min(), frame["ds"].max(), freq=freq)
    table = frame.pivot_table(index="unique_id", columns="ds", values="y", aggfunc="sum",
                              fill_value=0).reindex(columns=calendar, fill_value=0)
    return table.to_numpy(dtype=float), table.index, calendar


def fit(y: np.ndarray, horizon: int, freq: str) -> Choice:
    return backtest_choice(y, min(horizon, max(y.shape[1] // 4, 1)), SEASON.get(freq, 12))


def forecast(history: pd.DataFrame, horizon: int, freq: str = "D",
             quantiles: Sequence[float] = DEFAULT_QUANTILES,
             with_details: bool = False) -> pd.DataFrame:
    """Long history (`unique_id, ds, y`) -> one row per `unique_id, ds` of the horizon with
    `mean` and one column per quantile (`q50`, `q90`, ...). With `with_details`, also the
    chosen `method`, the demand `class`, and what lead-time quantiles use: the
    `lead_time_rate` (the mean, or for a part forecast at zero the rate at which such parts
    sold again in the backtest) and the `dispersion` (variance-to-mean ratio: the series'
    own plus the forecast's error beyond it in the backtest)."""
    levels = sorted(quantiles)
    columns = ["unique_id", "ds", "mean", *map(quantile_column, levels)]
    if history.empty:
        return pd.DataFrame(columns=columns + (DETAILS if with_details else []))
    y, ids, calendar = to_matrix(history, freq)
    choice = fit(y, horizon, freq)
    level, q, names, classes = predict(y, choice, levels)
    future = pd.date_range(calendar[-1], periods=horizon + 1, freq=freq)[1:]
    out = pd.DataFrame({"unique_id": np.repeat(ids.to_numpy(), horizon),
                        "ds": np.tile(future.to_numpy(), len(ids)),
                        "mean": np.repeat(level, horizon)})
    for i, lvl in enumerate(levels):
        out[quantile_column(lvl)] = np.repeat(q[:, i], horizon)
    if with_details:
        out["method"] = np.repeat(names, horizon)
        out["class"] = np.repeat(classes, horizon)
        out["lead_time_rate"] = np.repeat(lead_time_rate(level, choice), horizon)
        out["dispersion"] = np.repeat(lead_time_dispersion(y, choice), horizon)
    return out


def lead_time_demand_quantile(mean_per_period: float, periods: float, q: float,
                              dispersion: float = 1.0) -> int:
    """The q-quantile of total demand over `periods`: Poisson when `dispersion` (the
    series' variance-to-mean ratio) is 1, negative binomial when it is above."""
    return int(lead_time_quantiles(np.array([mean_per_period]), periods,
                                   np.array([dispersion]), [q])[0, 0])
