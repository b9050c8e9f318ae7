"""Basket benchmark: what the proposals' supplier choice saves, and how long a big run takes.

1. The demo market as it is (the warehouse `make demo` leaves, WAREHOUSE_DUCKDB_PATH or
   .data/warehouse.duckdb): the proposal's quantities bought (a) in the optimised baskets,
   (b) each part from its cheapest landed offer (greedy), (c) everything from one supplier
   (each supplier in turn, the parts it lacks from the next one, the best of them), with the
   demo's price spread between suppliers reported.
2. A synthetic run of 10,000 parts x 5 suppliers (price breaks, packs, stock shown, shipping
   thresholds): the time build_proposals takes, the optimiser's gap and its saving on greedy.

Run: `.venv/bin/python -m bench.basket`
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from supplier_pipeline.defs.analytics.purchasing import DEMAND_SQL  # what the asset reads
from supplier_pipeline.lib import settings
from supplier_pipeline.lib.purchasing.basket import Need, greedy, optimise
from supplier_pipeline.lib.purchasing.proposals import (
    ProposalSettings,
    build_proposals,
    offer_terms,
    shipping_terms,
)


def compare(needs: list[Need], terms: pd.DataFrame) -> dict[str, float]:
    """Totals (goods + shipping) of the same quantities bought three ways."""
    eligible = terms[terms["is_eligible"].astype(bool)]
    offers = [offer_terms(row) for row in eligible.itertuples(index=False)]
    shipping = shipping_terms(terms)
    started = time.perf_counter()
    best = optimise(needs, offers, shipping, time_limit=20)
    seconds = time.perf_counter() - started
    cheapest = greedy(needs, offers, shipping)
    # everything from one usual supplier (what it lacks or has too few of, from the others'
    # cheapest), each supplier in turn, the cheapest of them
    singles = {supplier: greedy(needs, offers, shipping, prefer=supplier).total
               for supplier in sorted(shipping)}
    return {"optimised": best.total, "greedy": cheapest.total,
            "single_supplier": min(singles.values()), "singles": singles, "gap": best.gap,
            "method": best.method, "seconds": seconds, "short": sum(best.short.values())}


def demo_market() -> None:
    path = settings.duckdb_path()
    if not Path(path).exists():
        print(f"demo market: no warehouse at {path} (run `make demo` first)")
        return
    from supplier_pipeline.lib.warehouse import Warehouse

    store = Warehouse(None, path)
    terms = store.read("select * from marts.mart_offer_terms")
    positions = store.read("select * from marts.mart_inventory_position").merge(
        store.read(DEMAND_SQL), on="part_id", how="left").fillna(
        {"mean_daily_demand": 0.0, "demand_dispersion": 1.0, "lead_time_rate": 0.0})
    proposal = build_proposals(positions, terms, ProposalSettings(rounding_days=0))
    needs = _needs_of(proposal.lines)
    spread = terms[terms["is_eligible"]].groupby("part_id")["price_net"].agg(["min", "max"])
    spread = spread[spread["max"] > spread["min"]]
    median_spread = float(((spread["max"] - spread["min"]) / spread["min"]).median())
    figures = compare(needs, terms)
    print(f"demo market ({len(needs)} parts to order, {terms['supplier_id'].nunique()} "
          f"suppliers; median price spread between the dearest and cheapest offer of a part "
          f"{median_spread:.0%})")
    _print(figures)


def _needs_of(lines: list[dict]) -> list[Need]:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line["part_id"]] = totals.get(line["part_id"], 0) + line["quantity"]
    return [Need(part, quantity) for part, quantity in totals.items()]


def synthetic(parts: int = 10_000, suppliers: int = 5, seed: int = 7):
    rng = np.random.default_rng(seed)
    base = rng.lognormal(3.0, 0.8, parts)
    rows = []
    names = [f"s{k}" for k in range(suppliers)]
    fee = rng.uniform(8, 15, suppliers)
    free = rng.uniform(150, 400, suppliers)
    for p in range(parts):
        for k, supplier in enumerate(names):
            if rng.random() > 0.7:
                continue
            price = round(base[p] * rng.uniform(0.85, 1.2), 2)
            breaks = (json.dumps([{"min_qty": 5, "price_net": f"{price * 0.95:.2f}"},
                                  {"min_qty": 10, "price_net": f"{price * 0.9:.2f}"}])
                      if rng.random() < 0.3 else None)
            rows.append({"part_id": f"p{p}", "supplier_id": supplier,
                         "supplier_sku": f"{supplier}-{p}", "title": "", "currency": "EUR",
                         "price_net": price, "price_breaks": breaks,
                         "pack_size": 5 if rng.random() < 0.1 else 1, "stock_state": "in",
                         "stock_qty": int(rng.integers(0, 8)) if rng.random() < 0.3 else None,
                         "lead_time_days": int(rng.integers(1, 6)), "landed_unit_price": price,
                         "shipping_fee": fee[k], "free_shipping_above": free[k],
                         "min_order_value": 0.0, "handling_fee": 0.0,
                         "min_order_quantity": 1, "order_multiple": 1,
                         "hours_since_observed": 1.0,
                         "ineligible_reason": None, "is_eligible": True})
    terms = pd.DataFrame(rows)
    rate = rng.gamma(0.5, 0.2, parts)
    positions = pd.DataFrame({"part_id": [f"p{p}" for p in range(parts)],
                              "on_hand": rng.poisson(rate * 10), "on_order": 0,
                              "reserved": rng.binomial(1, 0.05, parts),
                              "mean_daily_demand": rate, "demand_dispersion": 1.5,
                              "lead_time_rate": rate})
    return positions, terms


def synthetic_run() -> None:
    positions, terms = synthetic()
    started = time.perf_counter()
    proposal = build_proposals(positions, terms, ProposalSettings())
    seconds = time.perf_counter() - started
    basket = proposal.basket
    print(f"synthetic: {len(positions):,} parts x {terms['supplier_id'].nunique()} suppliers "
          f"({len(terms):,} offers): build_proposals {seconds:.1f} s, {len(proposal.lines):,} "
          f"lines, {basket.method}, gap {basket.gap:.2%}")
    _print(compare(_needs_of(proposal.lines), terms))


def _print(f: dict) -> None:
    print(f"  optimised {f['optimised']:,.2f} ({f['method']}, gap {f['gap']:.2%}, "
          f"{f['seconds']:.1f} s, {f['short']} units short) | greedy {f['greedy']:,.2f} "
          f"({f['optimised'] / f['greedy'] - 1:+.1%}) | single supplier "
          f"{f['single_supplier']:,.2f} ({f['optimised'] / f['single_supplier'] - 1:+.1%})")
    for supplier, total in f["singles"].items():
        print(f"    always from {supplier} first: {total:,.2f} "
              f"(optimised {f['optimised'] / total - 1:+.1%})")


if __name__ == "__main__":
    demo_market()
    synthetic_run()
