"""Replay a demand history under a replenishment policy, with only what was known each day.

The replay is a matrix of demand (series x periods). From period `start` on, every `review`
periods a policy sees the demand up to the period before and decides what to order; an order
placed at the start of period t is on the shelf at the start of period t + lead time (the lead
time of the supplier it is bought from), so it serves demand from then on. Demand is served
from stock on hand only; what stock cannot serve is lost (a repair shop's customer goes
elsewhere), not back-ordered. Each policy starts with its own order-up-to level on hand.

Policies say, per series and review, how many units to order given the inventory position
(on hand + on order); which supplier a series is bought from is the policy's too, and the
spend is goods at that supplier's price plus one shipping fee per supplier basket (one per
review and supplier) below its free-shipping threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Supplier:
    supplier_id: str
    lead_time: int  # periods
    shipping_fee: float = 0.0
    free_shipping_above: float = float("inf")


@dataclass(frozen=True)
class Market:
    """What can be bought: `prices` (series x suppliers, NaN where a supplier does not carry
    the series), pack sizes alike, and the value of a unit on the shelf."""

    suppliers: list[Supplier]
    prices: np.ndarray
    packs: np.ndarray | None = None

    @property
    def lead_times(self) -> np.ndarray:
        return np.array([s.lead_time for s in self.suppliers])

    def cheapest(self) -> np.ndarray:
        """Per series, the supplier with the lowest unit price (as mart_best_offer ranks)."""
        return np.nanargmin(np.where(np.isnan(self.prices), np.inf, self.prices), axis=1)

    def single(self) -> np.ndarray:
        """Per series, the supplier carrying most series; elsewhere the cheapest."""
        main = int(np.argmax((~np.isnan(self.prices)).sum(axis=0)))
        return np.where(np.isnan(self.prices[:, main]), self.cheapest(), main)

    def unit_value(self) -> np.ndarray:
        """Value of a unit in stock: the mean of its offers' prices, the same for every policy."""
        return np.nanmean(self.prices, axis=1)


# A policy's decision at one review: (period t, demand known so far y[:, :t], inventory
# position) -> units to order per series.
Decide = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Policy:
    name: str
    decide: Decide
    supplier: np.ndarray  # per series, index into Market.suppliers
    initial: Callable[[np.ndarray], np.ndarray]  # demand known at start -> units on hand
    target: float | None = None  # the service level it is set to, if any
    extra: dict = field(default_factory=dict)


def min_max(levels: Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> Decide:
    """Order up to S when the inventory position is at or below s, with (s, S) = levels."""
    def decide(t: int, known: np.ndarray, position: np.ndarray) -> np.ndarray:
        reorder_point, order_up_to = levels(t, known)
        return np.where(position <= reorder_point, np.maximum(order_up_to - position, 0), 0)
    return decide


def fixed_quantity(minimum: np.ndarray, quantity: np.ndarray) -> Decide:
    """The owner's rule: order `quantity` when the inventory position is below `minimum`."""
    def decide(t: int, known: np.ndarray, position: np.ndarray) -> np.ndarray:
        return np.where(position < minimum, quantity, 0)
    return decide


def perfect_foresight(demand: np.ndarray, lead_time: np.ndarray, review: int) -> Decide:
    """Knows the future: orders exactly the demand between this order's arrival and the next
    one's, less what will be left then. Serves everything, with the least stock ordering at
    reviews allows (a bound, not a policy)."""
    cumulative = np.concatenate([np.zeros((len(demand), 1)), demand.cumsum(axis=1)], axis=1)
    rows = np.arange(len(demand))
    last = demand.shape[1]

    def window(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        return (cumulative[rows, np.clip(stop, 0, last)]
                - cumulative[rows, np.clip(start, 0, last)])

    def decide(t: int, known: np.ndarray, position: np.ndarray) -> np.ndarray:
        arrival = t + lead_time
        left = position - window(np.full(len(rows), t), arrival)
        return np.maximum(window(arrival, arrival + review) - left, 0)
    return decide


@dataclass
class Replay:
    """What happened under one policy, period by period (series x replayed periods)."""

    demand: np.ndarray
    served: np.ndarray
    on_hand: np.ndarray  # at the end of each period
    ordered: np.ndarray  # units ordered at the start of each period
    arrived: np.ndarray
    spend_goods: float
    spend_shipping: float
    baskets: int


def replay(demand: np.ndarray, policy: Policy, market: Market, start: int,
           review: int = 1) -> Replay:
    """Run `policy` on `demand` from period `start` to the end, reviewing every `review`
    periods."""
    n, periods = demand.shape
    lead = market.lead_times[policy.supplier]
    rows = np.arange(n)
    price = market.prices[rows, policy.supplier]
    pack = (np.ones(n, dtype=int) if market.packs is None
            else np.maximum(market.packs[rows, policy.supplier], 1).astype(int))
    pipeline = np.zeros((n, periods + int(lead.max()) + 1))
    stock = np.asarray(policy.initial(demand[:, :start]), dtype=float).copy()
    span = periods - start
    served, on_hand, ordered, arrived = (np.zeros((n, span)) for _ in range(4))
    goods = shipping = 0.0
    baskets = 0
    for k, t in enumerate(range(start, periods)):
        arrived[:, k] = pipeline[:, t]
        stock += pipeline[:, t]
        if k % review == 0:
            position = stock + pipeline[:, t + 1:].sum(axis=1)
            quantity = np.asarray(policy.decide(t, demand[:, :t], position), dtype=float)
            quantity = np.ceil(np.maximum(quantity, 0) / pack) * pack
            pipeline[rows, t + lead] += quantity
            ordered[:, k] = quantity
            value = quantity * price
            goods += float(value.sum())
            for s, supplier in enumerate(market.suppliers):
                mine = (policy.supplier == s) & (quantity > 0)
                if mine.any():
                    baskets += 1
                    if value[mine].sum() < supplier.free_shipping_above:
                        shipping += supplier.shipping_fee
        served[:, k] = np.minimum(stock, demand[:, t])
        stock -= served[:, k]
        on_hand[:, k] = stock
    return Replay(demand[:, start:], served, on_hand, ordered, arrived, goods, shipping,
                  baskets)


def summarise(result: Replay, unit_value: np.ndarray, review: int = 1) -> dict[str, float]:
    """Fill rate (units served from stock / demanded); cycle service level (share of review
    cycles with demand in which no demand was lost); average stock at the end of a period,
    in units and at each unit's value; stock-outs (series-periods with demand lost); order
    lines; supplier baskets; goods and shipping spend."""
    demanded = result.demand.sum()
    span = result.demand.shape[1] - result.demand.shape[1] % review
    cycles = lambda a: a[:, :span].reshape(len(a), -1, review).sum(axis=2)  # noqa: E731
    cycle_demand = cycles(result.demand)
    cycle_lost = cycle_demand - cycles(result.served)
    with_demand = cycle_demand > 0
    lost = result.demand - result.served
    return {
        "fill_rate": float(result.served.sum() / demanded) if demanded else 1.0,
        "cycle_service": float((cycle_lost[with_demand] < 1e-9).mean()) if with_demand.any()
        else 1.0,
        "avg_units": float(result.on_hand.sum(axis=0).mean()),
        "avg_value": float((result.on_hand * unit_value[:, None]).sum(axis=0).mean()),
        "stockouts": int((lost > 1e-9).sum()),
        "order_lines": int((result.ordered > 0).sum()),
        "baskets": result.baskets,
        "goods": result.spend_goods, "shipping": result.spend_shipping,
        "spend": result.spend_goods + result.spend_shipping,
    }


def equal_fill(sweep: pd.DataFrame, fill_rate: float, column: str = "avg_units") -> float:
    """`column` of a swept policy interpolated at `fill_rate` (NaN outside the sweep)."""
    ordered = sweep.sort_values("fill_rate")
    x, y = ordered["fill_rate"].to_numpy(), ordered[column].to_numpy()
    if len(x) == 0 or fill_rate < x[0] or fill_rate > x[-1]:
        return float("nan")
    return float(np.interp(fill_rate, x, y))


class ForecastInputs:
    """The project's forecast as the replay sees it: refitted every `refit_every` reviews
    (choosing the methods is the slow part: ~30 s on carparts) and rolled forward with the
    latest demand at every review in between; one fit serves every policy and target."""

    def __init__(self, freq: str, refit_every: int = 1):
        self.freq, self.refit_every = freq, refit_every
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._choice, self._reviews = None, 0

    def __call__(self, t: int, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from supplier_pipeline.lib.purchasing.policy import demand_inputs

        if t not in self._cache:
            refit = self._choice is None or self._reviews % self.refit_every == 0
            rate, spread, self._choice = demand_inputs(known, self.freq,
                                                       None if refit else self._choice)
            self._reviews += 1
            self._cache[t] = (rate, spread)
        return self._cache[t]


def project_policy(name: str, inputs: ForecastInputs, lead_time: np.ndarray, review: int,
                   supplier: np.ndarray, target: float, raw_fill: float | None = None
                   ) -> Policy:
    """The project's levels (`policy.levels`, as order_up_to_levels and the proposals set
    them) at `target`, or, when calibrating, at the quantile whose expected fill is
    `raw_fill` (no calibration). One quantile for all series, each at its own lead time."""
    from supplier_pipeline.lib.purchasing.policy import levels, levels_at, quantile_at_fill

    def at(t: int, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rate, spread = inputs(t, known)
        if raw_fill is None:
            return levels(rate, spread, lead_time, review, target)
        quantile = quantile_at_fill(rate, spread, lead_time, review, raw_fill)
        return levels_at(rate, spread, lead_time, review, quantile)

    return Policy(name, min_max(at), supplier,
                  lambda known: at(known.shape[1], known)[1], target)


def moving_average_policy(name: str, window: int, lead_time: np.ndarray, review: int,
                          supplier: np.ndarray, target: float) -> Policy:
    """Textbook (s, S): the mean of the last `window` periods with normal safety stock,
    z(target) x the periods' standard deviation x sqrt(periods covered)."""
    from scipy.stats import norm

    z = float(norm.ppf(target))

    def at(t: int, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        recent = known[:, -window:]
        mean, sd = recent.mean(axis=1), recent.std(axis=1, ddof=1)
        point = np.ceil(mean * lead_time + z * sd * np.sqrt(lead_time))
        top = np.ceil(mean * (lead_time + review) + z * sd * np.sqrt(lead_time + review))
        return point, np.maximum(top, point + 1)

    return Policy(name, min_max(at), supplier, lambda known: at(known.shape[1], known)[1],
                  target)


def owners_rule(name: str, known: np.ndarray, lead_time: np.ndarray, review: int,
                supplier: np.ndarray, cover: float) -> Policy:
    """The owner's hand rule: per part a fixed minimum, `cover` times the demand he has seen
    per lead time + review, and a fixed quantity, one review's demand (at least one unit);
    parts never sold are not stocked."""
    rate = known.mean(axis=1)
    minimum = np.ceil(cover * rate * (lead_time + review))
    quantity = np.where(rate > 0, np.maximum(np.ceil(rate * review), 1), 0)
    return Policy(name, fixed_quantity(minimum, quantity), supplier,
                  lambda _: minimum + quantity, extra={"cover": cover})


def foresight_policy(demand: np.ndarray, start: int, lead_time: np.ndarray, review: int,
                     supplier: np.ndarray) -> Policy:
    rows = np.arange(len(demand))
    cumulative = np.concatenate([np.zeros((len(demand), 1)), demand.cumsum(axis=1)], axis=1)
    first = cumulative[rows, np.minimum(start + lead_time, demand.shape[1])] - cumulative[:, start]
    return Policy("perfect foresight", perfect_foresight(demand, lead_time, review), supplier,
                  lambda _: first)


OWNER_COVERS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0)
PROJECT_FILLS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999)
MA_TARGETS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def run_backtest(demand: np.ndarray, market: Market, start: int, review: int, freq: str,
                 targets: tuple[float, ...] = (0.95, 0.99), refit_every: int = 1,
                 raw_fills: tuple[float, ...] = ()) -> pd.DataFrame:
    """One row per (target, policy) with `summarise`'s figures. The owner's rule, the moving
    average and the project's levels at raw expected fill rates are swept (target 'sweep');
    '@ equal fill' rows interpolate each sweep at the project's fill rate, or at the owner's
    best fill rate when his rule cannot reach the project's."""
    inputs = ForecastInputs(freq, refit_every)
    cheapest, single = market.cheapest(), market.single()
    lead_cheapest, lead_single = market.lead_times[cheapest], market.lead_times[single]
    value = market.unit_value()
    window = 12 * review
    rows = []

    def record(target, policy: Policy) -> dict:
        figures = summarise(replay(demand, policy, market, start, review), value, review)
        rows.append({"target": target, "policy": policy.name, **figures})
        return figures

    known = demand[:, :start]
    owner = pd.DataFrame([{**record("sweep", owners_rule(
        f"owner, min {cover:g}x demand", known, lead_single, review, single, cover)),
        "cover": cover} for cover in OWNER_COVERS])
    average = pd.DataFrame([record("sweep", moving_average_policy(
        f"moving average {window} @ {q:g}", window, lead_cheapest, review, cheapest, q))
        for q in MA_TARGETS])
    ours = pd.DataFrame([record("sweep", project_policy(
        f"project @ raw fill {fill:g}", inputs, lead_cheapest, review, cheapest, fill,
        raw_fill=fill)) for fill in sorted({*PROJECT_FILLS, *raw_fills})])
    foresight = foresight_policy(demand, start, lead_cheapest, review, cheapest)
    columns = ("cycle_service", "avg_units", "avg_value", "stockouts", "order_lines", "baskets",
               "goods", "shipping", "spend")
    for target in targets:
        project = record(target, project_policy("project", inputs, lead_cheapest, review,
                                                cheapest, target))
        record(target, project_policy("project, one supplier", inputs, lead_single, review,
                                      single, target))
        record(target, moving_average_policy(f"moving average {window}", window,
                                             lead_cheapest, review, cheapest, target))
        # compared at the project's fill rate, or at the owner's best when he cannot reach it
        at = min(project["fill_rate"], owner["fill_rate"].max())
        for sweep, name in ((ours, "project @ equal fill"), (owner, "owner @ equal fill"),
                            (average, f"moving average {window} @ equal fill")):
            rows.append({"target": target, "policy": name, "fill_rate": at,
                         **{c: equal_fill(sweep, at, c) for c in columns}})
        record(target, foresight)
    return pd.DataFrame(rows).set_index(["target", "policy"])


def weekly_demand(history: pd.DataFrame, end: pd.Timestamp) -> tuple[np.ndarray, pd.Index]:
    """Daily long `unique_id, ds, y` -> series x whole weeks ending on the day before `end`
    (negative quantities count as zero)."""
    frame = history.assign(ds=pd.to_datetime(history["ds"]).dt.normalize(),
                           y=pd.to_numeric(history["y"], errors="coerce").fillna(0).clip(0))
    days = pd.date_range(end=pd.Timestamp(end).normalize() - pd.Timedelta(days=1),
                         start=frame["ds"].min(), freq="D")
    days = days[len(days) % 7:]
    table = frame.pivot_table(index="unique_id", columns="ds", values="y", aggfunc="sum",
                              fill_value=0).reindex(columns=days, fill_value=0)
    matrix = table.to_numpy(dtype=float)
    return matrix.reshape(len(matrix), -1, 7).sum(axis=2), table.index


def market_from_offers(ids: pd.Index, offers: pd.DataFrame, suppliers: pd.DataFrame,
                       lead_time: int = 1) -> tuple[Market, np.ndarray]:
    """A Market over `ids` from offers (`part_id, supplier_id, price_net, pack_size`) and
    supplier terms (`supplier_id, shipping_fee, free_shipping_above`), every lead time
    `lead_time` periods; and which of `ids` some supplier offers (the rest cannot be bought)."""
    names = sorted(set(offers["supplier_id"]))
    terms = suppliers.drop_duplicates("supplier_id").set_index("supplier_id")
    prices = np.full((len(ids), len(names)), np.nan)
    packs = np.ones((len(ids), len(names)), dtype=int)
    row, column = ids.get_indexer(offers["part_id"]), [names.index(s) for s in
                                                       offers["supplier_id"]]
    known = row >= 0
    prices[row[known], np.asarray(column)[known]] = offers["price_net"].to_numpy(float)[known]
    packs[row[known], np.asarray(column)[known]] = (
        offers["pack_size"].fillna(1).to_numpy(int)[known])
    carried = ~np.isnan(prices).all(axis=1)
    market = Market([Supplier(name, lead_time,
                              float(terms.at[name, "shipping_fee"] or 0)
                              if name in terms.index else 0.0,
                              float(terms.at[name, "free_shipping_above"])
                              if name in terms.index
                              and pd.notna(terms.at[name, "free_shipping_above"])
                              else float("inf"))
                     for name in names], prices[carried], packs[carried])
    return market, carried
