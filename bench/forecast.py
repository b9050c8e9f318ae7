"""Forecasting benchmark on real intermittent demand (carparts: 2,509 complete monthly series,
the last 6 months held out), M5-style scaled errors, every method (statsforecast's AutoETS and
IMAPA as peers) and the automatic choice (with and without the global model, and with its
90 % quantiles unrounded), and the time to forecast 10,000 synthetic daily part series with
two years of history.

Run: `.venv/bin/python -m bench.forecast`
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import poisson

from supplier_pipeline.lib.forecasting import forecast, global_model
from supplier_pipeline.lib.forecasting import methods as m
from supplier_pipeline.lib.forecasting.auto import (
    backtest_choice,
    lead_time_rate,
    pinball,
    predict,
    weighted_quantile,
)
from supplier_pipeline.lib.forecasting.lead_time import dispersion, lead_time_quantiles

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "demand" / "carparts.csv"
HOLDOUT = 6


def load() -> np.ndarray:
    frame = pd.read_csv(DATA, index_col=0)
    return frame.loc[:, frame.notna().all()].to_numpy().T.astype(float)


def scores(train, test, level, q90) -> dict[str, float]:
    """`level` and `q90` per series (flat forecasts) or per series and period."""
    level, q90 = (np.broadcast_to(a[:, None] if a.ndim == 1 else a, test.shape)
                  for a in (level, q90))
    diffs = np.diff(train, axis=1)
    mae_scale, mse_scale = np.abs(diffs).mean(axis=1), (diffs ** 2).mean(axis=1)
    keep = mae_scale > 0  # series with zero scale are left out
    error = test - level
    loss = np.where(test >= q90, 0.9 * (test - q90), 0.1 * (q90 - test)).mean(axis=1)
    totals = level.sum(axis=1) - test.sum(axis=1)
    return {
        "MASE": (np.abs(error).mean(axis=1)[keep] / mae_scale[keep]).mean(),
        "RMSSE": np.sqrt((error ** 2).mean(axis=1)[keep] / mse_scale[keep]).mean(),
        "total MAE": np.abs(totals).mean(), "total bias": totals.mean(),
        "q90 cover": (test <= q90).mean(),
        "pinball90": (loss[keep] / mae_scale[keep]).mean(),
    }


def synthetic_daily(series: int, days: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rates = rng.gamma(0.6, 0.25, size=series)
    y = rng.poisson(rates[:, None], size=(series, days))
    dates = pd.date_range("2024-11-28", periods=days, freq="D")
    return pd.DataFrame({"unique_id": np.repeat(np.arange(series), days),
                         "ds": np.tile(dates, series), "y": y.ravel()})


def main() -> None:
    y = load()
    train, test = y[:, :-HOLDOUT], y[:, -HOLDOUT:]
    print(f"carparts: {len(y)} series x {y.shape[1]} months, last {HOLDOUT} held out\n")
    # Single methods: the 90 % quantile is the empirical one of the last 12 months.
    empirical = weighted_quantile(train[:, -12:], [0.9], half_life=1e9)[:, 0]
    single = {"naive": m.naive, "moving_average_12": m.moving_average(12), "ses_0.2": m.ses(0.2),
              "croston": m.croston(0.1, debiased=False), "sba": m.croston(0.1),
              "tsb": m.tsb(0.1, 0.2), "adida_12": m.adida(12, 0.2), "imapa": m.imapa(12, 0.2)}
    rows = {}
    for name, method in single.items():
        started = time.perf_counter()
        level = method(train)
        elapsed = time.perf_counter() - started
        rows[name] = {**scores(train, test, level, empirical),
                      "ms/series": 1000 * elapsed / len(y)}
    # The reference: the same moving average with numpy's interpolated (fractional)
    # 90 % quantile of the last 12 months, which covers less but loses more than the integer one.
    rows["moving_average_12, interpolated q90"] = {
        **scores(train, test, m.moving_average(12)(train), np.quantile(train[:, -12:], 0.9,
                                                                      axis=1)),
        "ms/series": rows["moving_average_12"]["ms/series"]}
    # Peers from statsforecast: AutoETS with its own intervals, IMAPA with the empirical one.
    started = time.perf_counter()
    mean, quantiles = m.auto_ets(train, HOLDOUT, 12, [0.9])
    rows["auto_ets (statsforecast)"] = {**scores(train, test, mean, quantiles[:, :, 0]),
                                        "ms/series": 1000 * (time.perf_counter() - started)
                                        / len(y)}
    from statsforecast.models import IMAPA
    started = time.perf_counter()
    level = np.array([IMAPA().forecast(y=row, h=1)["mean"][0] for row in train])
    rows["imapa (statsforecast)"] = {**scores(train, test, level, empirical),
                                     "ms/series": 1000 * (time.perf_counter() - started)
                                     / len(y)}
    started = time.perf_counter()
    choice = backtest_choice(train, HOLDOUT, 12)
    level, quantiles, _, classes = predict(train, choice, [0.5, 0.8, 0.9, 0.95, 0.99])
    elapsed = time.perf_counter() - started
    rows["automatic choice"] = {**scores(train, test, level, quantiles[:, 2]),
                                "ms/series": 1000 * elapsed / len(y)}
    # The global model's 90 % quantiles as the trees give them, before rounding to whole
    # units: they cover less, and lose more.
    x, unit = global_model.features(train, 12)
    used = np.isin(classes, [c for c, p in choice.by_class.items() if p.global_quantiles])
    fractional = np.where(used & (unit > 0),
                          np.maximum(choice.model.quantile_model(0.9).predict(x), 0) * unit,
                          quantiles[:, 2])
    rows["automatic choice, q90 not rounded"] = {**scores(train, test, level, fractional),
                                                 "ms/series": np.nan}
    # What the global model adds: the same choice with the local methods only.
    local = replace(choice, model=None)
    local_level, local_quantiles, _, _ = predict(train, local, [0.9])
    rows["automatic choice, local methods only"] = {
        **scores(train, test, local_level, local_quantiles[:, 0]), "ms/series": np.nan}
    table = pd.DataFrame(rows).T
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160,
                           "display.max_columns", None):
        print(table)
    # Demand is whole units, so a 90 % quantile is the smallest count with P(Y <= q) >= 0.9,
    # and a forecast that is exactly right covers more than 90 % of periods.
    selling = level > 0
    promised = poisson.cdf(quantiles[selling, 2], level[selling]).mean()
    observed = (test[selling] <= quantiles[selling, 2:3]).mean()
    print(f"\nOn parts forecast to sell, the integer 90 % quantiles promise coverage "
          f"{promised:.3f} under Poisson demand at each part's level; observed {observed:.3f}.")
    print("\nautomatic choice per demand class:")
    for cls, pick in choice.by_class.items():
        print(f"  {cls:13s} local: {pick.method:22s} level x{pick.factor:.2f}  "
              f"quantile blend {pick.quantile_weight:.1f} empirical;  global model for "
              f"level {'yes' if pick.global_level else 'no '}  "
              f"quantiles {'yes' if pick.global_quantiles else 'no'}")
    print("\n6-month total (a lead time of 6 periods) at the automatic choice's level:")
    totals = test.sum(axis=1)
    measured = dispersion(train, 24)
    for name, rate, spread in (("Poisson", level, np.ones(len(y))),
                               ("negative binomial", level, measured),
                               ("NB, wake-up rate", lead_time_rate(level, choice), measured)):
        bounds = lead_time_quantiles(rate, HOLDOUT, spread, [0.5, 0.9, 0.95])
        cover = (totals[:, None] <= bounds).mean(axis=0)
        loss = pinball(totals, bounds[:, 1], 0.9).mean()
        print(f"  {name:18s} coverage q50 {cover[0]:.3f}  q90 {cover[1]:.3f}  "
              f"q95 {cover[2]:.3f}   pinball at 0.9 {loss:.3f} units")
    history = synthetic_daily(10_000, 730)
    started = time.perf_counter()
    result = forecast(history, horizon=56, freq="D")
    elapsed = time.perf_counter() - started
    print(f"\n10,000 daily series x 730 days, 56-day horizon with 5 quantiles: {elapsed:.1f} s "
          f"({len(result):,} rows)")


if __name__ == "__main__":
    main()
