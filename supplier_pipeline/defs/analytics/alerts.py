"""Price alerts: big enough price moves on matched parts, stored and posted to a webhook."""

from datetime import UTC, datetime

import dagster as dg
import httpx

from supplier_pipeline.defs.resources import NotifierResource, WarehouseResource


class PriceAlertConfig(dg.Config):
    threshold_pct: float = 5.0
    """Smallest price move, in percent, that raises an alert."""


@dg.asset(
    key=["analytics", "price_alerts"],
    deps=[dg.AssetKey(["marts", "fct_price_history"])],
    group_name="analytics",
    kinds={"python"},
    pool="warehouse",
)
def price_alerts(context: dg.AssetExecutionContext, config: PriceAlertConfig,
                 warehouse: WarehouseResource,
                 notifier: NotifierResource) -> dg.MaterializeResult:
    """Alerts for price moves beyond the threshold; each change is alerted once."""
    from supplier_pipeline.lib.alerts import price_change_alerts  # pandas: only when running

    store = warehouse.get()
    history = store.read("select * from marts.fct_price_history")
    raised = set()
    if store.table_exists("analytics.price_alerts"):
        raised = set(store.read("select alert_id from analytics.price_alerts")["alert_id"])
    alerts = price_change_alerts(history, config.threshold_pct, raised)
    now = datetime.now(UTC)
    delivered = 0
    for alert in alerts:
        alert["raised_at"] = now
        try:
            alert["delivered"] = notifier.send({"text": alert["message"], "alert": {
                k: str(v) for k, v in alert.items()}})
        except httpx.HTTPError as exc:
            context.log.warning(f"alert {alert['alert_id']} not delivered: {exc}")
            alert["delivered"] = False
        delivered += bool(alert["delivered"])
    store.append("analytics.price_alerts", alerts)
    preview = "\n".join(f"- {a['message']}" for a in alerts[:15])
    return dg.MaterializeResult(metadata={
        "new_alerts": len(alerts), "delivered": delivered,
        "threshold_pct": config.threshold_pct, "alerts": dg.MetadataValue.md(preview or "none"),
    })
