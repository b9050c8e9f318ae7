
import pandas as pd

from supplier_pipeline.lib.forecasting import forecast, lead_time_demand_quantile
from supplier_pipeline.lib.purchasing.policy import (
    Offer,
    PartPosition,
    parts_quantile,
    propose,
)


def test_forecast_shape_and_quantiles():
    history = pd.DataFrame({"unique_id": ["a"] * 3 + ["b"],
                            "ds": pd.to_datetime(["2026-01-01", "2026-01-05", "2026-01-10",
                                                  "2026-01-10"]),
                            "y": [2, 1, -3, 1]})
    out = forecast(history, horizon=7, freq="D", quantiles=[0.5, 0.9])
    assert list(out.columns) == ["unique_id", "ds", "mean", "q50", "q90"]
    assert len(out) == 14
    assert (out["q90"] >= out["q50"]).all() and (out[["mean", "q50"]] >= 0).all().all()
    # Series "a": 3 units over 10 days (the return of -3 counts as no demand).
    assert out.loc[out.unique_id == "a", "mean"].iloc[0] == 3 / 10
    assert out["ds"].min() == pd.Timestamp("2026-01-11")


def test_lead_time_quantile_grows_with_lead_time():
    assert lead_time_demand_quantile(0.5, 2, 0.95) <= lead_time_demand_quantile(0.5, 10, 0.95)
    assert lead_time_demand_quantile(0.0, 5, 0.99) == 0


def test_lead_time_quantiles_widen_with_overdispersed_demand():
    import numpy as np

    from supplier_pipeline.lib.forecasting.lead_time import dispersion, lead_time_quantiles

    steady = np.array([[1, 1, 0, 1, 1, 1, 0, 1] * 4], dtype=float)
    lumpy = np.array([[0, 0, 0, 6, 0, 0, 0, 0] * 4], dtype=float)
    assert dispersion(steady, 32)[0] == 1.0  # under-dispersed counts as Poisson
    assert dispersion(lumpy, 32)[0] > 4
    # Same mean (0.75/period), 10 periods: the lumpy part needs a higher reorder point.
    calm, spread = (lead_time_quantiles(np.array([0.75]), 10, dispersion(y, 32), [0.5, 0.95])[0]
                    for y in (steady, lumpy))
    assert spread[1] > calm[1] and spread[0] <= calm[0]
    phi = float(dispersion(lumpy, 32)[0])
    assert lead_time_demand_quantile(0.75, 10, 0.95, phi) == spread[1]
    # Its 95 % quantile covers 95 % of simulated totals with that mean and variance.
    rng = np.random.default_rng(3)
    totals = rng.negative_binomial(7.5 / (phi - 1), 1 / phi, size=20_000)
    assert 0.94 <= (totals <= spread[1]).mean() <= 0.97


def test_min_max_orders_up_to_in_whole_packs():
    offer = Offer("s", "SKU1", 10.0, lead_time_days=4, pack_size=5)
    low = PartPosition("p", mean_daily_demand=1.0, on_hand=1, on_order=0, reserved=2)
    line = propose(low, offer, service_level=0.95, review_days=7)
    assert line is not None
    assert line.quantity % 5 == 0
    assert low.inventory_position + line.quantity >= line.order_up_to
    assert "reserved 2" in line.reason and "packs of 5" in line.reason
    plenty = PartPosition("p", mean_daily_demand=1.0, on_hand=40, on_order=0, reserved=0)
    assert propose(plenty, offer) is None
    lumpy = PartPosition("p", mean_daily_demand=1.0, on_hand=1, on_order=0, reserved=2,
                         demand_dispersion=4.0)
    wide = propose(lumpy, offer, service_level=0.95, review_days=7)
    assert wide.reorder_point > line.reorder_point and "variance 4.0x" in wide.reason


def test_reorder_point_uses_the_lead_time_rate_of_a_part_forecast_at_zero():
    offer = Offer("s", "sku", 10.0, lead_time_days=20)
    asleep = PartPosition("p", mean_daily_demand=0.0, on_hand=0, on_order=0, reserved=0)
    assert propose(asleep, offer).reorder_point == 0
    waking = PartPosition("p", mean_daily_demand=0.0, on_hand=0, on_order=0, reserved=0,
                          lead_time_rate=0.1)
    # 20 days at 0.1 a day: 2 expected, the 95 % quantile of Poisson(2) is 5
    assert propose(waking, offer, quantile=0.95).reorder_point == 5
    assert propose(waking, offer).reorder_point > 0  # at its own quantile, planned alone
    # nothing to plan, or nothing demanded: the lowest quantile searched, no error
    assert parts_quantile([], []) == parts_quantile([asleep], [20]) == 0.5


def test_expected_shortfall_and_its_table_match_the_distribution():
    """E[(D - s)+] in closed form against simulated totals, and the tabulated distribution
    the policy's solve searches gives scipy's quantiles and the same shortfalls."""
    import numpy as np

    from supplier_pipeline.lib.forecasting.lead_time import (
        Tabulated,
        expected_shortfall,
        lead_time_quantiles,
    )

    rng = np.random.default_rng(2)
    rate, phi, stock = np.array([0.4, 0.4, 2.0, 0.0]), np.array([1.0, 6.0, 2.5, 3.0]), 3
    closed = expected_shortfall(rate, 5, phi, np.full(4, stock))
    draws = [rng.poisson(2.0, 400_000),
             rng.negative_binomial(2.0 / 5, 1 / 6, 400_000),
             rng.negative_binomial(10.0 / 1.5, 1 / 2.5, 400_000), np.zeros(1)]
    np.testing.assert_allclose(closed, [np.maximum(d - stock, 0).mean() for d in draws],
                               atol=0.01)
    many_rates = rng.gamma(0.6, 2.0, 500)
    spread = np.where(np.arange(500) % 2 == 0, 1.0, 1 + rng.gamma(0.8, 4.0, 500))
    table = Tabulated(many_rates, 2, spread, 0.5, 1 - 1e-6)
    for q in (0.5, 0.9, 0.99, 0.9999):
        exact = lead_time_quantiles(many_rates, 2, spread, [q])[:, 0]
        np.testing.assert_array_equal(table.quantile(q), exact)
        np.testing.assert_allclose(table.shortfall(exact),
                                   expected_shortfall(many_rates, 2, spread, exact), atol=1e-8)


