"""Alerts: rules pick events from the marts into the outbox; delivery sends what is due.

Two assets, so raising never waits on a channel: `alerting/alerts` reads
marts.mart_alert_events and writes the alerts and their outbox rows in one transaction (in the
warehouse pool); `alerting/delivery_attempts` sends what is due and records every attempt,
outside the pool, touching the warehouse only for short claims and receipts.
"""

from datetime import UTC, datetime

import dagster as dg

from supplier_pipeline.defs.resources import AlertingResource, WarehouseResource
from supplier_pipeline.lib.alerting.rules import AlertRulesError

EVENTS = dg.AssetKey(["marts", "mart_alert_events"])


def _rules(alerting: AlertingResource):
    try:
        return alerting.rules()
    except AlertRulesError as exc:
        raise dg.Failure(str(exc)) from None


@dg.asset(key=["alerting", "alerts"], deps=[EVENTS], group_name="alerting", kinds={"python"},
          pool="warehouse")
def alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
           alerting: AlertingResource) -> dg.MaterializeResult:
    """Alerts the rules file selects from the marts' events, each queued once per recipient
    and channel (alerting.alerts, alerting.outbox)."""
    from supplier_pipeline.lib.alerting.outbox import raise_alerts

    rules, channels = _rules(alerting), alerting.channels()
    store = warehouse.get()
    events = store.read("select * from marts.mart_alert_events").to_dict("records")
    report = raise_alerts(store, rules, events, channels, datetime.now(UTC), alerting.ui_url)
    if report.unconfigured:
        context.log.warning("the rules name channels that are not configured: "
                            + ", ".join(sorted(report.unconfigured)))
    if "whatsapp" in channels and not alerting.whatsapp_template:
        context.log.warning("WhatsApp without WHATSAPP_TEMPLATE: WhatsApp accepts free-form "
                            "messages only within 24 hours of the recipient's last message, "
                            "and drops the others after accepting them")
    if report.unreachable:
        context.log.warning("the rules send to recipients without an address there: "
                            + ", ".join(sorted(report.unreachable)))
    preview = "\n".join(f"- **{a['severity']}** {a['text']}" for a in report.raised[:20])
    kinds: dict[str, int] = {}
    for alert in report.raised:
        kinds[alert["event_kind"]] = kinds.get(alert["event_kind"], 0) + 1
    return dg.MaterializeResult(metadata={
        "events": len(events), "raised": len(report.raised), "queued": report.queued,
        "seen_not_sent": report.seen, "repeats_not_sent": report.repeats,
        "by_kind": dg.MetadataValue.json(kinds),
        "channels": ", ".join(sorted(channels)) or "none configured",
        "unconfigured_channels": ", ".join(sorted(report.unconfigured)) or "none",
        "unreachable": ", ".join(sorted(report.unreachable)) or "none",
        "alerts": dg.MetadataValue.md(preview or "none"),
    })


class DeliveryConfig(dg.Config):
    send_digests_now: bool = False
    """Send the digests now instead of at their hour (say, before a holiday)."""


@dg.asset(key=["alerting", "delivery_attempts"], deps=[alerts], group_name="alerting",
          kinds={"python"})
def delivery_attempts(context: dg.AssetExecutionContext, config: DeliveryConfig,
                      warehouse: WarehouseResource,
                      alerting: AlertingResource) -> dg.MaterializeResult:
    """Every message that is due, sent once per recipient and channel; every attempt recorded
    (alerting.delivery_attempts). A channel that fails keeps its alerts for later."""
    from supplier_pipeline.lib.alerting.outbox import deliver

    report = deliver(warehouse.get(), _rules(alerting), alerting.channels(), datetime.now(UTC),
                     alerting.ui_url, digests_now=config.send_digests_now)
    for failure in report.failed:
        context.log.warning(f"{failure['channel']} to {failure['recipient']}: "
                            f"{failure['error']} (kept for a later attempt)")
    sent = "\n".join(f"- {s['channel']} → {s['recipient']}: {s['alerts']} alert(s)"
                     for s in report.sent[:30])
    return dg.MaterializeResult(metadata={
        "messages_sent": len(report.sent),
        "alerts_sent": sum(s["alerts"] for s in report.sent),
        "failed_attempts": len(report.failed),
        "channels_down": ", ".join(sorted(report.channels_down)) or "none",
        "sent": dg.MetadataValue.md(sent or "nothing was due"),
    })
