"""Jobs: each stage of the flow can run on its own cadence."""

import dagster as dg

from supplier_pipeline.defs.partitions import supplier_catalog_days, supplier_price_windows

OFFERS = dg.AssetKey(["raw", "supplier_offers"])
# The freshness check looks at every supplier: it runs hourly on its own, not in each scrape.
scrape_suppliers_job = dg.define_asset_job(
    "scrape_suppliers_job",
    selection=dg.AssetSelection.assets(OFFERS) - dg.AssetSelection.checks(
        dg.AssetCheckKey(OFFERS, "every_supplier_scraped_within_its_cadence")),
    partitions_def=supplier_price_windows,
    description="Prices and stock of one supplier for one 4-hour window.",
)
catalog_sync_job = dg.define_asset_job(
    "catalog_sync_job",
    selection=dg.AssetSelection.assets(["raw", "supplier_catalog"]),
    partitions_def=supplier_catalog_days,
    description="Full catalogue with product details of one supplier for one day.",
)
shop_ingest_job = dg.define_asset_job(
    "shop_ingest_job",
    selection=dg.AssetSelection.groups("shop") | dg.AssetSelection.assets(["raw", "suppliers"]),
    description="Ingest the shop's exports and the supplier registry.",
)
transform_job = dg.define_asset_job(
    "transform_job",
    selection=dg.AssetSelection.groups("matching", "staging", "intermediate", "marts"),
    description="Match offers to parts and build the dbt staging models and marts.",
)
forecast_job = dg.define_asset_job(
    "forecast_job",
    selection=dg.AssetSelection.assets(["analytics", "part_demand_forecast"],
                                       ["analytics", "forecast_accuracy"]),
    description="Forecast part demand and measure past forecasts.",
)
purchase_proposals_job = dg.define_asset_job(
    "purchase_proposals_job",
    selection=dg.AssetSelection.groups("purchasing"),
    description="Propose purchase orders and emit PO files.",
)
