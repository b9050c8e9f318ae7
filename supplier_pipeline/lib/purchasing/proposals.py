"""Turn part positions and best offers into proposal lines."""

from __future__ import annotations

import pandas as pd

from supplier_pipeline.lib.purchasing.policy import Offer, PartPosition, propose


def build_proposals(positions: pd.DataFrame, best_offers: pd.DataFrame,
                    service_level: float, review_days: int) -> list[dict]:
    """One dict per line to order; parts with no available offer are left out."""
    offers = {row.part_id: row for row in best_offers.itertuples(index=False)}
    lines = []
    for row in positions.itertuples(index=False):
        best = offers.get(row.part_id)
        if best is None:
            continue
        position = PartPosition(row.part_id, float(row.mean_daily_demand), int(row.on_hand),
                                int(row.on_order), int(row.reserved),
                                float(row.demand_dispersion), float(row.lead_time_rate))
        offer = Offer(best.supplier_id, best.supplier_sku, float(best.price_net),
                      int(best.lead_time_days), int(best.pack_size or 1))
        line = propose(position, offer, service_level, review_days)
        if line is None:
            continue
        lines.append({"supplier_id": line.supplier_id, "part_id": line.part_id,
                      "supplier_sku": line.supplier_sku, "quantity": line.quantity,
                      "unit_price": line.unit_price, "on_hand": position.on_hand,
                      "on_order": position.on_order, "reserved": position.reserved,
                      "reorder_point": line.reorder_point, "order_up_to": line.order_up_to,
                      "reason": line.reason})
    return lines
