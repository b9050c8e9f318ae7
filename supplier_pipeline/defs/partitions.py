"""Partitions shared by every asset that uses them: supplier x 4-hour window for price and
stock scrapes, supplier x day for the catalogue sync."""

from datetime import datetime

import dagster as dg

from supplier_pipeline.lib.suppliers.config import supplier_ids

START = datetime(2026, 1, 1)

suppliers = dg.StaticPartitionsDefinition(supplier_ids())
# end_offset=1: the window in progress is a partition too, because a scrape observes the shop
# as it is now, inside the current window.
price_windows = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 */4 * * *", start=START, fmt="%Y-%m-%d-%H:%M", timezone="UTC", end_offset=1
)
catalog_days = dg.DailyPartitionsDefinition(start_date=START, timezone="UTC", end_offset=1)

supplier_price_windows = dg.MultiPartitionsDefinition(
    {"supplier": suppliers, "window": price_windows}
)
supplier_catalog_days = dg.MultiPartitionsDefinition({"supplier": suppliers, "day": catalog_days})
