"""Demand over a lead time: its distribution, not one number.

Spare-part demand is overdispersed: a part that sells 0.5 a week on average sells 0 most weeks
and 3 in some. Summing independent Poisson periods (variance = mean) understates the spread, so
a reorder point set from it runs out more often than the service level says. Here the total
over `periods` is negative binomial with the forecast mean and a variance-to-mean ratio (the
dispersion, at least 1): each series' own, measured on its recent history, plus what the
forecast itself misses by (`auto.lead_time_dispersion`). The quantiles are whole units and
never negative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import nbinom, poisson

if TYPE_CHECKING:
    from supplier_pipeline.lib.forecasting.auto import Choice

POISSON_LIKE = 1.05  # below this dispersion the difference from Poisson is noise
# periods whose one-step errors measure the forecast's: a year of months, a quarter of weeks,
# every fifth day of eight weeks (each costs a run of the chosen methods on the history)
ERROR_ORIGINS = 12
TINY = 1e-300  # a probability that underflowed: kept finite so that sums of logs stay finite


def dispersion(y: np.ndarray, recent: int) -> np.ndarray:
    """Variance-to-mean ratio of each series' last `recent` periods (1 = Poisson)."""
    window = y[:, -recent:] if recent else y
    mean = window.mean(axis=1)
    variance = window.var(axis=1, ddof=1) if window.shape[1] > 1 else np.zeros(len(y))
    ratio = np.divide(variance, mean, out=np.ones(len(y)), where=mean > 0)
    return np.maximum(ratio, 1.0)


def lead_time_dispersion(y: np.ndarray, choice: Choice) -> np.ndarray:
    """The variance-to-mean ratio lead-time quantiles use: each series' own over its last two
    seasons plus what the forecast misses by beyond it (`forecast_error_dispersion`)."""
    return dispersion(y, 2 * choice.season) + forecast_error_dispersion(y, choice)


def forecast_error_dispersion(y: np.ndarray, choice: Choice) -> float:
    """How much more the chosen methods missed by, one period ahead at up to ERROR_ORIGINS
    periods spread over the last season, than each series' own dispersion explains: over those
    periods and all series, the sum of (demand - rate)^2 - dispersion x rate over the sum of
    rates, rate being the lead-time rate forecast from the periods before; at least 0.

    Real demand shifts level (a part starts to sell, a bulk order comes) and the forecast
    trails it, and a quick method's level is itself noisy: neither is in the demand's own
    variance-to-mean ratio (on carparts the one-step errors exceed it by 0.2 to 1.4). Pooled
    over all series, because one series' season of errors is too few to measure its own. The
    levels are the chosen local methods' (where the global model's level is used, it is not
    refitted period by period)."""
    from supplier_pipeline.lib.forecasting.auto import lead_time_rate, local_level

    first = max(y.shape[1] - choice.season, choice.season)  # a season to forecast from
    if first >= y.shape[1]:
        return 0.0
    excess = total = 0.0
    for cut in np.unique(np.linspace(first, y.shape[1] - 1, ERROR_ORIGINS).round().astype(int)):
        known = y[:, :cut]
        rate = lead_time_rate(local_level(known, choice)[0], choice)
        noise = dispersion(known, 2 * choice.season) * rate
        excess += float(((y[:, cut] - rate) ** 2).sum() - noise.sum())
        total += float(rate.sum())
    return max(excess / total, 0.0) if total > 0 else 0.0


def _totals(mean_per_period, periods, dispersion) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of the total over `periods` (a number or one per series), the dispersion, and
    which series are negative binomial rather than Poisson."""
    rate = np.maximum(np.asarray(mean_per_period, dtype=float), 0.0)
    mu = rate * np.maximum(np.asarray(periods, dtype=float), 0.0)
    phi = np.maximum(np.broadcast_to(np.asarray(dispersion, dtype=float), mu.shape), 1.0)
    return mu, phi, (phi > POISSON_LIKE) & (mu > 0)


def lead_time_quantiles(mean_per_period: np.ndarray, periods, dispersion: np.ndarray,
                        levels: list[float]) -> np.ndarray:
    """Quantiles (series x levels) of total demand over `periods` periods."""
    mu, phi, spread = _totals(mean_per_period, periods, dispersion)
    q = np.asarray(levels, dtype=float)[None, :]
    out = np.zeros((len(mu), q.shape[1]))
    out[~spread] = poisson.ppf(q, mu[~spread, None])
    if spread.any():
        # mean mu and variance phi * mu: p = 1 / phi, n = mu / (phi - 1)
        p = 1.0 / phi[spread]
        n = mu[spread] / (phi[spread] - 1.0)
        out[spread] = nbinom.ppf(q, n[:, None], p[:, None])
    return np.nan_to_num(out, nan=0.0).astype(int)


def expected_shortfall(mean_per_period: np.ndarray, periods, dispersion: np.ndarray,
                       stock: np.ndarray) -> np.ndarray:
    """E[(D - stock)+] per series, D the total demand over `periods`: the units a stock of
    `stock` is expected to leave unserved."""
    mu, phi, spread = _totals(mean_per_period, periods, dispersion)
    s = np.asarray(stock, dtype=float)
    # E[D; D > s] = mu P(D' >= s), D' the same law with one more "success" (n + 1) for the
    # negative binomial, the same law for Poisson.
    out = mu * poisson.sf(s - 1, mu) - s * poisson.sf(s, mu)
    if spread.any():
        p = 1.0 / phi[spread]
        n = mu[spread] / (phi[spread] - 1.0)
        out[spread] = (mu[spread] * nbinom.sf(s[spread] - 1, n + 1, p)
                       - s[spread] * nbinom.sf(s[spread], n, p))
    return np.maximum(np.nan_to_num(out, nan=0.0), 0.0)


class Tabulated:
    """Total demand over `periods` per series in whole units, tabulated between its `low` and
    `high` quantiles: any quantile in that range and the expected shortfall of any stock from
    one table, so that a search over quantiles calls scipy once, not at every step. The
    series' rows are of their own lengths, end to end in one array (a lumpy part's tail is a
    hundred times longer than a steady part's)."""

    def __init__(self, mean_per_period: np.ndarray, periods, dispersion: np.ndarray,
                 low: float, high: float):
        mu, phi, spread = _totals(mean_per_period, periods, dispersion)
        self.first, last = lead_time_quantiles(mean_per_period, periods, dispersion,
                                               [low, high]).T
        self.widths = last - self.first + 1
        self.starts = np.cumsum(self.widths) - self.widths
        series = np.repeat(np.arange(len(mu)), self.widths)
        units = np.arange(len(series)) - self.starts[series] + self.first[series]
        # pmf(j) = pmf(j - 1) (a + b (j - 1)) / j: Poisson a = mu, b = 0; negative binomial
        # (p = 1 / phi, n = mu / (phi - 1)) a = n (1 - p), b = 1 - p; multiplied as logs
        b = np.where(spread, 1 - 1 / phi, 0.0)
        a = np.where(spread, mu / np.where(spread, phi - 1, 1.0) * b, mu)
        head = self.starts
        with np.errstate(divide="ignore", invalid="ignore"):  # at the heads, replaced below
            steps = np.log((a[series] + b[series] * (units - 1)) / np.maximum(units, 1))
        steps[head] = np.log(np.maximum(_at(self.first, mu, phi, spread, "pmf"), TINY))
        pmf = np.exp(self._running(np.maximum(steps, np.log(TINY)), series))
        self.cdf = np.minimum(self._running(pmf, series) - pmf[head][series]
                              + _at(self.first, mu, phi, spread, "cdf")[series], 1.0)
        # E[(D - s)+] = E[(D - first)+] - the sum of P(D > j) for j from first to s - 1
        above = 1 - self.cdf
        self.shortfalls = np.maximum(expected_shortfall(
            mean_per_period, periods, dispersion, self.first)[series]
            - (self._running(above, series) - above), 0.0)

    def _running(self, values: np.ndarray, series: np.ndarray) -> np.ndarray:
        """Cumulative sums within each series' row."""
        total = np.cumsum(values)
        return total - (total[self.starts] - values[self.starts])[series]

    def quantile(self, q: float) -> np.ndarray:
        """Per series, the smallest whole number of units with P(D <= units) >= q."""
        below = np.add.reduceat((self.cdf < q).astype(int), self.starts)
        return self.first + np.minimum(below, self.widths - 1)

    def shortfall(self, stock: np.ndarray) -> np.ndarray:
        """Per series, E[(D - stock)+] (a stock beyond the table leaves what the table's last
        unit leaves: less than 1 - `high` of a unit more)."""
        return self.shortfalls[self.starts + np.clip(np.asarray(stock) - self.first, 0,
                                                     self.widths - 1)]


def _at(units, mu, phi, spread, what: str) -> np.ndarray:
    """Poisson's or the negative binomial's pmf or cdf at `units`, per series."""
    out = getattr(poisson, what)(units, mu)
    if spread.any():
        p = 1.0 / phi[spread]
        out[spread] = getattr(nbinom, what)(units[spread], mu[spread] / (phi[spread] - 1), p)
    return out
