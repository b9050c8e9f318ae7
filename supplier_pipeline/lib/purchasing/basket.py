"""Which supplier gets which quantity: the cheapest baskets across suppliers.

Given how many units each part needs, choose supplier and quantity per line to minimise goods
at their break prices plus shipping per supplier basket (free above the supplier's threshold),
with minimum order values, packs, the stock a shop shows, and optional rounding up (to the next
price break or towards free shipping) when it lowers the total and the extra units are within
a few days of forecast demand. A part is split across suppliers when one lacks the stock, and
back-ordered offers supply only what the offers on the shelf cannot.

It is a small mixed-integer programme solved by HiGHS (scipy's `milp`) with a time limit; the
greedy answer (each part from its cheapest landed offer) is the fallback and the yardstick.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

# A part that no eligible offer can fully cover costs this much per missing unit in the model,
# so the solver covers everything it can and reports the rest as short.
SHORTFALL_PENALTY = 1e6
# A back-ordered unit costs this much more in the model: the policy orders when the stock
# left covers only the lead time of an offer on the shelf, so a unit that arrives later is
# taken only when no offer on the shelf can supply it (its stock shown, its minimum order
# value), and still before leaving the unit short.
BACKORDER_PENALTY = 1e3


@dataclass(frozen=True)
class Term:
    """One offer's terms: the price per unit from `breaks` [(min_qty, unit_price)], ascending;
    the first break is the minimum order quantity."""

    part_id: str
    supplier_id: str
    supplier_sku: str
    breaks: tuple[tuple[int, float], ...]
    pack_size: int = 1
    stock_qty: int | None = None  # what the shop shows; None: it shows no number
    lead_time_days: int = 0  # a back-order's includes the days until the supplier has it
    backorder: bool = False

    def unit_price(self, quantity: int) -> float:
        price = self.breaks[0][1]
        for min_qty, tier_price in self.breaks:
            if quantity >= min_qty:
                price = tier_price
        return price


@dataclass(frozen=True)
class Shipping:
    fee: float = 0.0
    free_above: float | None = None  # goods value from which shipping is free
    min_order_value: float = 0.0
    handling_fee: float = 0.0  # per basket, shipped or not


@dataclass(frozen=True)
class Need:
    part_id: str
    quantity: int  # units the policy asks for
    extra_allowed: int = 0  # units beyond it that rounding may add (days of forecast demand)


@dataclass
class Line:
    part_id: str
    supplier_id: str
    supplier_sku: str
    quantity: int
    unit_price: float
    break_qty: int  # the break whose price applies
    rounded_up: int  # units beyond the need, bought because they lower the total


@dataclass
class Basket:
    lines: list[Line]
    shipping: dict[str, float]  # supplier -> shipping + handling paid
    goods: dict[str, float]  # supplier -> goods value
    short: dict[str, int] = field(default_factory=dict)  # part -> units no offer could cover
    method: str = "milp"  # milp | greedy
    gap: float = 0.0  # the solver's relative optimality gap (0 = proven optimal)

    @property
    def total(self) -> float:
        return sum(self.goods.values()) + sum(self.shipping.values())


def basket_cost(lines: list[Line], shipping: dict[str, Shipping]) -> tuple[dict, dict]:
    goods: dict[str, float] = defaultdict(float)
    for line in lines:
        goods[line.supplier_id] += line.quantity * line.unit_price
    paid = {}
    for supplier, value in goods.items():
        terms = shipping.get(supplier, Shipping())
        free = terms.free_above is not None and value >= terms.free_above - 1e-9
        paid[supplier] = (0.0 if free else terms.fee) + terms.handling_fee
    return dict(goods), paid


def greedy(needs: list[Need], terms: list[Term], shipping: dict[str, Shipping],
           prefer: str | None = None) -> Basket:
    """Each part from the offer that is cheapest for its quantity with a pro-rata share of
    shipping, then the next one while stock runs short (the yardstick and the fallback),
    offers on the shelf before back-orders. With `prefer`, from that supplier whenever it has
    the part on the shelf (how a shop buys from its usual wholesaler)."""
    by_part: dict[str, list[Term]] = defaultdict(list)
    for term in terms:
        by_part[term.part_id].append(term)
    lines, short = [], {}
    for need in needs:
        left = need.quantity

        def landed(term: Term, quantity: int) -> float:
            ship = shipping.get(term.supplier_id, Shipping())
            unit = term.unit_price(quantity)
            share = ship.fee * unit / max(ship.free_above or unit, unit)
            return unit + share

        offers = sorted(by_part.get(need.part_id, []),
                        key=lambda t: (t.backorder, t.supplier_id != prefer, landed(t, left)))
        for term in offers:
            if left <= 0:
                break
            quantity = _in_packs(max(left, term.breaks[0][0]), term.pack_size)
            if term.stock_qty is not None:
                quantity = min(quantity, term.stock_qty // term.pack_size * term.pack_size)
            if quantity <= 0:
                continue
            lines.append(Line(need.part_id, term.supplier_id, term.supplier_sku, quantity,
                              term.unit_price(quantity), _break_of(term, quantity),
                              max(quantity - left, 0)))
            left -= quantity
        if left > 0:
            short[need.part_id] = left
    lines = _drop_below_minimum(lines, shipping, short)
    goods, paid = basket_cost(lines, shipping)
    return Basket(lines, paid, goods, short, method="greedy")


def optimise(needs: list[Need], terms: list[Term], shipping: dict[str, Shipping],
             time_limit: float = 10.0) -> Basket:
    """The cheapest baskets; the greedy answer when the solver finds nothing better in time."""
    fallback = greedy(needs, terms, shipping)
    if not needs or not terms:
        return fallback
    try:
        solved = _solve(needs, terms, shipping, time_limit)
    except _NoSolution:
        return fallback
    backordered = {(t.supplier_id, t.supplier_sku) for t in terms if t.backorder}

    def worse(basket: Basket) -> tuple[int, int]:
        """What a basket leaves undone: units short, then units that arrive late."""
        late = sum(line.quantity for line in basket.lines
                   if (line.supplier_id, line.supplier_sku) in backordered)
        return sum(basket.short.values()), late

    if worse(solved) > worse(fallback) or (
            worse(solved) == worse(fallback) and solved.total > fallback.total + 1e-6):
        return fallback
    return solved


class _NoSolution(Exception):
    pass


def _solve(needs: list[Need], terms: list[Term], shipping: dict[str, Shipping],
           time_limit: float) -> Basket:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    need_of = {n.part_id: n for n in needs}
    terms = [t for t in terms if t.part_id in need_of]
    suppliers = sorted({t.supplier_id for t in terms})
    # variables: per (offer, tier) packs k and a binary "this tier is used"; per part a
    # shortfall; per supplier "basket open" and "free shipping reached"
    tiers = [(i, j) for i, t in enumerate(terms) for j in range(len(t.breaks))]
    n_k, n_parts, n_sup = len(tiers), len(needs), len(suppliers)
    k0, b0, s0 = 0, n_k, 2 * n_k
    y0, z0 = s0 + n_parts, s0 + n_parts + n_sup
    n = z0 + n_sup
    sup_index = {s: i for i, s in enumerate(suppliers)}
    of_offer, of_part, of_supplier = defaultdict(list), defaultdict(list), defaultdict(list)
    for v, (i, _) in enumerate(tiers):
        of_offer[i].append(v)
        of_part[terms[i].part_id].append(v)
        of_supplier[terms[i].supplier_id].append(v)
    cost = np.zeros(n)
    upper = np.full(n, 1.0)
    integrality = np.ones(n)
    rows: list[tuple[dict[int, float], float, float]] = []
    for v, (i, j) in enumerate(tiers):
        term = terms[i]
        need = need_of[term.part_id]
        cap = _most_to_buy(need, term)
        if term.stock_qty is not None:
            cap = min(cap, term.stock_qty)
        packs = cap // term.pack_size
        min_qty, price = term.breaks[j]
        late = BACKORDER_PENALTY if term.backorder else 0.0
        cost[k0 + v] = (price + late) * term.pack_size + 1e-4 * term.lead_time_days  # ties: sooner
        upper[k0 + v] = max(packs, 0)
        if len(term.breaks) > 1 or term.breaks[0][0] > 1:
            # a tier's quantity is at least its break and zero unless the tier is chosen
            rows.append(({k0 + v: term.pack_size, b0 + v: -float(min_qty)}, 0.0, np.inf))
            rows.append(({k0 + v: 1.0, b0 + v: -float(max(packs, 0))}, -np.inf, 0.0))
        else:
            upper[b0 + v] = 0.0  # one price: no tier to choose
        # the goods go into the supplier's basket only when it is open
        rows.append(({k0 + v: 1.0, y0 + sup_index[term.supplier_id]: -float(max(packs, 0))},
                     -np.inf, 0.0))
    for i in range(len(terms)):  # one tier per offer; stock shown caps every tier
        if len(of_offer[i]) > 1 or terms[i].breaks[0][0] > 1:
            rows.append(({b0 + v: 1.0 for v in of_offer[i]}, -np.inf, 1.0))
    for p, need in enumerate(needs):
        cover = {k0 + v: float(terms[tiers[v][0]].pack_size) for v in of_part[need.part_id]}
        cost[s0 + p] = SHORTFALL_PENALTY
        upper[s0 + p] = need.quantity
        rows.append(({**cover, s0 + p: 1.0}, float(need.quantity), np.inf))
        most = max((_most_to_buy(need, terms[tiers[v][0]]) for v in of_part[need.part_id]),
                   default=need.quantity)
        rows.append((cover, -np.inf, float(most)))
    for s, supplier in enumerate(suppliers):
        terms_s = shipping.get(supplier, Shipping())
        goods = {k0 + v: terms[tiers[v][0]].breaks[tiers[v][1]][1] * terms[tiers[v][0]].pack_size
                 for v in of_supplier[supplier]}
        cost[y0 + s] = terms_s.fee + terms_s.handling_fee
        if terms_s.free_above is not None:
            cost[z0 + s] = -terms_s.fee
            rows.append(({**goods, z0 + s: -terms_s.free_above}, 0.0, np.inf))
            rows.append(({z0 + s: 1.0, y0 + s: -1.0}, -np.inf, 0.0))
        else:
            upper[z0 + s] = 0.0
        if terms_s.min_order_value > 0:
            rows.append(({**goods, y0 + s: -terms_s.min_order_value}, 0.0, np.inf))
    for p in range(n_parts):
        integrality[s0 + p] = 0
    row_ids, column_ids, values = [], [], []
    for r, (coefficients, _, _) in enumerate(rows):
        row_ids.extend([r] * len(coefficients))
        column_ids.extend(coefficients)
        values.extend(coefficients.values())
    matrix = coo_matrix((values, (row_ids, column_ids)), shape=(len(rows), n))
    lower_rows = np.array([low for _, low, _ in rows])
    upper_rows = np.array([high for _, _, high in rows])
    result = milp(cost, integrality=integrality, bounds=Bounds(np.zeros(n), upper),
                  constraints=LinearConstraint(matrix.tocsr(), lower_rows, upper_rows),
                  options={"time_limit": time_limit, "disp": False})
    if result.x is None:
        raise _NoSolution(result.message)
    x = np.round(result.x).astype(int)
    lines = []
    for v, (i, j) in enumerate(tiers):
        packs = x[k0 + v]
        if packs <= 0:
            continue
        term = terms[i]
        quantity = int(packs * term.pack_size)
        lines.append(Line(term.part_id, term.supplier_id, term.supplier_sku, quantity,
                          term.breaks[j][1], term.breaks[j][0], 0))
    short = {needs[p].part_id: int(math.ceil(result.x[s0 + p] - 1e-6))
             for p in range(n_parts) if result.x[s0 + p] > 1e-6}
    _mark_rounding(lines, need_of)
    goods, paid = basket_cost(lines, shipping)
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    return Basket(lines, paid, goods, short, method="milp", gap=max(gap, 0.0))


def _mark_rounding(lines: list[Line], need_of: dict[str, Need]) -> None:
    """Units beyond the need are the last line's of the part (the solver chose them)."""
    bought: dict[str, int] = defaultdict(int)
    for line in lines:
        bought[line.part_id] += line.quantity
    for line in reversed(lines):
        extra = bought[line.part_id] - need_of[line.part_id].quantity
        if extra > 0:
            line.rounded_up = min(extra, line.quantity)
            bought[line.part_id] -= line.rounded_up


def _most_to_buy(need: Need, term: Term) -> int:
    """Beyond the need: the rounding allowed, what whole packs force, or the minimum order."""
    return max(need.quantity + max(need.extra_allowed, term.pack_size - 1),
               _in_packs(term.breaks[0][0], term.pack_size))


def _in_packs(quantity: int, pack: int) -> int:
    return math.ceil(quantity / pack) * pack


def _break_of(term: Term, quantity: int) -> int:
    applicable = [min_qty for min_qty, _ in term.breaks if quantity >= min_qty]
    return max(applicable) if applicable else term.breaks[0][0]


def _drop_below_minimum(lines: list[Line], shipping: dict[str, Shipping],
                        short: dict[str, int]) -> list[Line]:
    """The greedy basket cannot place an order under a supplier's minimum order value: those
    lines become short."""
    goods, _ = basket_cost(lines, shipping)
    kept = []
    for line in lines:
        minimum = shipping.get(line.supplier_id, Shipping()).min_order_value
        if goods[line.supplier_id] + 1e-9 < minimum:
            short[line.part_id] = short.get(line.part_id, 0) + line.quantity - line.rounded_up
            continue
        kept.append(line)
    return kept
