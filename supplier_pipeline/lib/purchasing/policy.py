"""Min/max replenishment: order when the inventory position falls to the reorder point,
up to the order-up-to level, in whole packs, from the best available offer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from supplier_pipeline.lib.forecasting.lead_time import Tabulated, lead_time_quantiles

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
    # variance-to-mean ratio of daily demand around the forecast (1 = Poisson)
    demand_dispersion: float = 1.0
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


# Target fill rate -> the fill rate the levels are solved for (`quantile_at_fill`). The
# solve reads the fill rate off the lead-time demand distribution, so with a right
# distribution this would be the identity; the table keeps what the backtest's realised fill
# rates say is left (bench/purchasing.py --calibrate prints it: lost sales, lead time =
# review = 1 period; real carparts demand, 2,509 monthly series, 18 months replayed, and the
# demo shop, 435 weekly series, 26 weeks). Realised per history (carparts / demo) at a
# setting of 0.9: 0.897 / 0.912, 0.95: 0.942 / 0.955, 0.96: 0.951 / 0.963, 0.99: 0.981 /
# 0.990, 0.997: 0.991 / 0.996, 0.999: 0.994 / 0.998. A target maps to the lowest swept
# setting at which both histories reached it (carparts', about a point above the demo's):
# 95 % -> 0.96 serves 95.1 % on carparts and 96.3 % on the demo, 99 % -> 0.997 serves 99.1 %
# and 99.6 %. Even at known Poisson rates a setting of 0.95 serves 0.946: the expected fill
# is a backorder approximation of min/max with lost sales. (At fixed quantiles, before the
# solve and the forecast's error were in, carparts needed 0.994 for 95 %, the demo 0.945.)
CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.0, 0.0), (0.5, 0.5), (0.7, 0.7), (0.8, 0.8), (0.9, 0.905), (0.95, 0.96), (0.975, 0.985),
    (0.99, 0.997), (0.995, 0.9995), (0.999, 0.9995), (1.0, 1.0),
)
QUANTILE_RANGE = (0.5, 1 - 1e-6)  # the quantiles the solve searches
SOLVE_STEPS = 24  # bisection steps on log(1 - quantile): finer than any whole unit needs


def calibrated(service_level: float) -> float:
    """The expected fill rate that delivers `service_level` as a realised fill rate."""
    targets, settings = zip(*CALIBRATION, strict=True)
    return float(np.interp(service_level, targets, settings))


def fill_quantile(rate, dispersion, lead_time, review: float, service_level: float) -> float:
    """The one quantile of lead-time demand at which these series, together, serve
    `service_level` of the units demanded from stock (through the calibration above)."""
    return quantile_at_fill(rate, dispersion, lead_time, review, calibrated(service_level))


def quantile_at_fill(rate, dispersion, lead_time, review: float, fill: float) -> float:
    """The lowest quantile of lead-time demand at which these series, together, are expected
    to serve `fill` of the units demanded.

    A fill rate is in units, and on lumpy demand most units come in rare big orders: at one
    quantile, a shop of lumpy parts serves far fewer of its units than one of steady parts
    (carparts 0.86 vs the demo shop's 0.96 at 0.95), so no fixed quantile means one fill rate.
    One quantile for all series, rather than one fill rate per series, puts the stock where a
    unit serves most: the fewest units for the fill rate, all series together.

    Expected fill: stock raised to S at a review lasts until the next order arrives, lead
    time + review later; what runs short in that time, less what had already run short
    before this order arrived (the cycle before's), is lost: E[(D_L+R - S)+] - E[(D_L - S)+]
    per review, against the review's demand."""
    rate = np.atleast_1d(np.asarray(rate, dtype=float))
    spread = np.atleast_1d(np.asarray(dispersion, dtype=float))
    demanded = float(np.maximum(rate, 0).sum() * review)
    if demanded <= 0:  # nothing to serve: any quantile does
        return QUANTILE_RANGE[0]
    lead = np.asarray(lead_time, dtype=float)
    over_lead, over_cycle = (Tabulated(rate, periods, spread, *QUANTILE_RANGE)
                             for periods in (lead, lead + review))

    def enough(log_miss: float) -> bool:  # log(1 - quantile)
        quantile = -np.expm1(log_miss)
        _, order_up_to = _min_max(over_lead.quantile(quantile), over_cycle.quantile(quantile))
        short = over_cycle.shortfall(order_up_to) - over_lead.shortfall(order_up_to)
        return float(np.maximum(short, 0).sum()) <= (1 - fill) * demanded

    short, met = (np.log1p(-q) for q in QUANTILE_RANGE)  # the highest quantile as "met"
    if enough(short):
        return QUANTILE_RANGE[0]
    for _ in range(SOLVE_STEPS):
        middle = (short + met) / 2
        short, met = (short, middle) if enough(middle) else (middle, met)
    return -float(np.expm1(met))


def levels(rate, dispersion, lead_time, review: float,
           service_level: float) -> tuple[np.ndarray, np.ndarray]:
    """(reorder points, order-up-to levels) in whole units for demand at `rate` per period
    with `dispersion` (variance-to-mean ratio) and `lead_time` periods (one number or one per
    series), one per series, set so that together they serve `service_level` of the units
    demanded from stock (`fill_quantile`)."""
    quantile = fill_quantile(rate, dispersion, lead_time, review, service_level)
    return levels_at(rate, dispersion, lead_time, review, quantile)


def levels_at(rate, dispersion, lead_time, review: float,
              quantile: float) -> tuple[np.ndarray, np.ndarray]:
    """The levels at one quantile: of demand over the lead time, and over the lead time plus
    one review period."""
    rate, spread = np.atleast_1d(rate).astype(float), np.atleast_1d(dispersion).astype(float)
    lead = np.asarray(lead_time, dtype=float)
    return _min_max(lead_time_quantiles(rate, lead, spread, [quantile])[:, 0],
                    lead_time_quantiles(rate, lead + review, spread, [quantile])[:, 0])


def _min_max(reorder_point: np.ndarray, cycle_quantile: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """The order-up-to level is at least one unit above the reorder point."""
    return reorder_point, np.maximum(reorder_point + 1, cycle_quantile)


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


def _demand(position: PartPosition) -> float:
    return (position.mean_daily_demand if position.lead_time_rate is None
            else position.lead_time_rate)


def parts_quantile(positions: Sequence[PartPosition], lead_time_days: Sequence[int],
                   service_level: float = 0.95, review_days: int = 7) -> float:
    """`fill_quantile` of parts planned together, each at its offer's lead time: the quantile
    `propose` sets every one of them at."""
    return fill_quantile([_demand(p) for p in positions],
                         [p.demand_dispersion for p in positions], list(lead_time_days),
                         review_days, service_level)


def propose(position: PartPosition, offer: Offer, service_level: float = 0.95,
            review_days: int = 7, quantile: float | None = None) -> ProposalLine | None:
    """The order line for one part, or None when its inventory position is above the minimum.
    `quantile`: the one of all parts planned with it (`parts_quantile`); without it, the
    part's own, as if it were the only one."""
    demand, spread = _demand(position), position.demand_dispersion
    if quantile is None:
        quantile = parts_quantile([position], [offer.lead_time_days], service_level,
                                  review_days)
    points, tops = levels_at(demand, spread, offer.lead_time_days, review_days, quantile)
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
              f"{reorder_point} (quantile {quantile:.3f} of {offer.lead_time_days}-day demand "
              f"at {rate}, for a {service_level:.0%} fill rate); up to {order_up_to} over "
              f"lead time + {review_days} days" + (f", in packs of {pack}" if pack > 1 else ""))
    return ProposalLine(position.part_id, offer.supplier_id, offer.supplier_sku, quantity,
                        offer.unit_price, reorder_point, order_up_to, reason)
