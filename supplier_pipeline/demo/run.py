"""`make demo`: run the whole pipeline once on the embedded default.

Starts the demo shops and a webhook on 127.0.0.1, writes the demo shop's exports, then runs
every stage through Dagster on the local instance (.dagster_home), so `make dev` shows the
runs afterwards: shop ingestion, a catalogue sync and a day of 4-hourly price scrapes per
supplier (the demo market replayed at each window), dbt marts, forecast, alerts and PO files.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supplier_pipeline.lib.settings import PROJECT_ROOT, data_dir

WINDOWS = 6  # one day of 4-hour scrape windows
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
REPORTED_TABLES = ("marts.fct_price_history", "marts.mart_best_offer",
                   "marts.fct_part_demand_daily", "analytics.part_forecast",
                   "analytics.price_alerts", "analytics.purchase_proposals",
                   "raw.shop_quarantine", "marts.fct_po_deliveries")


def local_instance_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # DuckDB takes one writer at a time: the warehouse pool runs those steps one by one.
        config.write_text("telemetry:\n  enabled: false\nconcurrency:\n  pools:\n"
                          "    default_limit: 1\n")
    return home


def window_starts(now: datetime, windows: int) -> list[datetime]:
    """The starts of the last `windows` 4-hour windows, the one in progress included."""
    current = now.replace(minute=0, second=0, microsecond=0)
    current -= timedelta(hours=current.hour % 4)
    return [current - timedelta(hours=4 * n) for n in reversed(range(windows))]


def replay_pipeline(defs, instance, market, supplier_ids: list[str], now: datetime,
                    windows: int = WINDOWS, log: Callable[[str], None] = print) -> None:
    """Run every stage once, scraping the demo market as it was in each recent window."""
    import dagster as dg

    def run(job: str, run_config: dict | None = None, **kwargs) -> None:
        started = time.monotonic()
        defs.resolve_job_def(job).execute_in_process(
            instance=instance, raise_on_error=True, run_config={**QUIET, **(run_config or {})},
            **kwargs)
        log(f"  {job} {kwargs.get('partition_key', '')} ({time.monotonic() - started:.1f}s)")

    def observed(moment: datetime, asset: str) -> dict:
        return {"ops": {asset: {"config": {"observed_at": moment.isoformat()}}}}

    starts = window_starts(now, windows)
    log("ingesting the shop's exports and the supplier registry")
    run("shop_ingest_job")
    log("syncing catalogues")
    for supplier in supplier_ids:
        moment = starts[0] + timedelta(minutes=5)
        market.set_time(moment)
        key = dg.MultiPartitionKey({"supplier": supplier, "day": f"{moment:%Y-%m-%d}"})
        run("catalog_sync_job", partition_key=key,
            run_config=observed(moment, "raw__supplier_catalog"))
    log(f"scraping prices and stock: {windows} windows x {len(supplier_ids)} suppliers")
    for start in starts:
        moment = min(start + timedelta(minutes=5), now)
        market.set_time(moment)
        for supplier in supplier_ids:
            key = dg.MultiPartitionKey({"supplier": supplier, "window": f"{start:%Y-%m-%d-%H:%M}"})
            run("scrape_suppliers_job", partition_key=key,
                run_config=observed(moment, "raw__supplier_offers"))
    market.set_time(None)
    log("building marts, forecast, alerts and purchase proposals")
    for job in ("transform_job", "forecast_job", "price_alerts_job", "purchase_proposals_job"):
        run(job)


def close_the_loop(defs, instance, log: Callable[[str], None] = print) -> dict[str, int]:
    """The order system answers the POs it picked up; the pipeline ingests its answers, moves
    the ledger on and learns from the deliveries (marts rebuilt)."""
    from supplier_pipeline.demo.order_system import answer
    from supplier_pipeline.lib import settings

    rows = answer(settings.po_outbox(), settings.shop_inbox(), datetime.now(UTC))
    log(f"the order system answered: {rows}")
    for job in ("shop_ingest_job", "purchase_proposals_job", "transform_job"):
        started = time.monotonic()
        defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=True,
                                                     run_config=QUIET)
        log(f"  {job} ({time.monotonic() - started:.1f}s)")
    return rows


def main() -> None:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    local_instance_home()
    import dagster as dg

    from supplier_pipeline.definitions import defs as load_defs
    from supplier_pipeline.demo.server import BackgroundServer
    from supplier_pipeline.demo.shop_history import generate_shop_history
    from supplier_pipeline.demo.webhook import build_app as webhook_app
    from supplier_pipeline.demo.world import demo_shops
    from supplier_pipeline.lib import settings
    from supplier_pipeline.lib.suppliers.config import supplier_ids
    from supplier_pipeline.lib.warehouse import Warehouse

    started = time.monotonic()
    now = datetime.now(UTC)
    rows = generate_shop_history(settings.shop_inbox(), now.date())
    print(f"shop exports written to {settings.shop_inbox()}: {rows}")
    received: list[dict] = []
    webhook = BackgroundServer(webhook_app(received)).start()
    os.environ.setdefault("ALERT_WEBHOOK_URL", f"{webhook.url}/hook")
    with demo_shops() as shops:
        os.environ.update(shops.environment())
        defs, instance = load_defs(), dg.DagsterInstance.get()
        replay_pipeline(defs, instance, shops.market, supplier_ids(), now)
        close_the_loop(defs, instance)
    webhook.stop()
    warehouse = Warehouse(os.environ.get("WAREHOUSE_DSN"), settings.duckdb_path())
    counts = {t: int(warehouse.read(f"select count(*) as n from {t}")["n"].iloc[0])
              for t in REPORTED_TABLES}
    print(json.dumps(counts, indent=2))
    ledger = warehouse.read("select state, count(*) as n from purchasing.purchase_orders "
                            "group by state order by state")
    files = sorted(settings.po_outbox().glob("PO-*.json"))
    print(f"\nDemo finished in {time.monotonic() - started:.0f}s.")
    where = warehouse.duckdb_path if warehouse.backend == "duckdb" else "PostgreSQL"
    print(f"  warehouse:      {where}"
          " (schemas raw, staging, intermediate, marts, analytics)")
    print(f"  PO files:       {settings.po_outbox()} ({len(files)} JSON + CSV pairs)")
    print("  PO ledger:      " + ", ".join(f"{r.n} {r.state}" for r in ledger.itertuples())
          + " (approve waiting ones: supplier-pipeline po list --state proposed)")
    print(f"  alerts posted:  {len(received)} to the local webhook")
    print(f"  Dagster runs:   {os.environ['DAGSTER_HOME']} (browse them with `make dev`)")
    print(f"  data folder:    {data_dir()}")


if __name__ == "__main__":
    main()
