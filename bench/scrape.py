"""Scraping benchmark: a logged-in demo shop with 2,000 products and 50 ms latency per request.

For each scenario (concurrency 8 and 32, without and with faults: 5 % HTTP 500, 3 % HTTP 429
with Retry-After, 1 % slow answers) it runs a full catalogue sync (listing pages + every
product page) in a fresh process and prints wall time against the ideal
(pages x latency / concurrency), pages per second, CPU ms per page, peak memory, and
accuracy against the shop's ground truth. The shop runs in its own process and answers each
request 50 ms after it arrived; "req ms" is the mean time of one request as the fetch log
records it (a bare aiohttp client sees 51.4 ms from this shop). Each scenario runs three
times and the median run (by wall time) is printed, with the range of % of ideal: one run on
a shared VM moves by +-5 %.

Run: `.venv/bin/python -m bench.scrape`
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

PRODUCTS = 2350  # canonical parts; the logged-in shop carries about 2,000 of them
LATENCY_MS = 50
AT = datetime(2026, 11, 28, 10, 5, tzinfo=UTC)
CREDENTIALS = {"RICAMBI_ITALIA_EMAIL": "bench@demo.invalid",
               "RICAMBI_ITALIA_PASSWORD": "bench-only", "TEILE_FEED_TOKEN": "bench-only"}
SCENARIOS = [(8, False), (32, False), (8, True), (32, True)]
REPEATS = 3
FAULTS = ["--server-errors", "0.05", "--rate-limited", "0.03", "--slow", "0.01",
          "--slow-seconds", "1.0"]


def start_shop(faults: bool) -> tuple[subprocess.Popen, dict]:
    command = [sys.executable, "-m", "supplier_pipeline.demo.serve", "--free-ports",
               "--size", str(PRODUCTS), "--latency-ms", str(LATENCY_MS), "--at", AT.isoformat()]
    process = subprocess.Popen(command + (FAULTS if faults else []), stdout=subprocess.PIPE,
                               env={**os.environ, **CREDENTIALS}, text=True)
    return process, json.loads(process.stdout.readline())


def one_run(concurrency: int, url: str) -> dict:
    """In a fresh process: one catalogue sync, measured."""
    from supplier_pipeline.demo.catalog import money
    from supplier_pipeline.demo.market import Market
    from supplier_pipeline.demo.world import SUPPLIERS_DIR
    from supplier_pipeline.lib.scraping.records import Outcome
    from supplier_pipeline.lib.scraping.scrape import scrape
    from supplier_pipeline.lib.scraping.session import CookieStore
    from supplier_pipeline.lib.suppliers.config import load_supplier

    env = {**os.environ, **CREDENTIALS, "RICAMBI_ITALIA_URL": url}
    config = load_supplier(SUPPLIERS_DIR / "ricambi_italia.yaml", environ=env)
    politeness = config.politeness.model_copy(update={
        "concurrency": concurrency, "rate_limit_per_second": 10_000})
    config = config.model_copy(update={"politeness": politeness})
    store = CookieStore("bench", None)
    store.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    result = scrape(config, "catalog", environ=env, store=store)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pages = sum(1 for f in result.fetches if f.outcome is Outcome.OK
                and ("/catalogo" in f.url or "/prodotto/" in f.url))
    market = Market(size=PRODUCTS)
    offers = {o.sku: o for o in market.offers["ricambi_italia"]}
    right = 0
    for obs in result.observations:
        truth = market.quote(offers[obs.supplier_sku], AT)
        part = truth.offer.part
        state = "out" if truth.stock == 0 else "low" if truth.stock <= 3 else "in"
        right += (obs.price_gross == money(float(truth.price_net * Decimal("1.22")))
                  and obs.stock_state == state and obs.part_type == part.part_type
                  and obs.quality == part.quality and obs.colour == part.colour
                  and obs.brand == part.brand.lower() and not obs.problems)
    ok = [f.elapsed_ms for f in result.fetches if f.outcome is Outcome.OK]
    attempts = {}
    for fetch in result.fetches:
        attempts[fetch.outcome.value] = attempts.get(fetch.outcome.value, 0) + 1
    return {"wall_s": wall, "cpu_s": cpu, "pages": pages,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "products": len(offers), "right": right, "error": result.error,
            "outcomes": attempts, "request_ms": sum(ok) / len(ok)}


def main() -> None:
    if len(sys.argv) == 3:
        print(json.dumps(one_run(int(sys.argv[1]), sys.argv[2])))
        return
    print(f"catalogue sync of a logged-in shop: {PRODUCTS} parts, {LATENCY_MS} ms latency\n")
    header = (f"{'concurrency':>11} {'faults':>6} {'pages':>6} {'wall s':>7} {'ideal s':>7} "
              f"{'% ideal':>7} {'range':>9} {'req ms':>6} {'pages/s':>8} {'CPU ms/page':>11} "
              f"{'peak MB':>8} {'right':>11}")
    print(header)
    for concurrency, faults in SCENARIOS:
        runs = sorted((measured(concurrency, faults) for _ in range(REPEATS)),
                      key=lambda r: r["wall_s"])
        r = runs[len(runs) // 2]
        ideal = r["pages"] * LATENCY_MS / 1000 / concurrency
        spread = f"{100 * ideal / runs[-1]['wall_s']:.0f}-{100 * ideal / runs[0]['wall_s']:.0f}%"
        print(f"{concurrency:>11} {'on' if faults else 'off':>6} {r['pages']:>6} "
              f"{r['wall_s']:>7.2f} {ideal:>7.2f} {100 * ideal / r['wall_s']:>6.0f}% "
              f"{spread:>9} {r['request_ms']:>6.1f} {r['pages'] / r['wall_s']:>8.0f} "
              f"{1000 * r['cpu_s'] / r['pages']:>11.2f} {r['peak_mb']:>8.0f} "
              f"{r['right']:>5}/{r['products']:<5}"
              + (f"  error: {r['error']}" if r["error"] else ""))
        if faults:
            print(f"{'':>11} fetch outcomes: {r['outcomes']}")


def measured(concurrency: int, faults: bool) -> dict:
    """One run in a fresh process against a freshly started shop."""
    shop, urls = start_shop(faults)
    try:
        output = subprocess.run([sys.executable, "-m", "bench.scrape", str(concurrency),
                                 urls["ricambi_italia"]], capture_output=True, text=True,
                                check=True).stdout
    finally:
        shop.terminate()
        shop.wait()
    return json.loads(output.strip().splitlines()[-1])

if __name__ == "__main__":
    main()
