from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from supplier_pipeline.lib.forecasting import forecast, global_model
from supplier_pipeline.lib.forecasting import methods as m
from supplier_pipeline.lib.forecasting.auto import backtest_choice, lead_time_rate, predict
from supplier_pipeline.lib.forecasting.classify import classify


def test_classification_by_sbc_cutoffs():
    y = np.array([
        [3, 4, 3, 5, 4, 3, 4, 4, 3, 4, 5, 4],    # demand every period, steady sizes
        [1, 9, 2, 12, 1, 8, 1, 15, 2, 1, 10, 3],  # every period, sizes vary a lot
        [0, 2, 0, 0, 2, 0, 0, 3, 0, 2, 0, 2],    # every ~2.4 periods, steady sizes
        [0, 1, 0, 0, 9, 0, 0, 1, 0, 12, 0, 1],   # rare and variable
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1],    # started selling lately
        [3, 2, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0],    # stopped selling
        [0] * 12,
    ], dtype=float)
    assert list(classify(y, recent=4)) == ["smooth", "erratic", "intermittent", "lumpy", "new",
                                           "obsolete", "no_demand"]


@pytest.mark.parametrize("method", [m.naive, m.moving_average(3), m.ses(0.2), m.croston(0.1),
                                    m.croston(0.1, debiased=False), m.tsb(0.1, 0.2),
                                    m.adida(3), m.imapa(4)])
def test_methods_handle_edge_series(method):
    y = np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 5], [2, 2, 2, 2, 2, 2],
                  [7, 0, 0, 0, 0, 0]], dtype=float)
    level = method(y)
    assert level.shape == (4,) and np.isfinite(level).all() and (level >= 0).all()
    assert level[0] == 0  # no demand: no forecast
    assert level[2] == pytest.approx(2 * (1 - 0.05) if method.__name__ == "sba" else 2, rel=0.01)


def test_croston_known_value():
    # demand of 4 every 2 periods: Croston's level is 4 / 2
    y = np.array([[0, 4, 0, 4, 0, 4, 0, 4]], dtype=float)
    assert m.croston(0.1, debiased=False)(y)[0] == pytest.approx(2.0)


def test_tsb_decays_when_a_part_stops_selling():
    selling = np.array([[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]], dtype=float)
    stopped = np.array([[1, 1, 1, 1, 1, 0, 0, 0, 0, 0]], dtype=float)
    assert m.tsb(0.1, 0.2)(stopped)[0] < m.tsb(0.1, 0.2)(selling)[0] / 2
    assert m.croston(0.1, False)(stopped)[0] == pytest.approx(1.0)  # Croston never decays


def test_backtest_prefers_the_method_that_tracks_a_level_shift():
    rng = np.random.default_rng(0)
    shifted = np.concatenate([rng.poisson(8, (40, 36)), rng.poisson(2, (40, 24))], axis=1)
    choice = backtest_choice(shifted.astype(float), horizon=6, season=12)
    scores = choice.by_class["smooth"].scores
    assert scores["moving_average_3"] < scores["moving_average_12"]
    assert choice.by_class["smooth"].method != "moving_average_12"


def test_forecast_contract_quantiles_monotone_non_negative_integer():
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    frames = [pd.DataFrame({"unique_id": f"p{i}", "ds": days,
                            "y": rng.poisson(rate, len(days))})
              for i, rate in enumerate([0.05, 0.3, 2.0, 6.0])]
    history = pd.concat(frames)
    history.loc[history.index[:5], "y"] = -3  # returns are not negative demand
    out = forecast(history, horizon=14, freq="D", quantiles=[0.5, 0.8, 0.9, 0.95, 0.99])
    assert list(out.columns) == ["unique_id", "ds", "mean", "q50", "q80", "q90", "q95", "q99"]
    assert len(out) == 4 * 14 and out["ds"].min() == days[-1] + pd.Timedelta(days=1)
    q = out[["q50", "q80", "q90", "q95", "q99"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all() and (q >= 0).all()
    assert np.array_equal(q, np.round(q))  # whole units of demand
    means = out.groupby("unique_id")["mean"].first()
    assert means["p3"] > means["p2"] > means["p0"]


def test_quantiles_cover_about_as_promised_on_poisson_demand():
    rng = np.random.default_rng(5)
    y = rng.poisson(1.5, (300, 120)).astype(float)
    choice = backtest_choice(y[:, :-12], horizon=12, season=12)
    _, q, _, _ = predict(y[:, :-12], choice, [0.5, 0.9])
    coverage = (y[:, -12:] <= q[:, 1:2]).mean()
    assert 0.85 <= coverage <= 0.97


def test_no_history_and_single_sale():
    history = pd.DataFrame({"unique_id": ["a", "b"], "ds": ["2026-01-01", "2026-03-01"],
                            "y": [0, 1]})
    out = forecast(history, horizon=3, freq="MS", with_details=True)
    classes = out.groupby("unique_id")["class"].first()
    assert classes["a"] == "no_demand"
    assert out.loc[out.unique_id == "a", "mean"].eq(0).all()
    assert forecast(history.iloc[0:0], 3, "MS").empty


def test_forecast_accuracy_compares_past_forecasts_with_demand(tmp_path):
    from datetime import UTC, datetime, timedelta

    import dagster as dg

    from supplier_pipeline.defs.analytics.forecast import forecast_accuracy
    from supplier_pipeline.defs.resources import WarehouseResource

    resource = WarehouseResource(duckdb_path=str(tmp_path / "w.duckdb"))
    store = resource.get()
    today = datetime.now(UTC).date()
    past = [{"part_id": "p", "ds": today - timedelta(days=d), "mean": 1.0, "q50": 1, "q80": 1,
             "q90": 2, "q95": 2, "q99": 3, "method": "ses", "demand_class": "smooth",
             "forecast_date": today - timedelta(days=10)} for d in (1, 2, 3, 4)]
    store.replace("analytics.part_forecast", past, {})
    with store.connect() as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("create table marts.fct_part_demand_daily as select 'p' as part_id, "
                           "d::date as demand_date, 3 as units_demanded from (values "
                           f"(date '{today - timedelta(days=1)}'), "
                           f"(date '{today - timedelta(days=2)}')) t(d)")
    result = dg.materialize([forecast_accuracy], resources={"warehouse": resource})
    metadata = result.asset_materializations_for_node("analytics__forecast_accuracy")[0].metadata
    assert metadata["compared_days"].value == 4
    assert metadata["q90_coverage"].value == 0.5  # 3 > q90 on two days, 0 <= q90 on two
    summary = store.read("select * from analytics.forecast_accuracy")
    assert summary["mean_absolute_error"].iloc[0] == 1.5  # |1-3| twice, |1-0| twice


def test_forecast_plot_is_a_png():
    from supplier_pipeline.lib.forecasting.plot import forecast_plot_png, markdown_image

    days = pd.date_range("2026-01-01", periods=120, freq="D")
    history = pd.DataFrame({"unique_id": "p", "ds": days, "y": np.arange(120) % 3})
    future = forecast(history, horizon=28, freq="D").rename(columns={"unique_id": "part_id"})
    png = forecast_plot_png(history, future, ["p"])
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    assert markdown_image(png, "x").startswith("![x](data:image/png;base64,iVBOR")


def test_prophet_forecasts_dense_aggregated_demand():
    from supplier_pipeline.lib.forecasting.aggregate import prophet_forecast

    rng = np.random.default_rng(4)
    days = pd.date_range("2025-06-01", periods=400, freq="D")
    weekday = np.where(days.weekday == 6, 0.2, 1.0)  # closed-ish on Sundays
    series = pd.DataFrame({"ds": days, "y": rng.poisson(20 * weekday)})
    out = prophet_forecast(series, 28, "D", quantiles=[0.1, 0.5, 0.9])
    assert len(out) == 28 and out["ds"].min() == days[-1] + pd.Timedelta(days=1)
    assert (out[["mean", "q10"]] >= 0).all().all()
    assert (out["q10"] <= out["q50"]).all() and (out["q50"] <= out["q90"]).all()
    sundays = out["ds"].dt.weekday == 6
    assert out.loc[~sundays, "mean"].mean() == pytest.approx(20, rel=0.15)
    assert out.loc[sundays, "mean"].mean() < 0.5 * out.loc[~sundays, "mean"].mean()


def test_reconcile_scales_each_group_to_its_aggregate_forecast():
    from supplier_pipeline.lib.forecasting.aggregate import reconcile

    ds = pd.Timestamp("2026-12-01")
    parts = pd.DataFrame({"unique_id": ["a1", "a2", "b1"], "ds": ds, "mean": [1.0, 3.0, 2.0],
                          "q90": [3.0, 6.0, 5.0]})
    groups = pd.Series({"a1": "A", "a2": "A", "b1": "B"})
    aggregate = pd.DataFrame({"group": ["A"], "ds": [ds], "mean": [8.0]})
    out = reconcile(parts, groups, aggregate).set_index("unique_id")
    assert out.loc[["a1", "a2"], "mean"].tolist() == [2.0, 6.0]  # shares 1:3 kept, sum 8
    assert out.loc[["a1", "a2"], "q90"].tolist() == [6.0, 12.0]
    assert out.loc["b1", "mean"] == 2.0 and out.loc["b1", "q90"] == 5.0  # B has no aggregate


def test_pooling_is_used_only_when_the_backtest_says_it_is_better():
    from supplier_pipeline.lib.forecasting.aggregate import pooling_backtest

    rng = np.random.default_rng(8)
    days = pd.date_range("2025-01-01", periods=300, freq="D")
    history = pd.DataFrame([(f"p{i}", d, y) for i in range(12)
                            for d, y in zip(days, rng.poisson(0.3 + 0.1 * i, len(days)),
                                            strict=True) if y],
                           columns=["unique_id", "ds", "y"])
    groups = pd.Series({f"p{i}": "A" if i < 6 else "B" for i in range(12)})
    verdict = pooling_backtest(history, groups, 28)
    assert np.isfinite(verdict.per_part_error) and np.isfinite(verdict.pooled_error)
    assert verdict.use_pooling == (verdict.pooled_error < verdict.per_part_error)
    short = pooling_backtest(history[history["ds"] < days[60]], groups, 28)
    assert not short.use_pooling  # too little history to judge


def test_auto_ets_follows_a_trend_and_handles_short_and_empty_series():
    rng = np.random.default_rng(4)
    growing = 5 + 0.8 * np.arange(36) + rng.normal(0, 0.5, 36)
    levels = [0.1, 0.5, 0.9, 0.99]
    mean, q = m.auto_ets(np.vstack([growing, np.zeros(36)]), 6, 12, levels)
    assert mean.shape == (2, 6) and q.shape == (2, 6, 4)
    # a growing part is forecast to keep growing, above anything it sold so far
    assert mean[0, -1] > mean[0, 0] > growing[:-3].max()
    assert (np.diff(q, axis=2) >= 0).all() and (q >= 0).all()
    assert (q[0, :, 0] < mean[0]).all() and (q[0, :, 2] > mean[0]).all()
    assert not mean[1].any() and not q[1].any()
    short_mean, short_q = m.auto_ets(np.array([[2.0, 0.0, 4.0]]), 2, 12, levels)
    assert np.allclose(short_mean, 2.0) and np.allclose(short_q, 2.0)


def test_parts_forecast_at_zero_keep_the_rate_at_which_such_parts_sold_again():
    """Rare, memoryless sales (2 % of periods): most of these parts are forecast at zero, yet
    the periods after such a forecast still sell at about 2 %; lead-time quantiles use that
    rate instead of zero."""
    rng = np.random.default_rng(7)
    sleepers = (rng.random((3000, 48)) < 0.02).astype(float)
    steady = rng.poisson(3.0, size=(200, 48)).astype(float)
    choice = backtest_choice(np.vstack([sleepers, steady]), horizon=6, season=12)
    assert 0.013 < choice.wake_rate < 0.027
    level, *_ = predict(np.vstack([sleepers, steady]), choice, [0.9])
    rate = lead_time_rate(level, choice)
    asleep = level == 0
    assert asleep.sum() > 1000
    assert (rate[asleep] == choice.wake_rate).all() and (rate[~asleep] == level[~asleep]).all()
    history = pd.DataFrame({"unique_id": np.repeat(["asleep", "steady"], 48),
                            "ds": np.tile(pd.date_range("2022-01-01", periods=48, freq="MS"), 2),
                            "y": np.r_[np.zeros(47), 0, steady[0]]})
    details = forecast(history, 3, "MS", with_details=True).groupby("unique_id").first()
    assert details.loc["steady", "lead_time_rate"] == details.loc["steady", "mean"]
    assert details.loc["asleep", "lead_time_rate"] == 0  # no part here ever sold again


def test_lead_time_dispersion_carries_what_the_forecast_misses_when_parts_shift_level():
    """Two shops: steady Poisson parts, and parts that start to sell (0.2 a month, then 2
    from a month in the last year). The forecast trails the jumps: its one-step errors exceed
    what the demand's own variance-to-mean ratio says, and that excess is added to every
    part's dispersion (the one `forecast(..., with_details=True)` reports); in the steady
    shop there is none, so its Poisson-like parts keep their own."""
    from supplier_pipeline.lib.forecasting.lead_time import (
        dispersion,
        forecast_error_dispersion,
        lead_time_dispersion,
        lead_time_quantiles,
    )

    rng = np.random.default_rng(4)
    months = 48
    steady = rng.poisson(1.0, (300, months)).astype(float)
    start = rng.integers(36, 44, 300)
    shifting = rng.poisson(np.where(np.arange(months) >= start[:, None], 2.0, 0.2)).astype(float)
    extra = {}
    for name, y in (("steady", steady), ("shifting", shifting)):
        choice = backtest_choice(y, horizon=1, season=12)
        extra[name] = forecast_error_dispersion(y, choice)
        np.testing.assert_allclose(lead_time_dispersion(y, choice),
                                   dispersion(y, 24) + extra[name])
    assert extra["steady"] < 0.05 and extra["shifting"] > 0.25
    # a part forecast at 1 a month with the demand's own ratio 1.5: wider in the shifting shop
    calm, shifting_shop = (lead_time_quantiles(np.array([1.0]), 2, np.array([1.5 + e]),
                                               [0.99])[0, 0] for e in extra.values())
    assert shifting_shop > calm
    history = pd.DataFrame({"unique_id": np.repeat(np.arange(50), months),
                            "ds": np.tile(pd.date_range("2021-01-01", periods=months, freq="MS"),
                                          50),
                            "y": shifting[:50].ravel()})
    details = forecast(history, 1, "MS", with_details=True)
    assert (details["dispersion"] >= dispersion(shifting[:50], 24)).all()


def test_device_family_drops_variant_words():
    from supplier_pipeline.lib.forecasting.aggregate import device_family

    assert device_family("iPhone 13 Pro Max") == device_family("iPhone 13") == "iphone 13"
    assert device_family("Redmi Note 12 Pro+") == "redmi note 12"
    assert device_family("Galaxy S21 FE 5G") == "galaxy s21"
    assert device_family("Galaxy S") == "galaxy s" and device_family(None) is None


def test_family_forecasts_pool_parts_of_a_family():
    from supplier_pipeline.lib.forecasting.aggregate import family_forecasts, pooling_backtest

    rng = np.random.default_rng(11)
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    parts = {"screen-13": "iphone 13", "battery-13": "iphone 13", "screen-14": "iphone 14"}
    history = pd.DataFrame([{"unique_id": part, "ds": day, "y": rng.poisson(0.6)}
                            for part in parts for day in days])
    groups = pd.Series(parts)
    out = family_forecasts(history, groups, 14)
    assert sorted(out["group"].unique()) == ["iphone 13", "iphone 14"]
    assert len(out) == 2 * 14 and (out["mean"] > 0).all()
    # the family's level is its parts' summed demand (about 1.2 a day for the iPhone 13)
    assert 0.8 < out.loc[out.group == "iphone 13", "mean"].mean() < 1.6
    verdict = pooling_backtest(history, groups, 28, family_forecasts)
    assert verdict.use_pooling == (verdict.pooled_error < verdict.per_part_error)


def test_best_pooling_picks_the_level_that_wins_its_backtest_or_none():
    from supplier_pipeline.lib.forecasting.aggregate import best_pooling, group_totals

    rng = np.random.default_rng(5)
    days = pd.date_range("2025-01-01", periods=160, freq="D")
    # demand doubles in the held-out weeks: only a forecaster that knows it beats per part
    rates = np.where(np.arange(160) < 132, 0.3, 0.9)
    history = pd.DataFrame([{"unique_id": part, "ds": day, "y": rng.poisson(rate)}
                            for part in ("a", "b", "c")
                            for day, rate in zip(days, rates, strict=True)])
    groups = pd.Series({"a": "g", "b": "g", "c": "g"})
    truth = group_totals(history, groups)

    def knows_the_future(train, parts, horizon):
        later = truth[(truth["group"] == "g") & (truth["ds"] > train["ds"].max())]
        return later.head(horizon).rename(columns={"y": "mean"})

    def says_nothing(train, parts, horizon):
        return knows_the_future(train, parts, horizon).assign(mean=0.0)

    best, verdicts = best_pooling(history, {"oracle": (groups, knows_the_future),
                                            "silent": (groups, says_nothing)}, 28)
    assert best == "oracle"
    assert verdicts["oracle"].pooled_error < verdicts["oracle"].per_part_error
    assert best_pooling(history, {"silent": (groups, says_nothing)}, 28)[0] is None


def on_off_demand(series: int, periods: int, seed: int) -> np.ndarray:
    """Parts that sell for 6 periods, then not for 6 (a campaign, a seasonal model), each on
    its own phase. Any local average forecasts half the rate; the periods since the last sale
    tell what comes next, and a model across all parts can learn that."""
    rng = np.random.default_rng(seed)
    phase = rng.integers(0, 12, (series, 1))
    on = ((np.arange(periods) + phase) // 6) % 2 == 0
    return rng.poisson(rng.uniform(2, 6, (series, 1)) * on).astype(float)


def test_backtest_chooses_the_global_model_where_it_wins():
    y = on_off_demand(300, 48, seed=11)
    train, test = y[:, :-6], y[:, -6:]
    choice = backtest_choice(train, horizon=6, season=12)
    assert choice.model is not None
    assert [cls for cls, pick in choice.by_class.items() if pick.global_level]
    level, q, names, _ = predict(train, choice, [0.5, 0.9])
    local_level, *_ = predict(train, replace(choice, model=None), [0.5, 0.9])
    error = np.abs(level - test.mean(axis=1)).mean()
    assert error < 0.5 * np.abs(local_level - test.mean(axis=1)).mean()
    assert "global_gbm" in set(names)


def test_global_model_quantiles_whole_monotone_and_only_for_series_with_a_scale():
    y = on_off_demand(200, 42, seed=4)
    train, test = y[:, :-6], y[:, -6:]
    train[0] = 0  # never sold: no scale, left to the local methods
    train[1] = 3  # constant: no scale either
    model = global_model.fit(train, horizon=6, season=12)
    level, q, covered = model.predict(train, 12, [0.5, 0.8, 0.9, 0.99])
    assert not covered[0] and not covered[1] and covered[2:].all()
    assert (level >= 0).all() and (q >= 0).all()
    assert (np.diff(q, axis=1) >= 0).all()
    assert np.array_equal(q, np.round(q))
    # the 90 % quantile covers about 90 % of what the next periods bring, or more: whole units
    assert 0.85 <= (test[2:] <= q[2:, 2:3]).mean() <= 0.99


def test_quantile_candidates_negative_binomial_and_the_mean_of_local_and_global():
    from supplier_pipeline.lib.forecasting.auto import (
        ClassChoice,
        _quantile_sources,
        parametric_quantiles,
    )

    y, _ = bulk_order_demand(50, 36, seed=7)  # overdispersed: rare bulk orders
    level = y.mean(axis=1)
    poisson_q = parametric_quantiles(y, level, [0.9, 0.99], dispersed=False, season=12)
    spread_q = parametric_quantiles(y, level, [0.9, 0.99], dispersed=True, season=12)
    assert (spread_q >= poisson_q).all() and (spread_q[:, 1] > poisson_q[:, 1]).any()
    classes = np.array(["lumpy"] * 50, dtype=object)
    picks = {"lumpy": ClassChoice("moving_average_12", 1.0, 0.0, dispersed=True)}
    sources = _quantile_sources(y, level, np.full((50, 1), 2.6), [0.9], classes, picks, 4.0, 12)
    assert np.array_equal(sources["local"], spread_q[:, :1])
    assert (sources["global"] == 3).all()  # the global model's, in whole units
    assert np.array_equal(sources["average"], np.floor((spread_q[:, :1] + 2.6) / 2 + 0.5))
    assert set(sources) == {"local", "global", "average"}  # without the global model's level
    at_global = _quantile_sources(y, level, np.full((50, 1), 2.6), [0.9], classes, picks, 4.0,
                                  12, global_level=2 * level)
    doubled = parametric_quantiles(y, 2 * level, [0.9], dispersed=True, season=12)
    assert np.array_equal(at_global["dispersed"], doubled)
    assert np.array_equal(at_global["dispersed_average"], np.floor((doubled + 2.6) / 2 + 0.5))


def test_global_model_needs_enough_rows_to_learn_from():
    y = on_off_demand(20, 30, seed=1)
    assert global_model.fit(y, horizon=6, season=12) is None
    choice = backtest_choice(y, horizon=6, season=12)
    assert choice.model is None and not any(p.global_level for p in choice.by_class.values())


def bulk_order_demand(series: int, periods: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stationary intermittent demand with rare bulk orders, and each part's true mean: the
    typical period sells less than the mean, so a forecast of the typical period (or any level
    shrunk towards zero) scores a lower RMSSE than the mean and under-forecasts every total."""
    rng = np.random.default_rng(seed)
    rate = rng.uniform(0.2, 0.6, (series, 1))
    sold = rng.random((series, periods)) < rate
    size = np.where(rng.random((series, periods)) < 0.1, 10, 1)
    return (sold * size).astype(float), rate[:, 0] * (0.9 + 0.1 * 10)


def test_automatic_choice_is_not_biased_low_where_rmsse_rewards_it():
    y, mean = bulk_order_demand(200, 36, seed=3)
    choice = backtest_choice(y, horizon=6, season=12)
    level, *_ = predict(y, choice, [0.9])
    # the parts' total is forecast within 10 % of their true mean total, not below it
    assert 0.9 < level.sum() / mean.sum() < 1.15
    assert all(p.factor > 0.85 for p in choice.by_class.values())


def test_level_factor_is_shared_by_every_class():
    """One calibration factor per method over all parts: a class's factor follows who is in
    the class at each origin and under-forecast carparts' totals."""
    y, _ = bulk_order_demand(30, 40, seed=5)  # too few rows for the global model
    y[:10, :20] *= 4  # a third of the parts sold four times as much early on
    choice = backtest_choice(y, horizon=6, season=12)
    assert len(choice.by_class) > 2
    factors = {}
    for pick in choice.by_class.values():
        factors.setdefault(pick.method, set()).add(round(pick.factor, 9))
    assert all(len(f) == 1 for f in factors.values())


def test_bench_origins_use_training_data_only():
    from bench.forecast import ORIGINS, forecasts_at, scores, split

    months = pd.Index([str(p) for p in pd.period_range("1998-01", "2002-03", freq="M")])
    y, _ = bulk_order_demand(40, len(months), seed=6)
    for first in ORIGINS.values():
        train, test = split(y, months, first)
        assert months[train.shape[1]] == first and test.shape[1] == 6
        assert months[train.shape[1] + 5] <= "2002-03"
    train, test = split(y, months, "2000-10")
    changed = y.copy()
    changed[:, train.shape[1]:] = 50  # whatever follows the origin
    same_train, other_test = split(changed, months, "2000-10")
    ours, _ = forecasts_at(train, ets=False)
    again, _ = forecasts_at(same_train, ets=False)
    for name, (level, q90, _) in ours.items():
        assert np.array_equal(level, again[name][0]) and np.array_equal(q90, again[name][1])
    # scaled by the training months: the same forecast scores the same on the same test
    level = ours["moving_average_12"][0]
    assert scores(train, test, level, level) == scores(same_train, test, level, level)
    assert scores(train, test, level, level)["RMSSE"] != scores(y[:, :-6], test, level,
                                                                level)["RMSSE"]


def _croston_one(series, alpha):
    size = interval = None
    since = 1
    for value in series:
        if value > 0:
            if size is None:
                size, interval = value, since
            else:
                size += alpha * (value - size)
                interval += alpha * (since - interval)
            since = 1
        else:
            since += 1
    return 0.0 if size is None else size / interval


def _tsb_one(series, alpha, beta):
    sold = [value for value in series if value > 0]
    probability, size = float(series[0] > 0), (sold[0] if sold else 0.0)
    for value in series[1:]:
        probability += beta * ((value > 0) - probability)
        if value > 0:
            size += alpha * (value - size)
    return probability * size


def test_vectorised_methods_match_the_textbook_recursion_series_by_series():
    rng = np.random.default_rng(2)
    y = (rng.random((50, 40)) < 0.3) * rng.integers(1, 6, (50, 40)).astype(float)
    y[0], y[1, :-1] = 0, 0  # never sold; sold only in the last period
    croston = [_croston_one(row, 0.1) for row in y]
    tsb = [_tsb_one(row, 0.1, 0.2) for row in y]
    assert m.croston(0.1, debiased=False)(y) == pytest.approx(croston)
    assert m.tsb(0.1, 0.2)(y) == pytest.approx(tsb)


def test_imapa_is_the_mean_of_adida_over_every_bucket_size():
    rng = np.random.default_rng(3)
    y = rng.poisson(0.4, (30, 29)).astype(float)  # 29 periods: most bucket sizes leave some out
    expected = np.mean([m.adida(k, 0.2)(y) for k in range(1, 13)], axis=0)
    assert m.imapa(12, 0.2)(y) == pytest.approx(expected)
    assert m.imapa(12, 0.2)(y[:, :5]) == pytest.approx(
        np.mean([m.adida(k, 0.2)(y[:, :5]) for k in range(1, 6)], axis=0))
