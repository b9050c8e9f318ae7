"""The maintenance job: compaction of old raw observations, on its own."""

import dagster as dg

raw_retention_job = dg.define_asset_job(
    "raw_retention_job",
    selection=dg.AssetSelection.assets(["maintenance", "raw_retention"]),
    description="Remove raw observations older than RAW_RETENTION_DAYS that repeat their offer's.",
)
