"""`make demo`: run the whole pipeline once on the embedded default.

Starts the demo shops and the alert stand-ins (webhook, SMTP, WhatsApp Cloud API) on 127.0.0.1,
writes the demo shop's exports, then runs every stage through Dagster on the local instance
(.dagster_home), so `make dev` shows the runs afterwards: shop ingestion, a catalogue sync and a
day of 4-hourly price scrapes per supplier (the demo market replayed at each window; one shop
goes down in the last one), dbt marts, forecast, alerts, PO files, and the order system's
answers; the owner's digest goes out at the end instead of tomorrow morning.
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
DEMO_ALERT_RULES = Path(__file__).with_name("alert_rules.yaml")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
REPORTED_TABLES = ("marts.fct_price_history", "marts.mart_best_offer",
                   "marts.fct_part_demand_daily", "analytics.part_forecast",
                   "alerting.alerts", "analytics.purchase_proposals",
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
                    windows: int = WINDOWS, log: Callable[[str], None] = print,
                    before_last_window: Callable[[], None] | None = None) -> None:
    """Run every stage once, scraping the demo market as it was in each recent window
    (`before_last_window` can break a shop for the last one)."""
    import dagster as dg

    def run(job: str, run_config: dict | None = None, may_fail: bool = False, **kwargs) -> None:
        started = time.monotonic()
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, raise_on_error=not may_fail,
            run_config={**QUIET, **(run_config or {})}, **kwargs)
        outcome = "" if result.success else ", failed"
        log(f"  {job} {kwargs.get('partition_key', '')} ({time.monotonic() - started:.1f}s"
            f"{outcome})")

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
        broken = start == starts[-1] and before_last_window is not None
        if broken:
            before_last_window()
        moment = min(start + timedelta(minutes=5), now)
        market.set_time(moment)
        for supplier in supplier_ids:
            key = dg.MultiPartitionKey({"supplier": supplier, "window": f"{start:%Y-%m-%d-%H:%M}"})
            run("scrape_suppliers_job", partition_key=key, may_fail=broken,
                run_config=observed(moment, "raw__supplier_offers"))
    market.set_time(None)
    log("building marts, forecast, alerts and purchase proposals")
    for job in ("transform_job", "forecast_job", "alerts_job", "purchase_proposals_job"):
        run(job)


def close_the_loop(defs, instance, log: Callable[[str], None] = print) -> dict[str, int]:
    """The order system answers the POs it picked up; the pipeline ingests its answers, moves
    the ledger on and learns from the deliveries (marts rebuilt)."""
    from supplier_pipeline.demo.order_system import answer
    from supplier_pipeline.lib import settings

    rows = answer(settings.po_outbox(), settings.shop_inbox(), datetime.now(UTC))
    log(f"the order system answered: {rows}")
    for job in ("shop_ingest_job", "purchase_proposals_job", "transform_job", "alerts_job"):
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
    from supplier_pipeline.demo.inboxes import alert_inboxes
    from supplier_pipeline.demo.server import Faults
    from supplier_pipeline.demo.shop_history import generate_shop_history
    from supplier_pipeline.demo.world import demo_shops
    from supplier_pipeline.lib import settings
    from supplier_pipeline.lib.suppliers.config import supplier_ids
    from supplier_pipeline.lib.warehouse import Warehouse

    started = time.monotonic()
    now = datetime.now(UTC)
    rows = generate_shop_history(settings.shop_inbox(), now.date())
    print(f"shop exports written to {settings.shop_inbox()}: {rows}")
    with alert_inboxes() as (inboxes, alert_environment), demo_shops() as shops:
        for name, value in alert_environment.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("ALERT_RULES_FILE", str(DEMO_ALERT_RULES))
        os.environ.update(shops.environment())
        defs, instance = load_defs(), dg.DagsterInstance.get()

        def outage() -> None:  # teile_feed's shop refuses every request from here on
            shops.conditions["teile_feed"].faults = Faults(blocked=1.0)

        replay_pipeline(defs, instance, shops.market, supplier_ids(), now,
                        before_last_window=outage)
        close_the_loop(defs, instance)
        print("sending the digests now rather than at their hour")
        defs.resolve_job_def("deliver_alerts_job").execute_in_process(
            instance=instance, raise_on_error=True, run_config={**QUIET, "ops": {
                "alerting__delivery_attempts": {"config": {"send_digests_now": True}}}})
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
          " (schemas raw, staging, intermediate, marts, analytics, purchasing, alerting)")
    print(f"  PO files:       {settings.po_outbox()} ({len(files)} JSON + CSV pairs)")
    print("  PO ledger:      " + ", ".join(f"{r.n} {r.state}" for r in ledger.itertuples())
          + " (approve waiting ones: supplier-pipeline po list --state proposed)")
    print(report_inboxes(inboxes))
    print(f"  Dagster runs:   {os.environ['DAGSTER_HOME']} (browse them with `make dev`)")
    print(f"  data folder:    {data_dir()}")


def report_inboxes(inboxes) -> str:
    """What reached the owner and the team, as they would see it: one example of each kind."""
    lines = [f"  alerts:         {len(inboxes.whatsapp)} WhatsApp messages, "
             f"{len(inboxes.emails)} e-mails, {len(inboxes.webhook)} webhook posts "
             f"(rules: {os.environ['ALERT_RULES_FILE']})"]
    shown: set[str] = set()
    for body in inboxes.whatsapp:
        subject, text = (p["text"] for p in body["template"]["components"][0]["parameters"])
        kind = subject.split(":")[0]
        if kind not in shown:
            shown.add(kind)
            lines.append(f"    WhatsApp +{body['to']}: {text[:160]}")
    digests = [mail for mail in inboxes.emails if mail["Subject"].startswith("Supplier alerts")]
    for mail in digests[-1:]:
        lines.append(f"    e-mail digest to {mail['To']}: {mail['Subject']}")
    for post in inboxes.webhook[-1:]:
        lines.append(f"    webhook digest: {post['subject']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
