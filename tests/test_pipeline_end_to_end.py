"""The demo pipeline materialises end to end through Dagster, on DuckDB and on PostgreSQL, and
re-running a partition gives the same warehouse state."""

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import jsonschema
import pytest

from supplier_pipeline.demo.run import close_the_loop, replay_pipeline, window_starts
from supplier_pipeline.demo.server import BackgroundServer
from supplier_pipeline.demo.shop_history import generate_shop_history
from supplier_pipeline.demo.webhook import build_app as webhook_app
from supplier_pipeline.lib import settings
from supplier_pipeline.lib.purchasing.po_files import SCHEMA_FILE
from supplier_pipeline.lib.warehouse import Warehouse

SUPPLIERS = ["ricambi_italia", "fixparts_js", "teile_feed"]
STATE_TABLES = ["raw.supplier_offers", "raw.fetch_log", "marts.fct_price_history",
                "marts.fct_stock_history", "marts.fct_offer_changes",
                "marts.mart_best_offer"]



def counts(store: Warehouse) -> dict[str, int]:
    return {t: int(store.read(f"select count(*) as n from {t}")["n"].iloc[0])
            for t in STATE_TABLES}


@pytest.fixture
def webhook(monkeypatch):
    received: list[dict] = []
    server = BackgroundServer(webhook_app(received)).start()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"{server.url}/hook")
    yield received
    server.stop()


def run_demo(shops, now: datetime, windows: int) -> tuple[dg.Definitions, dg.DagsterInstance]:
    from supplier_pipeline.definitions import defs as load_defs

    generate_shop_history(settings.shop_inbox(), now.date())
    defs = load_defs()
    instance = dg.DagsterInstance.ephemeral()
    replay_pipeline(defs, instance, shops.market, SUPPLIERS, now, windows, log=lambda _: None)
    return defs, instance


def check_dbt_contracts(store: Warehouse, run_dbt) -> None:
    """The unit tests of the change logic pass on this backend, and the docs build."""
    results = run_dbt(store, "test", "--select", "test_type:unit")
    assert len(results) >= 6 and all(str(r.status) == "pass" for r in results), results
    run_dbt(store, "docs", "generate", "--quiet")


def check_flow(store: Warehouse, received: list[dict]) -> None:
    history = store.read("select * from marts.fct_price_history")
    assert len(history) > 0
    changes = store.read("select change_type, count(*) as n from marts.fct_offer_changes "
                         "group by change_type")
    assert {"new_offer", "price_up", "price_down"} <= set(changes["change_type"])
    performance = store.read("select * from marts.mart_supplier_performance")
    assert set(performance["supplier_id"]) == set(SUPPLIERS)
    assert performance["scrape_success_rate"].between(0, 1).all()
    assert not history.duplicated(["supplier_id", "supplier_sku", "valid_from"]).any()
    changed = history.groupby(["supplier_id", "supplier_sku"]).size()
    assert (changed > 1).any(), "two windows apart, some prices must have changed"
    assert history["part_id"].notna().mean() > 0.9
    best = store.read("select * from marts.mart_best_offer where is_best_offer")
    assert best["part_id"].is_unique and len(best) > 100
    forecast = store.read("select * from analytics.part_forecast")
    assert (forecast["q95"] >= forecast["q50"]).all() and (forecast["mean"] >= 0).all()
    quarantined = store.read("select reason from raw.shop_quarantine")
    assert len(quarantined) == 3  # the demo export's three broken rows
    alerts = store.read("select * from alerting.alerts where status = 'raised'")
    assert {"price_up", "price_down", "out_of_stock"} <= set(alerts["event_kind"])
    events = store.read("select event_id from marts.mart_alert_events")
    assert set(alerts["alert_id"]) <= set(events["event_id"])
    # the shipped rules: the team's hourly digest; nothing high-severity happened here
    pending = store.read("select * from alerting.outbox where state = 'pending'")
    assert set(pending["delivery"]) == {"digest"} and len(received) == 0
    proposals = store.read("select * from analytics.purchase_proposals")
    assert len(proposals) > 0 and (proposals["quantity"] > 0).all()
    orders = store.read("select * from purchasing.purchase_orders")
    by_state = orders.groupby("state")["supplier_id"].apply(set).to_dict()
    # suppliers with an auto-approval limit got their PO; fixparts_js has none: it waits
    assert by_state["sent"] == set(proposals["supplier_id"]) - {"fixparts_js"}
    assert by_state.get("proposed", set()) == {"fixparts_js"} & set(proposals["supplier_id"])
    files = store.read("select * from analytics.po_files")
    assert set(files["supplier_id"]) == by_state["sent"]
    schema = json.loads(SCHEMA_FILE.read_text())
    lines = store.read("select * from purchasing.purchase_order_lines")
    for row in files.itertuples():
        document = json.loads(Path(row.json_path).read_text(encoding="utf-8"))
        jsonschema.validate(document, schema)
        count = int((lines["po_id"] == row.proposal_id).sum())
        assert len(document["lines"]) == count == row.lines
        assert Path(row.csv_path).name == f"{row.proposal_id}.csv"
        assert Path(row.csv_path).read_text(encoding="utf-8").count("\n") == count + 1


def test_demo_pipeline_on_duckdb(shop_env, webhook, run_dbt):
    now = datetime.now(UTC)
    defs, instance = run_demo(shop_env, now, windows=2)
    store = Warehouse(None, settings.duckdb_path())
    check_flow(store, webhook)
    check_dbt_contracts(store, run_dbt)
    before = counts(store)
    files_before = {path: path.read_bytes() for path in settings.po_outbox().iterdir()}
    sent_parts = "select l.part_id from purchasing.purchase_order_lines as l join " \
                 "purchasing.purchase_orders as o on l.po_id = o.po_id where o.state = 'sent'"
    sent_before = set(store.read(sent_parts)["part_id"])

    # Rerun one scrape partition and every later stage: nothing is duplicated, and what was
    # sent is on order: neither proposed again nor emitted a second time.
    last = window_starts(now, 1)[0]
    shop_env.market.set_time(now)
    key = dg.MultiPartitionKey({"supplier": "ricambi_italia", "window": f"{last:%Y-%m-%d-%H:%M}"})
    defs.resolve_job_def("scrape_suppliers_job").execute_in_process(
        instance=instance, partition_key=key, run_config={"ops": {"raw__supplier_offers": {
            "config": {"observed_at": now.isoformat()}}}})
    raised = "select alert_id, repeat_key from alerting.alerts where status = 'raised'"
    alerts_before = store.read(raised)
    events_before = set(store.read("select event_id from marts.mart_alert_events")["event_id"])
    for job in ("transform_job", "alerts_job", "purchase_proposals_job"):
        defs.resolve_job_def(job).execute_in_process(instance=instance)
    assert counts(store) == before
    # the rebuilt history raised nothing again: what is new (the PO proposed meanwhile, a part
    # that became needed, a change the re-scrape saw) is never the same thing again
    after = store.read(raised)
    new = after[~after["alert_id"].isin(alerts_before["alert_id"])]
    assert "po_waiting_approval" in set(store.read(
        "select event_kind from alerting.alerts where alert_id in ({})".format(
            ", ".join("?" for _ in new["alert_id"])), list(new["alert_id"]))["event_kind"])
    assert not set(new["repeat_key"]) & set(alerts_before["repeat_key"])
    # every event the first alert run saw and raised keeps its id
    assert set(alerts_before["alert_id"]) <= events_before
    # what was sent is never written again (a re-optimised basket may send new POs)
    assert {path: path.read_bytes() for path in files_before} == files_before
    # what was sent is on order: a part proposed again counts it (a top-up, when a supplier
    # showed too little stock for the whole need or a waiting split moved), and only while it
    # is still at or below its reorder point
    sent = store.read(sent_parts)
    again = store.read("select * from analytics.purchase_proposals")
    topped_up = again[again["part_id"].isin(sent_before)]
    assert sent_before and (topped_up["on_order"] > 0).all()
    position = again["on_hand"] + again["on_order"] - again["reserved"]
    assert (position <= again["reorder_point"]).all()

    # The order system answers: the ledger moves on and the deliveries are measured.
    close_the_loop(defs, instance, log=lambda _: None)
    states = set(store.read("select state from purchasing.purchase_orders")["state"])
    assert states & {"partly_received", "received"} and "sent" not in states
    deliveries = store.read("select * from marts.fct_po_deliveries")
    assert len(deliveries) == len(sent)
    assert (deliveries["received_quantity"] <= deliveries["ordered_quantity"]).all()
    delivered = store.read("select * from marts.mart_supplier_performance "
                           "where delivered_pos > 0")
    assert len(delivered) > 0 and delivered["fill_rate"].between(0.5, 1).all()
    # the PO waiting for approval is alerted; the team's digest goes out with everything, once
    defs.resolve_job_def("alerts_job").execute_in_process(instance=instance)
    waiting = store.read("select * from alerting.alerts where event_kind = 'po_waiting_approval'")
    proposed = set(store.read("select po_id from purchasing.purchase_orders "
                              "where state = 'proposed'")["po_id"])
    assert waiting["po_id"].is_unique and proposed <= set(waiting["po_id"])
    send_now = {"ops": {"alerting__delivery_attempts": {"config": {"send_digests_now": True}}}}
    for _ in range(2):
        defs.resolve_job_def("deliver_alerts_job").execute_in_process(instance=instance,
                                                                      run_config=send_now)
    assert len(webhook) == 1
    digest = webhook[0]
    raised = store.read("select * from alerting.alerts where status = 'raised'")
    assert len(digest["alerts"]) == len(raised)
    assert digest["subject"].startswith(f"Supplier alerts: {len(raised)} (")


def test_demo_pipeline_on_postgres(shop_env, webhook, postgres_dsn, monkeypatch, run_dbt):
    monkeypatch.setenv("WAREHOUSE_DSN", postgres_dsn)
    run_demo(shop_env, datetime.now(UTC), windows=2)
    store = Warehouse(postgres_dsn)
    check_flow(store, webhook)
    check_dbt_contracts(store, run_dbt)
    assert not settings.duckdb_path().exists(), "with a DSN nothing may go to DuckDB"
