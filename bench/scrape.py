"""Scraping benchmark: every shape of shop the scraper reads, each holding about 2,000 offers
behind 50 ms of latency per request.

Shapes (each onboarded with one supplier file):
- `demo`: the demo shop Ricambi Italia (light pages, a form login with CSRF, one listing with
  a page count, codes on the listing): its catalogue sync, listing and every product page.
- `presta_catalog`: the PrestaShop-like shop of `supplier_pipeline.demo.shapes` (60 KB pages,
  a login, nine category listings without codes, per-price VAT labels, JSON-LD on half the
  product pages): its catalogue sync.
- `presta_prices`: the same shop's 4-hourly prices scrape: the listings only, each offer
  keyed by the code its product URL showed in the catalogue sync (the sync's URL->SKU map and
  its session, which such a shop keeps for weeks, are kept between the two).
- `woo_listing`: the WooCommerce-like shop (60 KB pages, a login that needs its submit
  button, variable products): its catalogue sync from `/negozio/page/N/`.
- `woo_sitemap`: the same shop as its supplier file reads it, every product page from the
  product sitemap: its prices scrape.

Each shape runs at concurrency 8 and 32, without and with faults (5 % HTTP 500, 3 % HTTP 429
with Retry-After, 1 % answers 1 s late), each run in a fresh process against a freshly started
shop, and prints wall time against the ideal (pages x latency / concurrency, where pages are
every request answered, the login's included), pages per second, the scraper's CPU ms per page
and per offer (a listing page carries 24 offers), the shop's own CPU per page (on a shared
machine, CPU the scraper does not get), peak memory and accuracy: the offers read right out
of the offers the shop holds (the demo: price, stock and the part's attributes; the shapes:
price net of VAT, stock state and quantity, SKU), and how many offers were read that the shop
does not hold or read twice. The shop runs in its own process and answers each request 50 ms
after it arrived; "req ms" is the mean time of one request as the fetch log records it. Each
scenario runs `--repeats` times (2 by default, so that the 20 scenarios take about 9-10
minutes); the median run by wall time is printed with the range of % of ideal and of CPU ms
per page over the runs. On a shared VM one run moves by +-5 % of ideal, and CPU time grows
with the machine's load (the header prints the load average): compare runs made side by side.

Run: `.venv/bin/python -m bench.scrape [--shapes demo,presta_prices] [--repeats 3]`
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

OFFERS = 2000
DEMO_PARTS = 2350  # canonical parts; the demo shop carries about 2,000 of them
LATENCY_MS = 50
AT = datetime(2026, 11, 28, 10, 5, tzinfo=UTC)
CREDENTIALS = {"RICAMBI_ITALIA_EMAIL": "bench@demo.invalid",
               "RICAMBI_ITALIA_PASSWORD": "bench-only", "TEILE_FEED_TOKEN": "bench-only",
               "PRESTA_SHOP_EMAIL": "bench@demo.invalid", "PRESTA_SHOP_PASSWORD": "bench-only",
               "WOO_SHOP_USER": "bench@demo.invalid", "WOO_SHOP_PASSWORD": "bench-only"}
# shape -> (shop served, scrape mode, reads product pages)
SHAPES = {"demo": ("demo", "catalog", True),
          "presta_catalog": ("prestashop", "catalog", True),
          "presta_prices": ("prestashop", "prices", False),
          "woo_listing": ("woocommerce", "catalog", True),
          "woo_sitemap": ("woocommerce", "prices", True)}
SCENARIOS = [(8, False), (32, False), (8, True), (32, True)]
FAULTS = ["--server-errors", "0.05", "--rate-limited", "0.03", "--slow", "0.01",
          "--slow-seconds", "1.0"]


def start_shop(shop: str, faults: bool) -> tuple[subprocess.Popen, str]:
    """The shop in its own process, and its address."""
    if shop == "demo":
        command = ["supplier_pipeline.demo.serve", "--free-ports", "--size", str(DEMO_PARTS),
                   "--at", AT.isoformat()]
    else:
        command = ["supplier_pipeline.demo.shapes.serve", shop, "--size", str(OFFERS)]
    command += ["--latency-ms", str(LATENCY_MS), *(FAULTS if faults else [])]
    process = subprocess.Popen([sys.executable, "-m", *command], stdout=subprocess.PIPE,
                               env={**os.environ, **CREDENTIALS}, text=True)
    urls = json.loads(process.stdout.readline())
    return process, urls["ricambi_italia" if shop == "demo" else "url"]


def configured(shape: str, url: str, concurrency: int):
    """The shape's supplier file pointed at `url`, at `concurrency` and without a rate limit."""
    from supplier_pipeline.demo.shapes.serve import SUPPLIERS
    from supplier_pipeline.demo.world import SUPPLIERS_DIR
    from supplier_pipeline.lib.suppliers.config import load_supplier

    file = {"demo": SUPPLIERS_DIR / "ricambi_italia.yaml"}.get(
        shape, SUPPLIERS / ("presta_shop.yaml" if shape.startswith("presta") else "woo_shop.yaml"))
    variable = {"demo": "RICAMBI_ITALIA_URL"}.get(
        shape, "PRESTA_SHOP_URL" if shape.startswith("presta") else "WOO_SHOP_URL")
    config = load_supplier(file, environ={**CREDENTIALS, variable: url})
    update: dict = {"politeness": config.politeness.model_copy(update={
        "concurrency": concurrency, "rate_limit_per_second": 10_000})}
    if shape == "woo_listing":
        update["listing"] = config.listing.model_copy(update={"start_path": "/negozio/",
                                                              "sitemap": []})
    return config.model_copy(update=update)


def demo_right(observations: list) -> tuple[int, int, int]:
    """(right, offers held, read but not held): price, stock and the part's attributes."""
    from supplier_pipeline.demo.catalog import money
    from supplier_pipeline.demo.market import Market

    market = Market(size=DEMO_PARTS)
    offers = {o.sku: o for o in market.offers["ricambi_italia"]}
    right = 0
    for obs in observations:
        truth = market.quote(offers[obs.supplier_sku], AT)
        part = truth.offer.part
        state = "out" if truth.stock == 0 else "low" if truth.stock <= 3 else "in"
        right += (obs.price_gross == money(float(truth.price_net * Decimal("1.22")))
                  and obs.stock_state == state and obs.part_type == part.part_type
                  and obs.quality == part.quality and obs.colour == part.colour
                  and obs.brand == part.brand.lower() and not obs.problems)
    return right, len(offers), len(observations) - len({o.supplier_sku for o in observations
                                                         if o.supplier_sku in offers})


def shape_right(shape: str, observations: list) -> tuple[int, int, int]:
    """(right, offers held, read but not held or read twice): price net of VAT, stock state
    and quantity (a listing states one only for the last pieces), SKU."""
    from supplier_pipeline.demo.shapes.serve import shop

    truth = shop(SHAPES[shape][0], OFFERS, CREDENTIALS).truth()
    quantity_shown = SHAPES[shape][2]
    found = {}
    for obs in observations:
        found.setdefault(obs.supplier_sku, obs)
    right = 0
    for sku, held in truth.items():
        obs = found.get(sku)
        right += obs is not None and (
            obs.price_net == held.price_net and obs.stock_state == held.stock_state
            and (obs.stock_qty == held.quantity
                 or (not quantity_shown and obs.stock_qty is None)))
    return right, len(truth), len(observations) - len(set(found) & set(truth))


def one_run(shape: str, concurrency: int, url: str) -> dict:
    """In a fresh process: one scrape of the shape, measured."""
    from supplier_pipeline.lib.scraping.records import Outcome
    from supplier_pipeline.lib.scraping.scrape import scrape
    from supplier_pipeline.lib.scraping.session import CookieStore

    config = configured(shape, url, concurrency)
    mode = SHAPES[shape][1]
    store = CookieStore("bench" if shape == "demo" else config.id)
    if shape != "presta_prices":  # the prices scrape keeps the catalogue sync's session
        store.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    result = scrape(config, mode, environ=CREDENTIALS, store=store)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = [f.elapsed_ms for f in result.fetches if f.outcome is Outcome.OK]
    right, offers, extra = (demo_right if shape == "demo" else
                            lambda o: shape_right(shape, o))(result.observations)
    return {"wall_s": wall, "cpu_s": cpu, "pages": len(ok), "peak_mb": peak_mb,
            "offers": offers, "right": right, "extra": extra, "error": result.error,
            "outcomes": result.outcome_counts(), "request_ms": sum(ok) / max(1, len(ok))}


def measured(shape: str, concurrency: int, faults: bool) -> dict:
    """One run in a fresh process against a freshly started shop; with the CPU the shop spent
    answering, which the scraper does not get on a shared machine."""
    shop, url = start_shop(SHAPES[shape][0], faults)
    try:
        ready = _cpu_of(shop.pid)
        output = subprocess.run([sys.executable, "-m", "bench.scrape", "--one", shape,
                                 str(concurrency), url], capture_output=True, text=True,
                                env={**os.environ, **CREDENTIALS}, check=True).stdout
        shop_cpu = _cpu_of(shop.pid) - ready
    finally:
        shop.terminate()
        shop.wait()
    return {**json.loads(output.strip().splitlines()[-1]), "shop_cpu_s": shop_cpu}


def _cpu_of(pid: int) -> float:
    """User and system CPU seconds of a running process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(shape: str, repeats: int) -> None:
    shop, mode, _ = SHAPES[shape]
    print(f"\n{shape}: {mode} scrape of the {shop} shop")
    print(f"{'concurrency':>11} {'faults':>6} {'pages':>6} {'wall s':>7} {'ideal s':>7} "
          f"{'% ideal':>7} {'range':>9} {'req ms':>6} {'pages/s':>8} {'CPU ms/page':>11} "
          f"{'range':>9} {'per offer':>9} {'shop CPU':>8} {'peak MB':>8} {'right':>11} "
          f"{'extra':>5}")
    for concurrency, faults in SCENARIOS:
        runs = sorted((measured(shape, concurrency, faults) for _ in range(repeats)),
                      key=lambda r: r["wall_s"])
        r = runs[len(runs) // 2]
        ideal = r["pages"] * LATENCY_MS / 1000 / concurrency
        shares = sorted(100 * run["pages"] * LATENCY_MS / 1000 / concurrency / run["wall_s"]
                        for run in runs)
        cpus = sorted(1000 * run["cpu_s"] / run["pages"] for run in runs)
        print(f"{concurrency:>11} {'on' if faults else 'off':>6} {r['pages']:>6} "
              f"{r['wall_s']:>7.2f} {ideal:>7.2f} {100 * ideal / r['wall_s']:>6.0f}% "
              f"{f'{shares[0]:.0f}-{shares[-1]:.0f}%':>9} {r['request_ms']:>6.1f} "
              f"{r['pages'] / r['wall_s']:>8.0f} {1000 * r['cpu_s'] / r['pages']:>11.2f} "
              f"{f'{cpus[0]:.2f}-{cpus[-1]:.2f}':>9} {1000 * r['cpu_s'] / r['offers']:>9.2f} "
              f"{1000 * r['shop_cpu_s'] / r['pages']:>8.2f} {r['peak_mb']:>8.0f} "
              f"{r['right']:>5}/{r['offers']:<5} {r['extra']:>5}"
              + (f"  error: {r['error']}" if r["error"] else ""))
        if faults:
            print(f"{'':>11} fetch outcomes: {r['outcomes']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated, of {', '.join(SHAPES)}")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("SHAPE", "CONCURRENCY", "URL"),
                        help=argparse.SUPPRESS)  # a measured run, in its own process
    args = parser.parse_args()
    if args.one:
        shape, concurrency, url = args.one
        print(json.dumps(one_run(shape, int(concurrency), url)))
        return
    asked = set(args.shapes.split(","))
    if "presta_prices" in asked:
        asked.add("presta_catalog")  # learns the codes the prices scrape keys offers by
    shapes = [shape for shape in SHAPES if shape in asked]
    print(f"{OFFERS} offers a shop, {LATENCY_MS} ms latency, {args.repeats} runs a scenario; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as state:
        os.environ["SUPPLIER_PIPELINE_STATE_DIR"] = state  # sessions and codes, for the runs
        for shape in shapes:
            report(shape, args.repeats)


if __name__ == "__main__":
    main()
