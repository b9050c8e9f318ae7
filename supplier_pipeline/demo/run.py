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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from supplier_pipeline.lib.settings import PROJECT_ROOT, data_dir

WINDOWS = 6  # one day of 4-hour scrape windows
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def local_instance_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # DuckDB takes one writer at a time: the warehouse pool runs those steps one by one.
        config.write_text("telemetry:\n  enabled: false\nconcurrency:\n  pools:\n"
                          "    default_limit: 1\n")
    return home


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
    from supplier_pipeline.lib.suppliers.config import supplier_ids as enabled_suppliers
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
        defs = load_defs()
        instance = dg.DagsterInstance.get()

        def run(job: str, run_config: dict | None = None, **kwargs) -> None:
            t0 = time.monotonic()
            result = defs.resolve_job_def(job).execute_in_process(
                instance=instance, raise_on_error=True,
                run_config={**QUIET, **(run_config or {})}, **kwargs)
            key = kwargs.get("partition_key", "")
            print(f"  {job} {key} ok={result.success} ({time.monotonic() - t0:.1f}s)")

        def moment_config(moment: datetime, asset: str) -> dict:
            return {"ops": {asset: {"config": {"observed_at": moment.isoformat()}}}}

        print("ingesting the shop's exports and the supplier registry")
        run("shop_ingest_job")
        supplier_ids = enabled_suppliers()
        first = now.replace(minute=0, second=0, microsecond=0)
        first -= timedelta(hours=first.hour % 4 + 4 * (WINDOWS - 1))
        print("syncing catalogues")
        for supplier in supplier_ids:
            moment = first + timedelta(minutes=5)
            shops.market.set_time(moment)
            key = dg.MultiPartitionKey({"supplier": supplier, "day": f"{moment:%Y-%m-%d}"})
            run("catalog_sync_job", partition_key=key,
                run_config=moment_config(moment, "raw__supplier_catalog"))
        print(f"scraping prices and stock: {WINDOWS} windows x {len(supplier_ids)} suppliers")
        for step in range(WINDOWS):
            moment = min(first + timedelta(hours=4 * step, minutes=5), now)
            shops.market.set_time(moment)
            for supplier in supplier_ids:
                key = dg.MultiPartitionKey({"supplier": supplier,
                                            "window": f"{first + timedelta(hours=4 * step):%Y-%m-%d-%H:%M}"})
                run("scrape_suppliers_job", partition_key=key,
                    run_config=moment_config(moment, "raw__supplier_offers"))
        print("building marts, forecast, alerts and purchase proposals")
        for job in ("transform_job", "forecast_job", "price_alerts_job",
                    "purchase_proposals_job"):
            run(job)
    webhook.stop()
    report(Warehouse(os.environ.get("WAREHOUSE_DSN"), settings.duckdb_path()), received,
           settings.po_outbox(), time.monotonic() - started)


def report(warehouse, received: list[dict], outbox: Path, seconds: float) -> None:
    counts = {}
    for table in ("marts.fct_price_history", "marts.mart_best_offer",
                  "marts.fct_part_demand_daily", "analytics.part_forecast",
                  "analytics.price_alerts", "analytics.purchase_proposals", "raw.shop_quarantine"):
        counts[table] = int(warehouse.read(f"select count(*) as n from {table}")["n"].iloc[0])
    files = sorted(p.name for p in outbox.glob("PO-*.json"))
    print(json.dumps(counts, indent=2))
    print(f"\nDemo finished in {seconds:.0f}s.")
    print(f"  warehouse:      {warehouse.duckdb_path or 'PostgreSQL'} (schemas raw, staging, "
          "marts, analytics)")
    print(f"  PO files:       {outbox} ({len(files)} JSON + CSV pairs)")
    print(f"  alerts posted:  {len(received)} to the local webhook")
    print(f"  Dagster runs:   {os.environ['DAGSTER_HOME']} (open them with `make dev`)")
    print(f"  data folder:    {data_dir()}")


if __name__ == "__main__":
    main()
