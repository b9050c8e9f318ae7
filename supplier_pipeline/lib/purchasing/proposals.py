"""Turn part positions and the offers' terms into proposal lines: what each part needs (the
policy), then who supplies it at which quantity (the basket), within the budget, every line
saying why."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from supplier_pipeline.lib.purchasing.basket import Basket, Need, Shipping, Term, optimise
from supplier_pipeline.lib.purchasing.policy import Offer, PartPosition, parts_quantile, propose
from supplier_pipeline.lib.warehouse import Warehouse

# The basket considers each part's cheapest few eligible offers (landed): a dearer one wins
# only by filling a basket, which the top few already can; it keeps big runs solvable.
MAX_OFFERS_PER_PART = 3


@dataclass(frozen=True)
class ProposalSettings:
    service_level: float = 0.95
    review_days: int = 7
    rounding_days: float = 14.0  # extra units rounding may add, in days of forecast demand
    budget: float | None = None  # for this run's goods + shipping
    time_limit_seconds: float = 10.0


@dataclass
class Proposal:
    lines: list[dict]
    basket: Basket | None
    deferred: list[dict] = field(default_factory=list)  # lines the budget left for later
    no_offer: dict[str, str] = field(default_factory=dict)  # part -> why nothing is eligible


# POs of this week that are committed (approved or beyond): what the weekly budget has left.
SPENT_THIS_WEEK_SQL = """
select coalesce(sum(total), 0) as spent from purchasing.purchase_orders
where state in ('approved', 'sent', 'acknowledged', 'partly_received', 'received')
  and created_at >= ?
"""


def budget_for_run(store: Warehouse, per_run: float | None, per_week: float | None,
                   now: datetime) -> float | None:
    """What this run may propose: the smaller of the run's budget and what the week's (from
    Monday) has left after the POs already committed; None when neither is set."""
    budgets = [per_run] if per_run is not None else []
    if per_week is not None:
        monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
        spent = 0.0
        if store.table_exists("purchasing.purchase_orders"):
            spent = float(store.read(SPENT_THIS_WEEK_SQL, [monday])["spent"].iloc[0])
        budgets.append(max(per_week - spent, 0.0))
    return min(budgets) if budgets else None


def offer_terms(row) -> Term:
    """A mart_offer_terms row as a Term: the base price from the minimum order quantity, then
    each break above it; lines in whole packs times the supplier's order multiple."""
    minimum = max(_whole(row.min_order_quantity, 1), 1)
    breaks = {minimum: float(row.price_net)}
    for tier in json.loads(row.price_breaks) if isinstance(row.price_breaks, str) else []:
        if tier.get("price_net") is not None and int(tier["min_qty"]) > minimum:
            breaks[int(tier["min_qty"])] = min(float(tier["price_net"]),
                                               breaks.get(int(tier["min_qty"]), math.inf))
    pack = max(_whole(row.pack_size, 1), 1) * max(_whole(row.order_multiple, 1), 1)
    stock = None if pd.isna(row.stock_qty) else int(row.stock_qty)
    return Term(row.part_id, row.supplier_id, row.supplier_sku,
                tuple(sorted(breaks.items())), pack, stock, _whole(row.lead_time_days, 0),
                backorder=row.stock_state == "backorder")


def _whole(value, missing: int) -> int:
    return missing if value is None or pd.isna(value) else int(value)


def shipping_terms(terms: pd.DataFrame) -> dict[str, Shipping]:
    by_supplier = terms.drop_duplicates("supplier_id").set_index("supplier_id")
    return {supplier: Shipping(fee=float(row.shipping_fee or 0),
                               free_above=(None if pd.isna(row.free_shipping_above)
                                           else float(row.free_shipping_above)),
                               min_order_value=float(row.min_order_value or 0),
                               handling_fee=float(row.handling_fee or 0))
            for supplier, row in by_supplier.iterrows()}


def build_proposals(positions: pd.DataFrame, terms: pd.DataFrame,
                    settings: ProposalSettings) -> Proposal:
    """`positions`: mart_inventory_position with the forecast's demand per part; `terms`:
    mart_offer_terms. Parts with no eligible offer are listed in `no_offer`, never ordered."""
    eligible = terms[terms["is_eligible"].astype(bool)]
    # Offers on the shelf first: the policy plans with the first offer's lead time, so a
    # back-order (its wait included) sets it only when no one has the part on the shelf.
    ranked = eligible.assign(backorder=eligible["stock_state"] == "backorder").sort_values(
        ["part_id", "backorder", "landed_unit_price", "supplier_id"])
    offers_of: dict[str, list] = {}  # part -> its eligible offers, shelf first, then cheapest
    for offer in ranked.itertuples(index=False):
        offers_of.setdefault(offer.part_id, []).append(offer)
    reasons_of = terms.dropna(subset=["ineligible_reason"]).groupby("part_id")[
        "ineligible_reason"].agg(lambda r: "; ".join(sorted(set(r))))
    needs, policy_lines, priorities = [], {}, {}
    no_offer = {}
    planned = {}  # part -> its position and best offer: all set at one quantile
    for row in positions.itertuples(index=False):
        if row.part_id not in offers_of:
            if row.part_id in reasons_of.index and _needs_stock(row):
                no_offer[row.part_id] = reasons_of[row.part_id]
            continue
        planned[row.part_id] = (row, PartPosition(
            row.part_id, float(row.mean_daily_demand), int(row.on_hand), int(row.on_order),
            int(row.reserved), float(row.demand_dispersion), float(row.lead_time_rate)),
            offers_of[row.part_id][0])
    quantile = parts_quantile([position for _, position, _ in planned.values()],
                              [int(best.lead_time_days) for *_, best in planned.values()],
                              settings.service_level, settings.review_days)
    for row, position, best in planned.values():
        line = propose(position, Offer(best.supplier_id, best.supplier_sku,
                                       float(best.price_net), int(best.lead_time_days)),
                       settings.service_level, settings.review_days, quantile)
        if line is None:
            continue
        quantity = line.order_up_to - position.inventory_position
        rate = max(float(row.mean_daily_demand), 0.0)
        needs.append(Need(row.part_id, quantity, int(rate * settings.rounding_days)))
        policy_lines[row.part_id] = (line, position)
        priorities[row.part_id] = _priority(position, int(best.lead_time_days),
                                            float(best.landed_unit_price))
    needs, deferred = _within_budget(needs, priorities, offers_of, settings.budget)
    shipping = shipping_terms(terms) if len(terms) else {}
    part_terms = [offer_terms(row) for need in needs
                  for row in offers_of[need.part_id][:MAX_OFFERS_PER_PART]]
    basket = optimise(needs, part_terms, shipping, settings.time_limit_seconds)
    if settings.budget is not None:
        basket, more = _trim_to_budget(basket, needs, part_terms, shipping, priorities,
                                       settings)
        deferred += more
    lines = [_explained(line, policy_lines[line.part_id], offers_of[line.part_id], basket)
             for line in basket.lines]
    return Proposal(lines, basket, deferred, no_offer)


def _needs_stock(row) -> bool:
    return int(row.on_hand) + int(row.on_order) - int(row.reserved) <= 0 or (
        float(row.mean_daily_demand) > 0)


def _priority(position: PartPosition, lead_time_days: int,
              unit_price: float) -> tuple[int, float]:
    """What a stock-out costs, to keep lines in that order under a budget: parts with repairs
    waiting first, then the chance of running out before the order arrives x its value."""
    from scipy.stats import nbinom, poisson

    rate = (position.lead_time_rate if position.lead_time_rate is not None
            else position.mean_daily_demand)
    mu = max(rate, 0.0) * lead_time_days
    ip = position.inventory_position
    phi = max(position.demand_dispersion, 1.0)
    if mu <= 0:
        stockout = 1.0 if ip < 0 else 0.0
    elif phi > 1.05:
        stockout = float(nbinom.sf(ip, mu / (phi - 1), 1 / phi))
    else:
        stockout = float(poisson.sf(ip, mu))
    return (1 if position.reserved > 0 else 0, stockout * unit_price)


def _within_budget(needs: list[Need], priorities: dict, offers_of: dict[str, list],
                   budget: float | None) -> tuple[list[Need], list[dict]]:
    """Needs in order of priority while their estimated landed cost fits the budget."""
    if budget is None:
        return needs, []
    kept, deferred, spent = [], [], 0.0
    for need in sorted(needs, key=lambda n: priorities[n.part_id], reverse=True):
        estimate = need.quantity * float(offers_of[need.part_id][0].landed_unit_price)
        if spent + estimate <= budget:
            kept.append(need)
            spent += estimate
        else:
            deferred.append(_deferral(need, priorities, f"over the budget of {budget:.2f}: "
                                      f"{estimate:.2f} more after {spent:.2f} kept"))
    return kept, deferred


def _trim_to_budget(basket: Basket, needs: list[Need], terms: list[Term],
                    shipping: dict[str, Shipping], priorities: dict,
                    settings: ProposalSettings) -> tuple[Basket, list[dict]]:
    """Shipping can push the real basket over the budget: drop the least urgent part and
    solve again until it fits."""
    deferred = []
    while basket.total > settings.budget + 1e-6 and needs:
        last = min(needs, key=lambda n: priorities[n.part_id])
        needs = [n for n in needs if n is not last]
        deferred.append(_deferral(last, priorities, f"over the budget of "
                                  f"{settings.budget:.2f} once shipping is counted"))
        basket = optimise(needs, [t for t in terms if t.part_id != last.part_id], shipping,
                          settings.time_limit_seconds)
    return basket, deferred


def _deferral(need: Need, priorities: dict, why: str) -> dict:
    waiting, risk = priorities[need.part_id]
    return {"part_id": need.part_id, "quantity": need.quantity, "reason": why,
            "repairs_waiting": bool(waiting), "expected_stockout_cost": round(risk, 2)}


def _explained(line, policy: tuple, offers: list, basket: Basket) -> dict:
    """The proposal row, its reason saying how the line was decided."""
    decided, position = policy
    others = [offer for offer in offers if offer.supplier_id != line.supplier_id]
    landed = _landed(line.unit_price, line.supplier_id, basket)
    parts = [decided.reason.split("; up to")[0] + f"; up to {decided.order_up_to}",
             f"{line.supplier_id} at {line.unit_price:.2f}"
             + (f" (break from {line.break_qty})" if line.break_qty > 1 else "")
             + f", {landed:.2f} landed"]
    if others:
        runner = others[0]
        parts.append(f"runner-up {runner.supplier_id} at {float(runner.landed_unit_price):.2f}"
                     " landed")
    parts += _backorder_notes(line, offers)
    if line.rounded_up:
        parts.append(f"{line.rounded_up} more than needed: cheaper in total (break or free "
                     "shipping)")
    if position.reserved:
        parts.append(f"{position.reserved} reserved by repairs waiting")
    return {"supplier_id": line.supplier_id, "part_id": line.part_id,
            "supplier_sku": line.supplier_sku, "quantity": line.quantity,
            "unit_price": round(line.unit_price, 2), "on_hand": position.on_hand,
            "on_order": position.on_order, "reserved": position.reserved,
            "reorder_point": decided.reorder_point, "order_up_to": decided.order_up_to,
            "reason": "; ".join(parts)}


def _backorder_notes(line, offers: list) -> list[str]:
    """A back-order chosen, with its date and the lead time it makes; else the cheaper
    back-orders left for an offer on the shelf."""
    chosen = next(o for o in offers
                  if (o.supplier_id, o.supplier_sku) == (line.supplier_id, line.supplier_sku))
    if chosen.backorder:
        return [f"back-order: {chosen.supplier_id} expects it on "
                f"{pd.Timestamp(chosen.backorder_until):%Y-%m-%d}, "
                f"{int(chosen.lead_time_days)} days to arrive "
                f"({int(chosen.days_until_available)} until then + "
                f"{int(chosen.supplier_lead_time_days)} delivery)"]
    return [f"back-order {o.supplier_id} at {float(o.landed_unit_price):.2f} landed "
            f"(expected {pd.Timestamp(o.backorder_until):%Y-%m-%d}) passed over: offers on "
            "the shelf first" for o in offers
            if o.backorder and o.landed_unit_price < chosen.landed_unit_price]


def _landed(unit_price: float, supplier: str, basket: Basket) -> float:
    goods = basket.goods.get(supplier, 0.0)
    share = basket.shipping.get(supplier, 0.0) * unit_price / goods if goods else 0.0
    return unit_price + share
