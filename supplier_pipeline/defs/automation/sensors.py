"""Sensors for real events: new exports in the shop's inbox, and failed runs."""

import json

import dagster as dg

from supplier_pipeline.defs.automation.jobs import shop_ingest_job
from supplier_pipeline.defs.resources import FoldersResource, NotifierResource
from supplier_pipeline.lib.shop.ingest import SOURCES


@dg.sensor(job=shop_ingest_job, minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.STOPPED)
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


@dg.run_failure_sensor(name="run_failure_alert_sensor",
                       default_status=dg.DefaultSensorStatus.STOPPED)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, notifier: NotifierResource):
    """Tell the team when a run fails (a supplier broke, a file was unreadable...)."""
    run = context.dagster_run
    notifier.send({"text": f"Run {run.run_id[:8]} of {run.job_name} failed: "
                           f"{context.failure_event.message}"})
