"""Min/max replenishment: order when the inventory position falls to the reorder point,
up to the order-up-to level, in whole packs, from the best available offer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from supplier_pipeline.lib.forecasting.lead_time import lead_time_quantiles

if TYPE_CHECKING:
    import pandas as pd

    from supplier_pipeline.lib.forecasting.auto import Choice


@dataclass(frozen=True)
class PartPosition:
    part_id: str
    mean_daily_demand: float
    on_hand: int
    on_order: int
    reserved: int  # units needed by repairs waiting for the part
    demand_dispersion: float = 1.0  # variance-to-mean ratio of daily demand (1 = Poisson)
    # daily rate for lead-time demand: the mean, or for a part forecast at zero the rate at
    # which such parts sold again (None: the mean)
    lead_time_rate: float | None = None

    @property
    def inventory_position(self) -> int:
        return self.on_hand + self.on_order - self.reserved


@dataclass(frozen=True)
class Offer:
    supplier_id: str
    supplier_sku: str
    unit_price: float
    lead_time_days: int
    pack_size: int = 1


@dataclass(frozen=True)
class ProposalLine:
    part_id: str
    supplier_id: str
    supplier_sku: str
    quantity: int
    unit_price: float
    reorder_point: int
    order_up_to: int
    reason: str


# Target fill rate -> the quantile of lead-time demand the levels are set at. Read from the
# backtest's realised fill rates (bench/purchasing.py --calibrate, project policy at raw
# quantiles, lost sales, lead time = review = 1 period): the fill rate pooled over its two
# histories, real carparts demand (2,509 monthly series, 18 months replayed) and the demo
# shop (435 weekly series, 26 weeks), with equal weight. Per history (carparts / demo) at
# raw 0.9: 0.788 / 0.919, 0.95: 0.856 / 0.957, 0.975: 0.905 / 0.975, 0.99: 0.940 / 0.990,
# 0.999: 0.974 / 0.998. No single mapping serves both: carparts needs 0.994 for 95 %, the
# demo 0.945, because the forecast misses real demand's level shifts and the quantile
# carries only the demand noise around the forecast; pooled, 95 % misses by ~3 points either
# way (README: "Replenishment policy and its backtest").
CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.0, 0.0), (0.578, 0.5), (0.697, 0.7), (0.770, 0.8), (0.853, 0.9), (0.906, 0.95),
    (0.940, 0.975), (0.965, 0.99), (0.975, 0.995), (0.986, 0.999), (0.989, 0.9995),
    (1.0, 0.9999),
)


def quantile_for(service_level: float) -> float:
    """The quantile of lead-time demand that delivers `service_level` as a fill rate."""
    targets, quantiles = zip(*CALIBRATION, strict=True)
    return float(np.interp(service_level, targets, quantiles))


def levels(rate, dispersion, lead_time: float, review: float,
           service_level: float) -> tuple[np.ndarray, np.ndarray]:
    """(reorder points, order-up-to levels) in whole units for demand at `rate` per period
    with `dispersion` (variance-to-mean ratio), one per series, set so that `service_level`
    of the units demanded are served from stock (through the calibration above)."""
    return levels_at(rate, dispersion, lead_time, review, quantile_for(service_level))


def levels_at(rate, dispersion, lead_time: float, review: float,
              quantile: float) -> tuple[np.ndarray, np.ndarray]:
    """The levels at one quantile: of demand over the lead time, and over the lead time plus
    one review period (at least one unit more)."""
    rate, spread = np.atleast_1d(rate).astype(float), np.atleast_1d(dispersion).astype(float)
    reorder_point = lead_time_quantiles(rate, lead_time, spread, [quantile])[:, 0]
    order_up_to = np.maximum(reorder_point + 1, lead_time_quantiles(
        rate, lead_time + review, spread, [quantile])[:, 0])
    return reorder_point, order_up_to


def demand_inputs(y: np.ndarray, freq: str, choice: Choice | None = None
                  ) -> tuple[np.ndarray, np.ndarray, Choice]:
    """Per row of `y` (series x periods on one calendar): the lead-time rate and dispersion
    that `forecast(..., with_details=True)` reports, and the fitted choice of methods. Given
    a `choice` fitted earlier, it is reused (the forecast rolled forward, not refitted)."""
    from supplier_pipeline.lib.forecasting.auto import lead_time_rate, predict
    from supplier_pipeline.lib.forecasting.core import fit
    from supplier_pipeline.lib.forecasting.lead_time import lead_time_dispersion

    choice = choice or fit(y, 1, freq)
    level = predict(y, choice, [0.5])[0]
    return lead_time_rate(level, choice), lead_time_dispersion(y, choice), choice


def order_up_to_levels(history: pd.DataFrame, lead_time: float, review: float,
                       service_level: float = 0.95, freq: str = "D") -> pd.DataFrame:
    """The policy on a demand history: long `unique_id, ds, y` in periods of `freq`, lead time
    and review in periods -> one row per `unique_id` with `reorder_point` and `order_up_to`,
    from the same forecast and the same `levels` the purchase proposals use."""
    import pandas as pd

    from supplier_pipeline.lib.forecasting import forecast

    if history.empty:
        return pd.DataFrame(columns=["unique_id", "reorder_point", "order_up_to"])
    predicted = forecast(history, horizon=1, freq=freq, quantiles=(0.5,), with_details=True)
    reorder_point, order_up_to = levels(predicted["lead_time_rate"], predicted["dispersion"],
                                        lead_time, review, service_level)
    return pd.DataFrame({"unique_id": predicted["unique_id"].to_numpy(),
                         "reorder_point": reorder_point, "order_up_to": order_up_to})


def propose(position: PartPosition, offer: Offer, service_level: float = 0.95,
            review_days: int = 7) -> ProposalLine | None:
    """The order line for one part, or None when its inventory position is above the minimum."""
    demand = (position.mean_daily_demand if position.lead_time_rate is None
              else position.lead_time_rate)
    spread = position.demand_dispersion
    points, tops = levels(demand, spread, offer.lead_time_days, review_days, service_level)
    reorder_point, order_up_to = int(points[0]), int(tops[0])
    ip = position.inventory_position
    if ip > reorder_point:
        return None
    pack = max(offer.pack_size, 1)
    quantity = math.ceil((order_up_to - ip) / pack) * pack
    rate = f"{demand:.2f}/day" + (f", variance {spread:.1f}x the mean" if spread > 1.05
                                  else "")
    reason = (f"inventory position {ip} (on hand {position.on_hand} + on order "
              f"{position.on_order} - reserved {position.reserved}) <= reorder point "
              f"{reorder_point} ({service_level:.0%} of {offer.lead_time_days}-day demand at "
              f"{rate}); up to {order_up_to} over lead time + {review_days} days"
              + (f", in packs of {pack}" if pack > 1 else ""))
    return ProposalLine(position.part_id, offer.supplier_id, offer.supplier_sku, quantity,
                        offer.unit_price, reorder_point, order_up_to, reason)
