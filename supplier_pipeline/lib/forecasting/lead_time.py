"""Demand over a lead time: its distribution, not one number.

Spare-part demand is overdispersed: a part that sells 0.5 a week on average sells 0 most weeks
and 3 in some. Summing independent Poisson periods (variance = mean) understates the spread, so
a reorder point set from it runs out more often than the service level says. Here the total
over `periods` is negative binomial with the forecast mean and each series' own
variance-to-mean ratio (its dispersion, at least 1), measured on its recent history. The
quantiles are whole units and never negative.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import nbinom, poisson

POISSON_LIKE = 1.05  # below this dispersion the difference from Poisson is noise


def dispersion(y: np.ndarray, recent: int) -> np.ndarray:
    """Variance-to-mean ratio of each series' last `recent` periods (1 = Poisson)."""
    window = y[:, -recent:] if recent else y
    mean = window.mean(axis=1)
    variance = window.var(axis=1, ddof=1) if window.shape[1] > 1 else np.zeros(len(y))
    ratio = np.divide(variance, mean, out=np.ones(len(y)), where=mean > 0)
    return np.maximum(ratio, 1.0)


def lead_time_quantiles(mean_per_period: np.ndarray, periods: float, dispersion: np.ndarray,
                        levels: list[float]) -> np.ndarray:
    """Quantiles (series x levels) of total demand over `periods` periods."""
    mu = np.maximum(np.asarray(mean_per_period, dtype=float), 0.0) * max(periods, 0.0)
    phi = np.maximum(np.asarray(dispersion, dtype=float), 1.0)
    q = np.asarray(levels, dtype=float)[None, :]
    out = poisson.ppf(q, mu[:, None])
    spread = (phi > POISSON_LIKE) & (mu > 0)
    if spread.any():
        # mean mu and variance phi * mu: p = 1 / phi, n = mu / (phi - 1)
        p = 1.0 / phi[spread]
        n = mu[spread] / (phi[spread] - 1.0)
        out[spread] = nbinom.ppf(q, n[:, None], p[:, None])
    return np.nan_to_num(out, nan=0.0).astype(int)

