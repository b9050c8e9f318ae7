"""Automation that runs by itself: the marts follow landed scrapes, stale suppliers and marts
are red checks and one alert each, production turns every schedule and sensor on."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from supplier_pipeline.defs.resources import AlertingResource, WarehouseResource
from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.demo.webhook import build_app as webhook_app
from supplier_pipeline.demo.world import SUPPLIERS_DIR as DEMO_SUPPLIERS
from supplier_pipeline.lib.freshness import allowed_age, stale
from supplier_pipeline.lib.warehouse import Warehouse

OFFERS = dg.AssetKey(["raw", "supplier_offers"])
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def defs():
    from supplier_pipeline.definitions import defs as load_defs

    return load_defs()


def land_scrape(instance: dg.DagsterInstance, supplier: str, status: str = "ok") -> None:
    key = dg.MultiPartitionKey({"supplier": supplier, "window": "2026-11-30-08:00"})
    instance.report_runless_asset_event(dg.AssetMaterialization(
        asset_key=OFFERS, partition=str(key), metadata={"supplier": supplier, "status": status}))


def test_stale_counts_a_never_updated_source_from_when_it_was_first_watched():
    limits = {"a": allowed_age(timedelta(hours=4)), "b": allowed_age(timedelta(hours=4))}
    assert limits["a"] == timedelta(hours=8, minutes=30)
    last = {"a": NOW - timedelta(hours=8)}
    assert stale(last, limits, NOW, {"b": NOW - timedelta(hours=1)}) == {}
    late = stale({"a": NOW - timedelta(hours=9)}, limits, NOW, {"b": NOW - timedelta(hours=9)})
    assert late["a"].startswith("last good update 9h 00m ago")
    assert late["b"] == "no good update recorded (allowed: 8h 30m)"
    assert set(stale({}, limits, NOW)) == {"a", "b"}  # nothing watched: stale at once


def test_transform_runs_once_after_scrapes_land_and_waits_for_running_ones(defs):
    sensor = defs.resolve_sensor_def("transform_after_scrapes_sensor")
    with dg.instance_for_test() as instance:
        def tick(cursor):
            context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                              definitions=defs)
            return sensor.evaluate_tick(context)

        assert not tick(None).run_requests  # nothing has landed yet
        land_scrape(instance, "teile_feed")
        first = tick(None)
        assert len(first.run_requests) == 1 and sensor.job_name == "transform_job"
        assert not tick(first.cursor).run_requests  # the same scrape is built once
        land_scrape(instance, "fixparts_js")
        scrape_job = defs.resolve_job_def("scrape_suppliers_job")
        instance.create_run_for_job(scrape_job, run_config={}, tags={})  # not started yet
        waiting = tick(first.cursor)
        assert not waiting.run_requests
        assert "waiting for 1" in waiting.skip_message


def test_stale_suppliers_are_a_failing_check_naming_them(defs):
    with dg.instance_for_test() as instance:
        land_scrape(instance, "teile_feed")
        land_scrape(instance, "fixparts_js")
        land_scrape(instance, "ricambi_italia", status="quarantined")
        result = defs.resolve_job_def("freshness_checks_job").execute_in_process(
            instance=instance)
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e
                   for e in result.get_asset_check_evaluations()}
    supplier_check = evaluations.pop(("raw/supplier_offers",
                                      "every_supplier_scraped_within_its_cadence"))
    assert not supplier_check.passed
    assert supplier_check.metadata["stale_suppliers"].value == "ricambi_italia"
    assert {key for key, _ in evaluations} == {"marts/fct_price_history",
                                               "marts/fct_stock_history", "marts/mart_best_offer"}
    assert not any(e.passed for e in evaluations.values())  # never built


def test_stale_data_is_alerted_once_and_its_recovery_once(defs, tmp_path):
    received: list[dict] = []
    webhook = BackgroundServer(webhook_app(received)).start()
    sensor = defs.resolve_sensor_def("stale_data_alert_sensor")
    store = Warehouse(None, tmp_path / "warehouse.duckdb")
    resources = {"warehouse": WarehouseResource(duckdb_path=str(store.duckdb_path)),
                 "alerting": AlertingResource(webhook_url=f"{webhook.url}/hook")}

    def queued() -> list[str]:
        if not store.table_exists("alerting.alerts"):
            return []
        return store.read("select text from alerting.alerts order by text")["text"].tolist()

    try:
        with dg.instance_for_test() as instance:
            def tick(cursor):
                context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                                  resources=resources)
                return sensor.evaluate_tick(context)

            fresh_deployment = tick(None)
            assert queued() == []  # nothing is due before its first scrape
            watched = json.loads(fresh_deployment.cursor)
            long_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
            watched["watched_since"] = {k: long_ago for k in watched["watched_since"]}
            late = tick(json.dumps(watched))
            assert len(queued()) == 4
            assert any("ricambi_italia: no good update recorded" in t for t in queued())
            again = tick(late.cursor)
            assert len(queued()) == 4  # still stale: not alerted twice
            for supplier in ("teile_feed", "fixparts_js", "ricambi_italia"):
                land_scrape(instance, supplier)
            tick(again.cursor)
            recovered = [t for t in queued() if "up to date again" in t]
            assert recovered == ["fixparts_js: up to date again",
                                 "ricambi_italia: up to date again",
                                 "teile_feed: up to date again"]  # the marts are still stale
            # the outbox delivers them: the stale ones at once (high severity)
            deliver = defs.resolve_job_def("deliver_alerts_job")
            deliver.execute_in_process(instance=instance, resources=resources)
            texts = [line["text"] for message in received for line in message["alerts"]]
            assert sum("no good update recorded" in t or "last good update" in t
                       for t in texts) == 4
    finally:
        webhook.stop()


LOAD = """
import json
from supplier_pipeline.definitions import defs
d = defs()
partitions = d.resolve_job_def("scrape_suppliers_job").partitions_def
print(json.dumps({
    "suppliers": partitions.get_partitions_def_for_dimension("supplier").get_partition_keys(),
    "schedules": {s.name: s.default_status.value for s in d.schedules},
    "sensors": {s.name: s.default_status.value for s in d.sensors},
}))
"""


def load_in_subprocess(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True,
                          text=True, timeout=180)


def production_env(tmp_path, **extra) -> dict[str, str]:
    suppliers = tmp_path / "suppliers"
    suppliers.mkdir(exist_ok=True)
    text = (DEMO_SUPPLIERS / "teile_feed.yaml").read_text().replace("id: teile_feed",
                                                                    "id: acme_feed")
    (suppliers / "acme_feed.yaml").write_text(text)
    env = {**os.environ, "SUPPLIER_PIPELINE_ENV": "production",
           "WAREHOUSE_DSN": "postgresql://pipeline@127.0.0.1:5432/not_used_by_loading",
           "SHOP_INBOX_DIR": str(tmp_path / "inbox"), "PO_OUTBOX_DIR": str(tmp_path / "outbox"),
           "SUPPLIER_PIPELINE_STATE_DIR": str(tmp_path / "state"),
           "SUPPLIERS_DIR": str(suppliers)}
    env.update(extra)
    return env


def test_production_refuses_to_load_without_its_warehouse_and_folders(tmp_path):
    env = production_env(tmp_path, WAREHOUSE_DSN="", SHOP_INBOX_DIR="")
    result = load_in_subprocess(env)
    assert result.returncode != 0
    assert "SUPPLIER_PIPELINE_ENV=production needs: WAREHOUSE_DSN" in result.stderr
    assert "SHOP_INBOX_DIR" in result.stderr and "PO_OUTBOX_DIR" not in result.stderr


def test_production_holds_only_its_own_suppliers_and_automation_runs(tmp_path):
    result = load_in_subprocess(production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert loaded["suppliers"] == ["acme_feed"]  # no demo shop in a deployment
    assert {"prices_acme_feed_schedule", "freshness_checks_schedule"} <= set(loaded["schedules"])
    assert set(loaded["schedules"].values()) == {"RUNNING"}
    assert set(loaded["sensors"].values()) == {"RUNNING"}
    held = load_in_subprocess(production_env(tmp_path, SUPPLIER_PIPELINE_AUTOMATION="off"))
    assert held.returncode == 0, held.stderr
    loaded = json.loads(held.stdout.splitlines()[-1])
    assert set(loaded["schedules"].values()) | set(loaded["sensors"].values()) == {"STOPPED"}
