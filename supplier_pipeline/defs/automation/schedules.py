"""The business cadence: prices and stock every 4 hours (per supplier), the catalogue daily,
purchase proposals every 30 minutes. The marts follow the scrapes and the alerts follow the
marts (sensors)."""

import dagster as dg

from supplier_pipeline.defs.automation.jobs import (
    catalog_sync_job,
    forecast_job,
    purchase_proposals_job,
    scrape_suppliers_job,
)
from supplier_pipeline.defs.automation.status import default_schedule_status
from supplier_pipeline.defs.partitions import catalog_days, price_windows
from supplier_pipeline.lib.suppliers.config import supplier_schedules


def _scrape_schedule(supplier_id: str, cron: str, job,
                     dimension: str, windows: dg.TimeWindowPartitionsDefinition,
                     kind: str) -> dg.ScheduleDefinition:
    @dg.schedule(name=f"{kind}_{supplier_id}_schedule", cron_schedule=cron, job=job,
                 execution_timezone="UTC", description=f"{kind} of {supplier_id} ({cron}).",
                 default_status=default_schedule_status())
    def scrape_schedule(context: dg.ScheduleEvaluationContext):
        # The window that contains the tick: the scrape observes the shop now.
        window = windows.get_partition_key_for_timestamp(
            context.scheduled_execution_time.timestamp())
        key = dg.MultiPartitionKey({"supplier": supplier_id, dimension: window})
        return dg.RunRequest(run_key=str(key), partition_key=key)

    return scrape_schedule


def _build_scrape_schedules() -> list[dg.ScheduleDefinition]:
    schedules = []
    for supplier_id, prices_cron, catalog_cron in supplier_schedules():
        schedules.append(_scrape_schedule(supplier_id, prices_cron, scrape_suppliers_job,
                                          "window", price_windows, "prices"))
        schedules.append(_scrape_schedule(supplier_id, catalog_cron, catalog_sync_job,
                                          "day", catalog_days, "catalog"))
    return schedules


scrape_schedules = _build_scrape_schedules()

forecast_schedule = dg.ScheduleDefinition(
    name="forecast_schedule", job=forecast_job, cron_schedule="0 5 * * *",
    execution_timezone="UTC", description="Forecast demand once a day.",
    default_status=default_schedule_status())
purchase_proposals_schedule = dg.ScheduleDefinition(
    name="purchase_proposals_schedule", job=purchase_proposals_job,
    cron_schedule="*/30 * * * *", execution_timezone="UTC",
    description="Propose purchase orders every 30 minutes.",
    default_status=default_schedule_status())
