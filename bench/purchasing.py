"""Replenishment policy backtest (lib/purchasing/backtest.py) on two demand histories, at
95 % and 99 % targets: fill rate, cycle service level, average stock (units and value),
stock-outs, orders and spend per policy.

(a) carparts (../shared/data/demand/carparts.csv): real demand, the 2,509 series complete
    over 51 months. The last 18 months are replayed month by month: monthly review, one month
    of lead time (orders placed at the start of a month are on the shelf a month later). The
    project's forecast is refitted every 3 months and rolled forward with each month's demand
    in between (a refit takes ~30 s on all series).
    Prices are synthetic (carparts has none), seeded and the same for every policy: a part's
    list price is lognormal (median 25 EUR, sigma 0.9); three suppliers modelled on the demo
    shops: "main" carries every part at list price x U(0.9, 1.1), shipping 9.90 below 150;
    "discount" carries 70 % at x 0.95 U(0.9, 1.1), shipping 12.00 below 250; "wholesale"
    carries 75 % at x 0.92 U(0.9, 1.1), shipping 15.00 below 300. All deliver within the month:
    lead time 1 period for each.
(b) the demo shop (supplier_pipeline/demo/shop_history.py, seed 11): two years of
    repair-order demand for the 435 parts some demo shop sells, in weeks (Monday to Sunday);
    the last 26 weeks are replayed with a weekly review and the forecast refitted every 4
    weeks, rolled weekly in between. Suppliers are the three demo shops with their base price
    levels and packs (demo/market.py) and the shipping terms of their supplier files; their
    lead times (2, 4 and 5 days) are one weekly period: what is ordered at a review is on the
    shelf for the next week.

Policies: the project's (order_up_to_levels' levels, each part from its cheapest offer); the
same quantities always from the single supplier carrying most parts; a 12-review-period
moving average with normal safety stock; the owner's rule (fixed minimum and quantity, single
supplier) swept over its minimum; and perfect foresight. "owner @ equal fill" interpolates
the owner's sweep at the project's fill rate.

The "project @ raw fill" sweep rows (levels at the one quantile whose expected fill rate is
that setting, with no calibration) are the fill rates policy.CALIBRATION is read from
(`--calibrate` adds settings near 0.9, 0.95 and 0.99 and prints the table).

Run: `.venv/bin/python -m bench.purchasing` (about 4 minutes on the shared 2-core machine).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from supplier_pipeline.lib.purchasing.backtest import Market, Supplier, run_backtest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "demand" / "carparts.csv"
TARGETS = (0.95, 0.99)
RAW_FILLS = (0.905, 0.91, 0.94, 0.955, 0.9575, 0.96, 0.9625, 0.965, 0.97, 0.98, 0.985, 0.993,
             0.996, 0.997, 0.998, 0.9995)
CALIBRATED = (0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999)  # the table's targets
RAW = "project @ raw fill "


def calibration(sweeps: list[pd.DataFrame]) -> list[tuple[float, float]]:
    """policy.CALIBRATION from each history's raw-fill sweep: per target, the lowest swept
    setting at which every history reached it (the highest swept where one did not). Swept,
    not interpolated: fill rates move in steps of whole units, and a setting read between two
    sweep points can fall short of both's line."""
    settings = []
    for sweep in sweeps:
        raw = sweep[sweep.index.str.startswith(RAW)]
        setting = raw.index.str.removeprefix(RAW).astype(float).to_numpy()
        order = np.argsort(setting)
        fill = np.maximum.accumulate(raw["fill_rate"].to_numpy()[order])
        reached = fill[None, :] >= np.array(CALIBRATED)[:, None]
        settings.append(setting[order][np.where(reached.any(axis=1), reached.argmax(axis=1),
                                                len(fill) - 1)])
    return [(target, float(value))
            for target, value in zip(CALIBRATED, np.max(settings, axis=0), strict=True)]


def carparts() -> tuple[np.ndarray, Market]:
    frame = pd.read_csv(DATA, index_col=0)
    demand = frame.loc[:, frame.notna().all()].to_numpy().T.astype(float)
    rng = np.random.default_rng(15)
    n = len(demand)
    base = 25 * np.exp(rng.normal(0, 0.9, n))
    terms = [("main", 1.00, 1.00, 9.90, 150), ("discount", 0.70, 0.95, 12.00, 250),
             ("wholesale", 0.75, 0.92, 15.00, 300)]
    prices = np.column_stack([
        np.where(rng.random(n) < coverage, base * margin * rng.uniform(0.9, 1.1, n), np.nan)
        for _, coverage, margin, _, _ in terms])
    suppliers = [Supplier(name, 1, fee, free) for name, _, _, fee, free in terms]
    return demand, Market(suppliers, np.round(prices, 2))


def demo_shop(today: date = date(2026, 11, 29)) -> tuple[np.ndarray, Market]:
    from supplier_pipeline.demo.market import Market as DemoMarket
    from supplier_pipeline.demo.shop_history import generate_shop_history
    from supplier_pipeline.lib.forecasting.core import to_matrix

    with tempfile.TemporaryDirectory() as folder:
        generate_shop_history(Path(folder), today)
        orders = pd.read_csv(Path(folder) / "repair_orders.csv")
    demo = DemoMarket()
    part_ids = [p.part_id for p in demo.parts]
    orders = orders[(orders["status"] != "cancelled") & orders["part_id"].isin(part_ids)
                    & (orders["quantity"] > 0)]
    orders = orders.assign(ds=pd.to_datetime(orders["created_at"], errors="coerce", utc=True))
    orders = orders.dropna(subset=["ds"])
    history = pd.DataFrame({"unique_id": orders["part_id"],
                            "ds": orders["ds"].dt.tz_localize(None).dt.normalize(),
                            "y": orders["quantity"]})
    # every part, even one never repaired, is a series (zero demand)
    first = history["ds"].min()
    history = pd.concat([history, pd.DataFrame({"unique_id": part_ids, "ds": first, "y": 0})])
    # Days summed into weeks ending on `today` (a Sunday): core.to_matrix's "W" calendar is
    # its Sundays while its periods start on Mondays, so it is not used for weeks.
    days, ids, _ = to_matrix(history, "D")
    days = days[:, days.shape[1] % 7:]
    y = days.reshape(len(days), -1, 7).sum(axis=2)
    shops = [("ricambi_italia", 1, 9.90, 150), ("fixparts_js", 1, 12.00, 250),
             ("teile_feed", 1, 15.00, 300)]
    index = {pid: i for i, pid in enumerate(ids)}
    prices = np.full((len(ids), len(shops)), np.nan)
    packs = np.ones((len(ids), len(shops)), dtype=int)
    for s, (shop, *_) in enumerate(shops):
        for offer in demo.offers[shop]:
            prices[index[offer.part.part_id], s] = round(offer.base_net, 2)
            packs[index[offer.part.part_id], s] = offer.pack_size
    uncarried = np.isnan(prices).all(axis=1)
    return y[~uncarried], Market([Supplier(*shop) for shop in shops], prices[~uncarried],
                                 packs[~uncarried])


DATASETS = {
    "carparts (monthly, lead time 1 month, 18 months replayed)":
        (carparts, {"start": -18, "review": 1, "freq": "MS", "refit_every": 3}),
    "demo shop (weekly, lead time 1 week, 26 weeks replayed)":
        (demo_shop, {"start": -26, "review": 1, "freq": "W", "refit_every": 4}),
}


def main() -> None:
    calibrate = "--calibrate" in sys.argv
    started = time.perf_counter()
    sweeps = []
    for name, (load, settings) in DATASETS.items():
        clock = time.perf_counter()
        demand, market = load()
        table = run_backtest(demand, market, demand.shape[1] + settings["start"],
                             settings["review"], settings["freq"], TARGETS,
                             settings["refit_every"],
                             raw_fills=RAW_FILLS if calibrate else ())
        print(f"\n{name}: {len(demand)} series, {(time.perf_counter() - clock):.0f} s")
        with pd.option_context("display.float_format", "{:,.3f}".format, "display.width", 200,
                               "display.max_columns", None, "display.max_rows", 200):
            print(table.round(3).to_string())
        for target in TARGETS:
            rows = table.loc[target]
            fill = rows.loc["project", "fill_rate"]
            ours = rows.loc["project @ equal fill", "avg_units"]
            single = rows.loc["project, one supplier", "spend"] / rows.loc["project", "spend"]
            print(f"  target {target:.0%}: fill rate {fill:.3f} ({100 * (fill - target):+.1f} "
                  f"points); at fill {rows.loc['owner @ equal fill', 'fill_rate']:.3f} the "
                  f"project holds {ours / rows.loc['owner @ equal fill', 'avg_units'] - 1:+.0%} "
                  f"stock vs the owner's rule, "
                  f"{ours / rows.loc['moving average 12 @ equal fill', 'avg_units'] - 1:+.0%} "
                  f"vs the moving average; one supplier costs "
                  f"{single - 1:+.1%}")
        sweeps.append(table.loc["sweep"])
    if calibrate:
        print(f"\nCALIBRATION read from both histories: {calibration(sweeps)}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
