"""Sensors for real events: new exports in the shop's inbox, scrapes that landed."""

import json

import dagster as dg

from supplier_pipeline.defs.automation.jobs import shop_ingest_job, transform_job
from supplier_pipeline.defs.automation.status import default_sensor_status
from supplier_pipeline.defs.resources import FoldersResource
from supplier_pipeline.lib.shop.ingest import SOURCES

# What the marts are built from, and the jobs that write it (or build the marts themselves).
TRANSFORM_INPUTS = [dg.AssetKey(["raw", name]) for name in
                    ("supplier_offers", "supplier_catalog", "suppliers", *SOURCES)]
FEEDING_JOBS = ("scrape_suppliers_job", "catalog_sync_job", "shop_ingest_job", "transform_job")
IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
               dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


@dg.sensor(job=shop_ingest_job, minimum_interval_seconds=60,
           default_status=default_sensor_status())
def shop_inbox_sensor(context: dg.SensorEvaluationContext, folders: FoldersResource):
    """Ingest the shop's exports whenever the order system drops new versions."""
    inbox = folders.inbox()
    stamps = {name: (inbox / name).stat().st_mtime for name, _ in SOURCES.values()
              if (inbox / name).exists()}
    previous = json.loads(context.cursor) if context.cursor else {}
    if not stamps or stamps == previous:
        return dg.SkipReason(f"no new exports in {inbox}")
    context.update_cursor(json.dumps(stamps))
    return dg.RunRequest(run_key=json.dumps(stamps, sort_keys=True))


@dg.sensor(job=transform_job, minimum_interval_seconds=120,
           default_status=default_sensor_status())
def transform_after_scrapes_sensor(context: dg.SensorEvaluationContext):
    """Rebuild the marts once new scrapes or exports have landed and none is still running, so
    one dbt build covers a whole scrape round (dbt's start-up is most of a small build)."""
    newest = 0
    for key in TRANSFORM_INPUTS:
        records = context.instance.fetch_materializations(key, limit=1).records
        if records:
            newest = max(newest, records[0].storage_id)
    if newest <= int(context.cursor or 0):
        return dg.SkipReason("nothing new has landed since the last build")
    running = sum(context.instance.get_runs_count(dg.RunsFilter(job_name=job,
                                                                statuses=IN_PROGRESS))
                  for job in FEEDING_JOBS)
    if running:
        return dg.SkipReason(f"waiting for {running} scrape, ingest or build run(s) to end")
    context.update_cursor(str(newest))
    return dg.RunRequest(run_key=f"inputs-up-to-{newest}")
