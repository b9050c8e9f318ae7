"""Forecasting methods for intermittent demand, vectorised over many series at once.

Every method takes a 2-D array `y` (series x periods, oldest first, no gaps) and returns the
per-period forecast level of each series (a flat forecast, as these methods give).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Method = Callable[[np.ndarray], np.ndarray]


def naive(y: np.ndarray) -> np.ndarray:
    return y[:, -1].astype(float)


def moving_average(window: int) -> Method:
    def forecast(y: np.ndarray) -> np.ndarray:
        return y[:, -window:].mean(axis=1)

    forecast.__name__ = f"moving_average_{window}"
    return forecast


def ses_level(y: np.ndarray, alpha: float) -> np.ndarray:
    """Simple exponential smoothing level after the last period (starts at the first value)."""
    level = y[:, 0].astype(float)
    for column in np.ascontiguousarray(y[:, 1:].T, dtype=float):
        level += alpha * (column - level)
    return level


def ses(alpha: float = 0.1) -> Method:
    def forecast(y: np.ndarray) -> np.ndarray:
        return ses_level(y, alpha)

    forecast.__name__ = f"ses_{alpha}"
    return forecast


def croston(alpha: float = 0.1, debiased: bool = True) -> Method:
    """Croston's method: smoothed demand size over smoothed interval between demands.
    `debiased` applies the Syntetos-Boylan approximation (SBA), factor 1 - alpha / 2."""

    def forecast(y: np.ndarray) -> np.ndarray:
        n = len(y)
        size = np.full(n, np.nan)
        interval = np.full(n, np.nan)
        since = np.ones(n)
        # whole columns with np.where: boolean-indexed updates cost ten times more per period
        for column in np.ascontiguousarray(y.T, dtype=float):
            demand = column > 0
            first = demand & np.isnan(size)
            later = demand & ~first
            size = np.where(first, column, np.where(later, size + alpha * (column - size), size))
            interval = np.where(first, since, np.where(later, interval + alpha
                                                       * (since - interval), interval))
            since = np.where(demand, 1.0, since + 1)
        level = np.where(np.isnan(size), 0.0, size / np.where(np.isnan(interval), 1, interval))
        return level * (1 - alpha / 2) if debiased else level

    forecast.__name__ = "sba" if debiased else "croston"
    return forecast


def tsb(alpha: float = 0.1, beta: float = 0.1) -> Method:
    """Teunter-Syntetos-Babai: smoothed demand probability (updated every period, so the
    forecast decays when a part stops selling) times smoothed demand size."""

    def forecast(y: np.ndarray) -> np.ndarray:
        demand = y > 0
        probability = demand[:, 0].astype(float)
        first_size = np.argmax(demand, axis=1)
        size = np.where(demand.any(axis=1), y[np.arange(len(y)), first_size], 0.0).astype(float)
        for column, hit in zip(np.ascontiguousarray(y[:, 1:].T, dtype=float),
                               np.ascontiguousarray(demand[:, 1:].T), strict=True):
            probability += beta * (hit - probability)
            size = np.where(hit, size + alpha * (column - size), size)
        return probability * size

    forecast.__name__ = "tsb"
    return forecast


def adida(bucket: int, alpha: float = 0.1) -> Method:
    """Aggregate into non-overlapping buckets (aligned to the latest period), smooth, and
    spread the bucket forecast back over its periods."""

    def forecast(y: np.ndarray) -> np.ndarray:
        usable = (y.shape[1] // bucket) * bucket
        if usable == 0:
            return y.mean(axis=1)
        buckets = y[:, -usable:].reshape(len(y), -1, bucket).sum(axis=2)
        return ses_level(buckets, alpha) / bucket

    forecast.__name__ = f"adida_{bucket}"
    return forecast


def imapa(max_bucket: int = 12, alpha: float = 0.1) -> Method:
    """Average of ADIDA forecasts over every bucket size 1..max_bucket."""

    def forecast(y: np.ndarray) -> np.ndarray:
        # every bucket size's totals from one cumulative sum: summing the reshaped history
        # again for each of 56 daily bucket sizes was most of the global model's features' time
        periods = y.shape[1]
        cumulative = np.concatenate([np.zeros((len(y), 1)), np.cumsum(y, axis=1)], axis=1)
        levels = []
        for k in range(1, min(max_bucket, periods) + 1):
            buckets = np.diff(cumulative[:, periods - (periods // k) * k::k], axis=1)
            levels.append(ses_level(buckets, alpha) / k)
        return np.mean(levels, axis=0)

    forecast.__name__ = "imapa"
    return forecast


def combination(*methods: Method) -> Method:
    def forecast(y: np.ndarray) -> np.ndarray:
        return np.mean([m(y) for m in methods], axis=0)

    forecast.__name__ = "+".join(m.__name__ for m in methods)
    return forecast


def _interval_width(q: float) -> int | float:
    width = round(abs(2 * q - 1) * 100, 6)
    return int(width) if width.is_integer() else width


MIN_ETS_PERIODS = 8  # statsforecast's AutoETS cannot fit fewer (it raises below 7)


def auto_ets(y: np.ndarray, horizon: int, season: int, levels: list[float]
             ) -> tuple[np.ndarray, np.ndarray]:
    """AutoETS (statsforecast: error, trend and season chosen per series by AICc) with its own
    prediction intervals. Returns the mean (series x horizon) and quantiles
    (series x horizon x levels), never negative. Series too short to fit get their mean and
    an empty interval.

    It costs about 50 ms per series and is Gaussian, so the automatic choice does not try it
    on every part: on the carparts benchmark it scored RMSSE 0.620 and pinball 0.483 against
    the choice's 0.583 and 0.437. It is here for dense series and as the benchmark's peer."""
    from statsforecast.models import AutoETS  # numba: 4 s to import, so only when asked

    # the q-quantile is an end of the central interval of width |2q - 1|; statsforecast names
    # the ends after the width exactly as it was given
    width = {q: _interval_width(q) for q in levels if q != 0.5}
    mean = np.zeros((len(y), horizon))
    quantiles = np.zeros((len(y), horizon, len(levels)))
    for i, series in enumerate(np.asarray(y, dtype=float)):
        if len(series) < MIN_ETS_PERIODS or not series.any():
            mean[i] = series.mean() if len(series) else 0.0
            quantiles[i] = mean[i][:, None]
            continue
        model = AutoETS(season_length=season if len(series) >= 2 * season else 1)
        fitted = model.forecast(y=series, h=horizon, level=sorted(set(width.values())))
        mean[i] = fitted["mean"]
        for j, q in enumerate(levels):
            key = "mean" if q == 0.5 else f"{'hi' if q > 0.5 else 'lo'}-{width[q]}"
            quantiles[i, :, j] = fitted[key]
    quantiles = np.maximum.accumulate(np.maximum(quantiles, 0.0), axis=2)
    return np.maximum(mean, 0.0), quantiles
