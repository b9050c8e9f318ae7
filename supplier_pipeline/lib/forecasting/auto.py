"""The automatic choice: a rolling-origin backtest picks, per demand class, the method (or
combination) with the lowest loss, calibrates its level, and picks the blend of quantile
estimates (recency-weighted empirical with Poisson or negative binomial) with the lowest quantile
loss. Then the global model (`global_model`), fitted on the origins before the last one,
competes with that choice on the last origin: per class, its level (alone or averaged with the
local one) is used where it scores better, and the quantiles come from whichever of five
candidates scores best there (`ClassChoice.quantile_source`).

The loss is what ordering needs, not RMSSE alone: RMSSE rewards forecasts that are too low for
intermittent demand (forecasting zero for every carparts part beats every simple method on it),
and purchasing orders from the level, so a level that is too low is a part missing while a
repair waits. The loss adds the error of the horizon's total, and the level calibration makes
the backtest's total demand right (one factor per method over all parts, so that it does not
swing with which parts happen to be in a class at each origin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import poisson

from supplier_pipeline.lib.forecasting import global_model
from supplier_pipeline.lib.forecasting import methods as m
from supplier_pipeline.lib.forecasting.classify import classify
from supplier_pipeline.lib.forecasting.lead_time import dispersion, lead_time_quantiles

QUANTILE_BLENDS = tuple(i / 10 for i in range(11))  # weight of the empirical quantile
# Weight of the horizon total's error (per period, in units of the series' scale) against the
# RMSSE in the selection loss: with 1 neither dominates. On skewed demand the total's absolute
# error too is lowest below the mean, so what keeps the level from being too low is the
# calibration below; the loss ranks calibrated candidates by what ordering needs.
TOTAL_WEIGHT = 1.0
FACTOR_RANGE = (0.5, 1.5)  # calibration never more than halves nor adds half to a method
GLOBAL_WEIGHTS = (1.0, 0.5)  # the global model's level alone, or averaged with the local one
HALF_LIVES = 10  # how far back the recency-weighted quantiles look


def candidates(season: int) -> dict[str, m.Method]:
    """Methods tried per class; windows scale with the season length (12 for months)."""
    quarter = max(season // 4, 2)
    return {
        "naive": m.naive,
        f"moving_average_{season}": m.moving_average(season),
        f"moving_average_{quarter}": m.moving_average(quarter),
        f"moving_average_{2 * season}": m.moving_average(2 * season),
        "ses": m.ses(0.2),
        "ses_slow": m.ses(0.1),
        "sba": m.croston(0.1),
        "tsb": m.tsb(0.1, 0.2),
        "imapa": m.imapa(season, 0.2),
        "moving_average+ses": m.combination(m.moving_average(season), m.ses(0.2)),
        "moving_average+tsb": m.combination(m.moving_average(season), m.tsb(0.1, 0.2)),
    }


def weighted_quantile(y: np.ndarray, levels: list[float], half_life: float) -> np.ndarray:
    """Quantiles of each series' history with exponentially decaying weights (series x levels);
    always one of the observed, integer values. Periods more than HALF_LIVES half-lives back
    weigh less than 0.1 % together and are left out (sorting two years of days is slow)."""
    y = y[:, -max(int(np.ceil(HALF_LIVES * half_life)), 1):]
    weights = 0.5 ** (np.arange(y.shape[1])[::-1] / half_life)
    order = np.argsort(y, axis=1)
    ordered = np.take_along_axis(y, order, axis=1)
    cumulative = np.cumsum(weights[order], axis=1)
    cumulative /= cumulative[:, -1:]
    rows = np.arange(len(y))
    return np.stack([ordered[rows, (cumulative >= q).argmax(axis=1)] for q in levels], axis=1)


def parametric_quantiles(y: np.ndarray, level: np.ndarray, levels: list[float], dispersed: bool,
                         season: int) -> np.ndarray:
    """Poisson quantiles at `level`, or with `dispersed` negative binomial ones with each
    series' variance-to-mean ratio over its last two seasons (the lead-time quantiles' law
    over one period)."""
    if dispersed:
        return lead_time_quantiles(level, 1, dispersion(y, 2 * season), levels).astype(float)
    return poisson.ppf(np.array(levels)[None, :], level[:, None])


def blend_quantiles(y: np.ndarray, level: np.ndarray, levels: list[float], weight: float,
                    half_life: float, dispersed: bool = False, season: int = 12) -> np.ndarray:
    empirical = weighted_quantile(y, levels, half_life) if weight > 0 else 0.0
    parametric = parametric_quantiles(y, level, levels, dispersed, season)
    # Demand comes in whole units, so P(Y <= q) = P(Y <= floor(q)): rounding down keeps the
    # coverage and lowers the loss.
    return np.floor(weight * empirical + (1 - weight) * parametric)


def selection_loss(actual: np.ndarray, level: np.ndarray, mse: np.ndarray, mae: np.ndarray
                   ) -> np.ndarray:
    """Per series: RMSSE of a flat `level` over the periods of `actual`, plus TOTAL_WEIGHT
    times the absolute error of their total per period, divided by the mean absolute one-step
    change. NaN for series without a scale."""
    periods = actual.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rmsse = np.sqrt(((actual - level[:, None]) ** 2).mean(axis=1) / mse)
        total = np.abs(actual.sum(axis=1) - periods * level) / (periods * mae)
    return np.where((mse > 0) & (mae > 0), rmsse + TOTAL_WEIGHT * total, np.nan)


def pinball(actual: np.ndarray, quantile: np.ndarray, level: float) -> np.ndarray:
    diff = actual - quantile
    return np.where(diff >= 0, level * diff, (level - 1) * diff)


@dataclass
class ClassChoice:
    method: str
    factor: float
    quantile_weight: float
    scores: dict[str, float] = field(default_factory=dict)  # backtest loss per candidate
    # whether the global model's level beats the local one on the last origin
    global_level: bool = False
    # the quantiles that score best on the last origin: the local blend at the level used
    # ("local"), the global model's ("global"), the mean of the two in whole units
    # ("average"), the negative binomial at the global model's level ("dispersed") or its mean
    # with the global model's ("dispersed_average")
    quantile_source: str = "local"
    global_weight: float = 1.0  # where global_level: its weight against the local level
    # the parametric quantile: negative binomial with the series' dispersion, or Poisson
    dispersed: bool = False


@dataclass
class Choice:
    by_class: dict[str, ClassChoice]
    season: int
    half_life: float
    # Demand per period that followed, in the backtest, the origins where the chosen method
    # forecast zero. A part that stopped selling is best forecast at zero period by period,
    # but over a lead time some of them sell again (on carparts 30 % of the obsolete parts
    # within 6 months), so lead-time quantiles use this rate instead of zero.
    wake_rate: float = 0.0
    model: global_model.GlobalModel | None = None  # fitted on every origin, when it is used


def backtest_choice(y: np.ndarray, horizon: int, season: int, origins: int = 6) -> Choice:
    """Choose per class on up to `origins` rolling origins inside `y`, half a horizon apart,
    each scored on the `horizon` periods that follow it."""
    methods = candidates(season)
    half_life = max(season / 3, 2.0)
    step = max(horizon, 1)
    spacing = max(step // 2, 1)
    cuts = [y.shape[1] - step - spacing * k for k in range(origins - 1, -1, -1)
            if y.shape[1] - step - spacing * k >= season]
    if not cuts:  # too short to backtest: predict() falls back to a moving average
        return Choice({}, season, half_life)
    actuals, trains, mse, mae = [], [], [], []
    for cut in cuts:
        train, test = y[:, :cut], y[:, cut:cut + step]
        trains.append(train)
        actuals.append(test)
        mse.append(np.mean(np.diff(train, axis=1) ** 2, axis=1))
        mae.append(global_model.scale(train))
    # Each series' class as it was at each origin: classes of the whole history would know
    # the future (a part obsolete today sold nothing in the last backtest windows).
    classes = [classify(train, recent=season) for train in trains]
    by_class: dict[str, ClassChoice] = {}
    forecasts = {name: [method(t) for t in trains] for name, method in methods.items()}
    # The factor that makes the backtest's total over all parts right, demand of the parts
    # forecast at zero included. Per class it would follow the class's make-up at each origin
    # (on carparts the intermittent class's factor rose from 0.65 to 0.9 over the history)
    # and under-forecast the totals after it.
    demanded = sum(a.sum() for a in actuals)
    factors = {}
    for name in methods:
        forecast_total = sum(f.sum() * step for f in forecasts[name])
        factors[name] = (float(np.clip(demanded / forecast_total, *FACTOR_RANGE))
                         if forecast_total > 0 else 1.0)
    for cls in np.unique(np.concatenate(classes)):
        rows = [at == cls for at in classes]
        best = None
        scores = {}
        for name in methods:
            factor = factors[name]
            losses = [selection_loss(a[r], factor * f[r], s2[r], s1[r])
                      for a, f, s2, s1, r in zip(actuals, forecasts[name], mse, mae, rows,
                                                  strict=True)]
            pooled = np.concatenate(losses) if losses else np.array([])
            pooled = pooled[np.isfinite(pooled)]
            score = float(pooled.mean()) if len(pooled) else np.inf
            scores[name] = round(score, 4) if np.isfinite(score) else float("nan")
            if best is None or score < best[1]:
                best = (name, score, factor)
        name, _, factor = best
        weight, dispersed = _best_blend(trains, actuals, forecasts[name], rows, factor,
                                        half_life, season)
        by_class[str(cls)] = ClassChoice(name, factor, weight, scores, dispersed=dispersed)
    woke = [actual[_chosen_level(by_class, classes[k], forecasts, k) == 0]
            for k, actual in enumerate(actuals)]
    periods = sum(w.size for w in woke)
    wake_rate = float(sum(w.sum() for w in woke) / periods) if periods else 0.0
    local_level = _chosen_level(by_class, classes[-1], forecasts, len(cuts) - 1)
    used = _global_against_local(y, cuts[-1], step, season, classes[-1], by_class, local_level,
                                 half_life)
    model = global_model.fit(y, step, season) if used else None
    return Choice(by_class, season, half_life, wake_rate, model)


def _global_against_local(y, cut, step, season, classes, by_class, local_level, half_life
                          ) -> bool:
    """Fit the global model on the origins whose horizon ends by `cut`, score it against the
    local choice on the `step` periods after `cut`, and mark per class where it wins: on the
    selection loss for the level (the global level alone or averaged with the local one), on
    pinball loss at 0.9 (divided by the scale) for the quantiles. Both are scored on the series
    the global model covers (those with a scale)."""
    model = global_model.fit(y, step, season, last_origin=cut - step)
    if model is None:
        return False
    train, actual = y[:, :cut], y[:, cut:cut + step]
    level, q90, covered = model.predict(train, season, [0.9], whole=False)
    mse = np.mean(np.diff(train, axis=1) ** 2, axis=1)
    mae = global_model.scale(train)
    levels = {0.0: local_level, **{w: w * level + (1 - w) * local_level for w in GLOBAL_WEIGHTS}}
    level_loss = {w: selection_loss(actual, forecast, mse, mae) for w, forecast in levels.items()}
    used = local_level.copy()
    for cls, pick in by_class.items():
        rows = (classes == cls) & covered
        if rows.any():
            mean_loss = {w: float(np.nanmean(loss_[rows])) for w, loss_ in level_loss.items()}
            weight = min(mean_loss, key=mean_loss.get)
            pick.global_level, pick.global_weight = weight > 0, weight or 1.0
            used[rows] = levels[weight][rows]
    sources = _quantile_sources(train, used, q90, [0.9], classes, by_class, half_life,
                                season, np.where(covered, level, used))
    with np.errstate(divide="ignore", invalid="ignore"):  # series without scale: not covered
        loss = {source: pinball(actual, quantile, 0.9).mean(axis=1) / mae
                for source, quantile in sources.items()}
    for cls, pick in by_class.items():
        rows = (classes == cls) & covered
        if rows.any():
            mean_loss = {source: float(loss_[rows].mean()) for source, loss_ in loss.items()}
            pick.quantile_source = min(mean_loss, key=mean_loss.get)
    return any(p.global_level or p.quantile_source != "local" for p in by_class.values())


def _quantile_sources(y, level, global_quantiles, levels, classes, picks, half_life, season,
                      global_level=None) -> dict[str, np.ndarray]:
    """The candidate quantiles (series x levels): each class's local blend at `level` (the
    level forecast, the global model's where it is used), the global model's in whole units,
    and the mean of the two in whole units (the global model's before rounding); with the
    global model's `global_level`, also the negative binomial at that level with each series'
    dispersion, alone and averaged with the global model's (on carparts' intermittent parts
    the average beat the global model's quantiles at three origins)."""
    local = np.zeros_like(global_quantiles)
    for cls, pick in picks.items():
        rows = classes == cls
        local[rows] = blend_quantiles(y[rows], level[rows], levels, pick.quantile_weight,
                                      half_life, pick.dispersed, season)
    out = {"local": local, "global": np.floor(global_quantiles + 0.5),
           "average": np.floor((local + global_quantiles) / 2 + 0.5)}
    if global_level is not None:
        spread = parametric_quantiles(y, global_level, levels, True, season)
        out["dispersed"] = spread
        out["dispersed_average"] = np.floor((spread + global_quantiles) / 2 + 0.5)
    return out


def _chosen_level(by_class: dict[str, ClassChoice], classes: np.ndarray,
                  forecasts: dict[str, list[np.ndarray]], origin: int) -> np.ndarray:
    """Each series' level at one backtest origin, by its class's chosen method."""
    level = np.zeros(len(classes))
    for cls, pick in by_class.items():
        rows = classes == cls
        level[rows] = pick.factor * forecasts[pick.method][origin][rows]
    return level


def lead_time_rate(level: np.ndarray, choice: Choice) -> np.ndarray:
    """The demand per period that lead-time quantiles should use: the forecast level, or the
    backtest's wake-up rate where the level is zero."""
    return np.where(level > 0, level, choice.wake_rate)


def _best_blend(trains, actuals, fitted, rows, factor, half_life, season
                ) -> tuple[float, bool]:
    """The blend weight and parametric law (Poisson or negative binomial) with the lowest
    backtest pinball loss at 0.9."""
    pieces = [(actual[r], weighted_quantile(train[r], [0.9], half_life),
               {dispersed: parametric_quantiles(train[r], factor * level[r], [0.9], dispersed,
                                                season)
                for dispersed in (False, True)})
              for train, actual, level, r in zip(trains, actuals, fitted, rows, strict=True)
              if r.any()]
    losses = {(weight, dispersed): sum(
                  pinball(actual, np.floor(weight * empirical
                                           + (1 - weight) * parametric[dispersed]), 0.9).mean()
                  for actual, empirical, parametric in pieces)
              for weight in QUANTILE_BLENDS for dispersed in (False, True)}
    return min(losses, key=losses.get)


def local_level(y: np.ndarray, choice: Choice
                ) -> tuple[np.ndarray, np.ndarray, dict[str, ClassChoice]]:
    """Per series: the level (per period) of its class's chosen local method, and its class;
    and the choice per class present (a class the backtest did not see: a moving average)."""
    methods = candidates(choice.season)
    classes = classify(y, recent=choice.season)
    level = np.zeros(len(y))
    fallback = ClassChoice(f"moving_average_{choice.season}", 1.0, 1.0)
    picks = {str(cls): choice.by_class.get(str(cls), fallback) for cls in np.unique(classes)}
    for cls, pick in picks.items():
        rows = classes == cls
        level[rows] = pick.factor * methods[pick.method](y[rows])
    return level, classes, picks


def predict(y: np.ndarray, choice: Choice, levels: list[float]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per series: level (per period), quantiles (series x levels), method name, class."""
    level, classes, picks = local_level(y, choice)
    names = np.empty(len(y), dtype=object)
    for cls, pick in picks.items():
        names[classes == cls] = pick.method
    covered = np.zeros(len(y), dtype=bool)
    global_quantiles = np.zeros((len(y), len(levels)))
    global_level = None
    if choice.model is not None:
        global_level, global_quantiles, covered = choice.model.predict(y, choice.season, levels,
                                                                       whole=False)
        for cls, pick in choice.by_class.items():
            rows = (classes == cls) & covered
            if pick.global_level:
                weight = pick.global_weight
                level[rows] = weight * global_level[rows] + (1 - weight) * level[rows]
                names[rows] = "global_gbm" if weight == 1 else [f"global_gbm+{name}"
                                                                for name in names[rows]]
    sources = _quantile_sources(y, level, global_quantiles, levels, classes, picks,
                                choice.half_life, choice.season,
                                None if global_level is None else
                                np.where(covered, global_level, level))
    quantiles = sources["local"]
    for cls, pick in picks.items():
        rows = (classes == cls) & covered  # none without the global model
        if rows.any():
            quantiles[rows] = sources[pick.quantile_source][rows]
    return level, np.maximum.accumulate(np.maximum(quantiles, 0), axis=1), names, classes
