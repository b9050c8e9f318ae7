"""Raising and delivering alerts, together or delivery alone."""

import dagster as dg

alerts_job = dg.define_asset_job(
    "alerts_job", selection=dg.AssetSelection.groups("alerting"),
    description="Raise alerts from the marts' events and deliver what is due.")
deliver_alerts_job = dg.define_asset_job(
    "deliver_alerts_job", selection=dg.AssetSelection.assets(["alerting", "delivery_attempts"]),
    description="Deliver the alerts that are due (digests, retries, sensor alerts).")
