"""Alerts on time: raise them when the events mart was rebuilt, deliver them when due, and
turn failed runs into alerts through the same outbox and channels."""

from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.alerting.jobs import alerts_job, deliver_alerts_job
from supplier_pipeline.defs.automation.status import default_sensor_status
from supplier_pipeline.defs.resources import AlertingResource, WarehouseResource
from supplier_pipeline.lib.alerting.outbox import key_of, pending_count, raise_alerts
from supplier_pipeline.lib.alerting.redact import redact
from supplier_pipeline.lib.alerting.rules import AlertRulesError

EVENTS = dg.AssetKey(["marts", "mart_alert_events"])
IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
               dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


@dg.sensor(jobs=[alerts_job, deliver_alerts_job], minimum_interval_seconds=60,
           default_status=default_sensor_status())
def alerts_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """Raise alerts once the events mart was rebuilt; otherwise deliver whatever is due
    (digests at their hour, retries after a channel failed, alerts other sensors queued)."""
    busy = sum(context.instance.get_runs_count(dg.RunsFilter(job_name=job.name,
                                                             statuses=IN_PROGRESS))
               for job in (alerts_job, deliver_alerts_job))
    if busy:
        return dg.SkipReason("an alert run is still in progress")
    records = context.instance.fetch_materializations(EVENTS, limit=1).records
    newest = records[0].storage_id if records else 0
    if newest > int(context.cursor or 0):
        context.update_cursor(str(newest))
        return dg.RunRequest(run_key=f"events-{newest}", job_name=alerts_job.name)
    try:
        due = pending_count(warehouse.get(), datetime.now(UTC))
    except Exception as exc:  # a busy or unreachable warehouse: ask again next tick
        return dg.SkipReason(f"cannot read the outbox now: {redact(str(exc))[:200]}")
    if not due:
        return dg.SkipReason("no alert is due")
    return dg.RunRequest(job_name=deliver_alerts_job.name)


def enqueue(warehouse: WarehouseResource, alerting: AlertingResource, events: list[dict],
            now: datetime) -> int:
    """Queue alerts a sensor raised (stale data, failed runs); alerts_sensor delivers them."""
    report = raise_alerts(warehouse.get(), alerting.rules(), events, alerting.channels(), now,
                          alerting.ui_url)
    return len(report.raised)


@dg.run_failure_sensor(name="run_failure_alert_sensor", default_status=default_sensor_status())
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: WarehouseResource,
                             alerting: AlertingResource):
    """Tell the team when a run fails, without any secret the error may quote."""
    run = context.dagster_run
    now = datetime.now(UTC)
    errors = [_root_cause(event.event_specific_data.error)
              for event in context.get_step_failure_events()
              if event.event_specific_data and event.event_specific_data.error]
    message = redact(" ".join([context.failure_event.message or "", *errors[:2]]))[:800]
    event = {"event_id": key_of("run_failed", run.run_id), "event_kind": "run_failed",
             "happened_at": now, "repeat_key": f"run_failed|{run.run_id}", "run_id": run.run_id,
             "detail": f"run {run.run_id[:8]} of {run.job_name} failed: {message}"}
    try:
        enqueue(warehouse, alerting, [event], now)
    except AlertRulesError as exc:
        context.log.error(f"run failure not alerted: {exc}")


def _root_cause(error) -> str:
    """The exception that started it ("could not connect..."), not Dagster's wrapper."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
