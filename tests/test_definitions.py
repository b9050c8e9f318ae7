"""The code location loads and holds the expected assets, jobs, schedules and sensors."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from supplier_pipeline.definitions import defs as load_defs

EXPECTED_ASSETS = {
    "raw/supplier_offers", "raw/supplier_catalog", "raw/suppliers", "raw/shop_parts",
    "raw/repair_orders", "raw/stock_on_hand", "raw/open_purchase_orders",
    "staging/stg_scrape__offers", "marts/fct_price_history", "marts/mart_best_offer",
    "marts/fct_part_demand_daily", "marts/dim_parts", "marts/dim_suppliers",
    "intermediate/int_offers_matched_to_parts", "analytics/part_demand_forecast",
    "alerting/alerts", "alerting/delivery_attempts", "marts/mart_alert_events",
    "analytics/purchase_proposals", "analytics/po_files",
    "analytics/forecast_accuracy", "marts/fct_stock_history", "marts/fct_offer_changes",
    "marts/mart_supplier_performance", "raw/scrape_runs", "raw/fetch_log",
}
EXPECTED_JOBS = {"scrape_suppliers_job", "catalog_sync_job", "shop_ingest_job", "transform_job",
                 "forecast_job", "alerts_job", "deliver_alerts_job", "purchase_proposals_job",
                 "freshness_checks_job"}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return load_defs()


def test_expected_assets_exist(defs):
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert keys >= EXPECTED_ASSETS


def test_every_asset_has_group_and_description(defs):
    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        assert node.group_name and node.group_name != "default", key
        assert node.description, key


def test_jobs_schedules_and_sensors(defs):
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert jobs >= EXPECTED_JOBS
    schedules = {s.name: s for s in defs.schedules}
    crons = {name: s.cron_schedule for name, s in schedules.items()}
    assert crons["prices_ricambi_italia_schedule"] == "0 */4 * * *"
    assert crons["catalog_ricambi_italia_schedule"] == "0 2 * * *"
    assert crons["purchase_proposals_schedule"] == "*/30 * * * *"
    assert crons["freshness_checks_schedule"] == "15 * * * *"
    assert {"shop_inbox_sensor", "run_failure_alert_sensor", "transform_after_scrapes_sensor",
            "stale_data_alert_sensor", "alerts_sensor"} <= {s.name for s in defs.sensors}
    # on a laptop nothing starts by itself (production: tests/test_automation.py)
    assert {s.default_status for s in defs.schedules} == {dg.DefaultScheduleStatus.STOPPED}


def test_scrape_schedule_requests_the_window_in_progress(defs):
    schedule = defs.resolve_schedule_def("prices_teile_feed_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
        repository_def=defs.get_repository_def())
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == dg.MultiPartitionKey(
        {"supplier": "teile_feed", "window": "2026-11-28-08:00"})


def test_partitions_are_the_suppliers_of_suppliers_dir(defs):
    # tests point SUPPLIERS_DIR at the demo shops; the disabled template is never loaded
    partitions = defs.resolve_job_def("scrape_suppliers_job").partitions_def
    suppliers = set(partitions.get_partitions_def_for_dimension("supplier").get_partition_keys())
    assert suppliers == {"ricambi_italia", "fixparts_js", "teile_feed"}
    assert {s.name for s in defs.schedules if "newbest" in s.name} == set()
