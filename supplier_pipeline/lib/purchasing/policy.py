"""Min/max replenishment: order when the inventory position falls to the reorder point,
up to the order-up-to level, in whole packs, from the best available offer."""

from __future__ import annotations

import math
from dataclasses import dataclass

from supplier_pipeline.lib.forecasting import lead_time_demand_quantile


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


def propose(position: PartPosition, offer: Offer, service_level: float = 0.95,
            review_days: int = 7) -> ProposalLine | None:
    """The order line for one part, or None when its inventory position is above the minimum."""
    demand = (position.mean_daily_demand if position.lead_time_rate is None
              else position.lead_time_rate)
    spread = position.demand_dispersion
    reorder_point = lead_time_demand_quantile(demand, offer.lead_time_days, service_level,
                                              spread)
    order_up_to = max(reorder_point + 1, lead_time_demand_quantile(
        demand, offer.lead_time_days + review_days, service_level, spread))
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
