"""Freshness: a supplier whose scrapes stopped landing, or marts that stopped being rebuilt,
turn red in the UI (asset checks, run hourly) and reach the team once (an alert sensor)."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from supplier_pipeline.defs.alerting.sensors import enqueue
from supplier_pipeline.defs.automation.status import (
    default_schedule_status,
    default_sensor_status,
)
from supplier_pipeline.defs.resources import AlertingResource, WarehouseResource
from supplier_pipeline.lib.alerting.outbox import key_of
from supplier_pipeline.lib.freshness import allowed_age, stale
from supplier_pipeline.lib.suppliers.config import supplier_schedules

OFFERS = dg.AssetKey(["raw", "supplier_offers"])
# The marts follow every scrape round (4 hours): two missed rounds and an hour is stale.
MARTS = [dg.AssetKey(["marts", name]) for name in
         ("fct_price_history", "fct_stock_history", "mart_best_offer")]
MARTS_ALLOWED = timedelta(hours=9)
# Enough recent scrape materializations to find every supplier's last good one.
RECENT_SCRAPES = 1000


def cadence(cron: str, now: datetime) -> timedelta:
    """The time between the two ticks of `cron` before `now`."""
    ticks = dg.TimeWindowPartitionsDefinition(
        cron_schedule=cron, start=now - timedelta(days=62), end=now, fmt="%Y-%m-%d-%H:%M",
        timezone="UTC")
    window = ticks.get_last_partition_window()
    return window.end - window.start


def supplier_limits(now: datetime) -> dict[str, timedelta]:
    return {supplier: allowed_age(cadence(prices_cron, now))
            for supplier, prices_cron, _ in supplier_schedules()}


def last_good_scrapes(instance: dg.DagsterInstance) -> dict[str, datetime]:
    """Each supplier's newest price scrape that passed its quality gate, from the event log."""
    records = instance.fetch_materializations(OFFERS, limit=RECENT_SCRAPES).records
    out: dict[str, datetime] = {}
    for record in records:
        metadata = record.asset_materialization.metadata
        supplier = metadata.get("supplier")
        status = metadata.get("status")
        if supplier is None or status is None or status.value != "ok":
            continue
        out.setdefault(supplier.value, datetime.fromtimestamp(record.timestamp, UTC))
    return out


def stale_suppliers(instance: dg.DagsterInstance, now: datetime,
                    watched_since: dict[str, datetime] | None = None) -> dict[str, str]:
    return stale(last_good_scrapes(instance), supplier_limits(now), now, watched_since)


@dg.asset_check(asset=OFFERS, name="every_supplier_scraped_within_its_cadence",
                description="Every enabled supplier had an accepted price scrape within two of "
                            "its cadences (plus 30 minutes).")
def every_supplier_scraped_within_its_cadence(
        context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    now = datetime.now(UTC)
    late = stale_suppliers(context.instance, now)
    return dg.AssetCheckResult(
        passed=not late, severity=dg.AssetCheckSeverity.ERROR,
        description=("; ".join(f"{s}: {why}" for s, why in sorted(late.items()))
                     or "every supplier is fresh"),
        metadata={"stale_suppliers": ", ".join(sorted(late)) or "none",
                  "suppliers": len(supplier_limits(now))})


marts_freshness_checks = dg.build_last_update_freshness_checks(
    assets=MARTS, lower_bound_delta=MARTS_ALLOWED, severity=dg.AssetCheckSeverity.ERROR)

freshness_checks_job = dg.define_asset_job(
    "freshness_checks_job",
    selection=dg.AssetSelection.checks(every_supplier_scraped_within_its_cadence,
                                       *marts_freshness_checks),
    description="Check that every supplier's scrapes and the marts are recent.")

freshness_checks_schedule = dg.ScheduleDefinition(
    name="freshness_checks_schedule", job=freshness_checks_job, cron_schedule="15 * * * *",
    execution_timezone="UTC", default_status=default_schedule_status(),
    description="Check freshness every hour.")


def _marts_stale(instance: dg.DagsterInstance, now: datetime,
                 watched_since: datetime) -> str | None:
    events = instance.get_latest_materialization_events(MARTS)
    times = [datetime.fromtimestamp(e.timestamp, UTC) for e in events.values() if e]
    last = {"marts": min(times)} if len(times) == len(MARTS) else {}
    return stale(last, {"marts": MARTS_ALLOWED}, now, {"marts": watched_since}).get("marts")


@dg.sensor(name="stale_data_alert_sensor", minimum_interval_seconds=900,
           default_status=default_sensor_status())
def stale_data_alert_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                            alerting: AlertingResource):
    """Alert once when a supplier or the marts go stale, and once when they recover."""
    now = datetime.now(UTC)
    state = json.loads(context.cursor) if context.cursor else {}
    since = {k: datetime.fromisoformat(v) for k, v in state.get("watched_since", {}).items()}
    for supplier in supplier_limits(now):
        since.setdefault(supplier, now)
    since.setdefault("marts", now)
    late = stale_suppliers(context.instance, now, since)
    marts = _marts_stale(context.instance, now, since["marts"])
    if marts:
        late["marts"] = marts
    alerted = set(state.get("alerted", []))
    events = [_event("data_stale", name, late[name], now) for name in sorted(set(late) - alerted)]
    events += [_event("data_fresh_again", name, "up to date again", now)
               for name in sorted(alerted - set(late))]
    if events:
        enqueue(warehouse, alerting, events, now)
    context.update_cursor(json.dumps({
        "watched_since": {k: v.isoformat() for k, v in since.items()},
        "alerted": sorted(late)}))
    return dg.SkipReason(f"stale: {', '.join(sorted(late)) or 'nothing'}")


def _event(kind: str, name: str, detail: str, now: datetime) -> dict:
    supplier = None if name == "marts" else name
    return {"event_id": key_of(kind, name, now.isoformat()), "event_kind": kind,
            "happened_at": now, "supplier_id": supplier, "repeat_key": f"{kind}|{name}",
            "detail": detail if supplier else f"the marts: {detail}"}
