"""Weekly compaction of raw observations, Sunday 03:15 UTC, between two scrape rounds."""

import dagster as dg

from supplier_pipeline.defs.automation.status import default_schedule_status
from supplier_pipeline.defs.maintenance.jobs import raw_retention_job

raw_retention_schedule = dg.ScheduleDefinition(
    name="raw_retention_schedule", job=raw_retention_job, cron_schedule="15 3 * * 0",
    execution_timezone="UTC", default_status=default_schedule_status(),
    description="Compact raw observations older than RAW_RETENTION_DAYS every week.")
