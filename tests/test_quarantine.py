"""A scrape partition that breaks is quarantined: it is kept for inspection, the marts ignore
it, and it never shows up as a price change."""

import os
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from supplier_pipeline.demo.run import QUIET, window_starts
from supplier_pipeline.demo.server import Faults
from supplier_pipeline.demo.shop_history import generate_shop_history
from supplier_pipeline.lib import settings
from supplier_pipeline.lib.warehouse import Warehouse


def test_broken_partition_never_creates_a_price_period(shop_env):
    from supplier_pipeline.definitions import defs as load_defs

    now = datetime.now(UTC)
    generate_shop_history(settings.shop_inbox(), now.date())
    defs, instance = load_defs(), dg.DagsterInstance.ephemeral()

    def run(job, **kwargs):
        return defs.resolve_job_def(job).execute_in_process(
            instance=instance, run_config={**QUIET, **kwargs.pop("run_config", {})},
            raise_on_error=False, **kwargs)

    def scrape_window(start: datetime, moment: datetime):
        shop_env.market.set_time(moment)
        key = dg.MultiPartitionKey({"supplier": "ricambi_italia",
                                    "window": f"{start:%Y-%m-%d-%H:%M}"})
        return run("scrape_suppliers_job", partition_key=key, run_config={"ops": {
            "raw__supplier_offers": {"config": {"observed_at": moment.isoformat()}}}})

    run("shop_ingest_job")
    starts = window_starts(now, 3)
    moments = [s + timedelta(minutes=5) for s in starts]
    scrape_window(starts[0], moments[0])
    conditions = shop_env.conditions["ricambi_italia"]
    conditions.faults = Faults(server_error=1.0)
    try:
        broken = scrape_window(starts[1], moments[1])
    finally:
        conditions.faults = Faults()
    scrape_window(starts[2], moments[2])
    run("transform_job")

    checks = {e.check_name: e.passed
              for e in broken.get_asset_check_evaluations()}
    assert checks["offers_present"] is False
    assert not broken.success  # blocking checks fail the run, so the team hears of it

    store = Warehouse(None, settings.duckdb_path())
    runs = store.read("select window_start, status, reason from raw.scrape_runs "
                      "order by window_start")
    assert list(runs["status"]) == ["ok", "failed", "ok"]
    assert "http_error" in runs["reason"].iloc[1]
    log = store.read("select outcome, attempt from raw.fetch_log where window_start = ?",
                     [starts[1]])
    assert set(log["outcome"]) == {"http_error"} and log["attempt"].max() > 1

    history = store.read("select * from marts.fct_price_history "
                         "where supplier_id = 'ricambi_italia'")
    valid_from = set(pd.to_datetime(history["valid_from"], utc=True))
    assert valid_from <= {pd.Timestamp(moments[0]), pd.Timestamp(moments[2])}
    offers = len(shop_env.market.offers["ricambi_italia"])
    assert history["observations"].sum() == 2 * offers
    assert history.groupby("supplier_sku")["is_current"].sum().eq(1).all()


def test_a_scrape_killed_half_way_leaves_the_previous_state(tmp_path):
    """SIGKILL in the middle of a scrape: the partition keeps its previous rows."""
    import signal
    import subprocess
    import sys
    import time

    from supplier_pipeline.demo.world import DemoCredentials, demo_shops
    from supplier_pipeline.lib.scraping.scrape import scrape
    from supplier_pipeline.lib.scraping.session import CookieStore
    from supplier_pipeline.lib.scraping.store import store_scrape
    from supplier_pipeline.lib.suppliers.config import load_suppliers

    store = Warehouse(None, tmp_path / "w.duckdb")
    window = datetime(2026, 11, 28, 8, tzinfo=UTC)
    credentials = DemoCredentials("buyer@demo.invalid", "kill-test-password", "kill-token")
    with demo_shops(credentials=credentials, latency_ms=500) as shops:
        env = shops.environment()
        config = load_suppliers(environ=env)["ricambi_italia"]
        first = scrape(config, "prices", environ=env, store=CookieStore("t", tmp_path))
        store_scrape(store, first, window, "first-run", "ok", None)
        code = (
            "import os, sys\n"
            "from datetime import datetime, UTC\n"
            "from supplier_pipeline.lib.scraping.scrape import scrape\n"
            "from supplier_pipeline.lib.scraping.store import store_scrape\n"
            "from supplier_pipeline.lib.suppliers.config import load_suppliers\n"
            "from supplier_pipeline.lib.warehouse import Warehouse\n"
            "config = load_suppliers()['ricambi_italia']\n"
            "print('scraping', flush=True)\n"
            "result = scrape(config, 'prices')\n"
            f"store_scrape(Warehouse(None, {str(tmp_path / 'w.duckdb')!r}), result,"
            " datetime(2026, 11, 28, 8, tzinfo=UTC), 'killed-run', 'ok', None)\n")
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, **env,
                                      "SUPPLIER_PIPELINE_STATE_DIR": str(tmp_path)})
        assert child.stdout.readline().strip() == "scraping"
        time.sleep(1.5)  # logging in and reading listing pages (500 ms each)
        child.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL, "the scrape finished before it could be killed"
    rows = store.read("select run_id, count(*) as n from raw.supplier_offers group by run_id")
    assert list(rows["run_id"]) == ["first-run"]
    assert int(rows["n"].iloc[0]) == len(first.observations)


def test_a_rerun_during_an_outage_keeps_the_good_result_and_no_past_window_is_backfilled(
        shop_env):
    from supplier_pipeline.definitions import defs as load_defs

    now = datetime.now(UTC)
    defs, instance = load_defs(), dg.DagsterInstance.ephemeral()
    start = window_starts(now, 1)[0]
    key = dg.MultiPartitionKey({"supplier": "ricambi_italia",
                                "window": f"{start:%Y-%m-%d-%H:%M}"})

    def scrape(partition=key, observed_at: datetime | None = None):
        config = {"observed_at": observed_at.isoformat()} if observed_at else {}
        return defs.resolve_job_def("scrape_suppliers_job").execute_in_process(
            instance=instance, partition_key=partition, raise_on_error=False,
            run_config={**QUIET, "ops": {"raw__supplier_offers": {"config": config}}})

    good = scrape()
    store = Warehouse(None, settings.duckdb_path())
    offers = store.read("select supplier_sku, price_net from raw.supplier_offers "
                        "order by supplier_sku")
    conditions = shop_env.conditions["ricambi_italia"]
    conditions.faults = Faults(server_error=1.0)
    try:
        rerun = scrape()
    finally:
        conditions.faults = Faults()
    assert good.success and len(offers) > 0
    assert not rerun.success  # the team hears of the failed attempt
    kept = store.read("select supplier_sku, price_net from raw.supplier_offers "
                      "order by supplier_sku")
    pd.testing.assert_frame_equal(kept, offers)
    runs = store.read("select run_id, status from raw.scrape_runs")
    assert runs.values.tolist() == [[good.run_id, "ok"]]
    attempts = set(store.read("select run_id from raw.fetch_log")["run_id"])
    assert attempts == {good.run_id, rerun.run_id}  # the failed attempt's requests are kept

    two_days_ago = start - timedelta(days=2)
    old_key = dg.MultiPartitionKey({"supplier": "ricambi_italia",
                                    "window": f"{two_days_ago:%Y-%m-%d-%H:%M}"})
    backfill = scrape(old_key)
    assert not backfill.success
    failure = next(e for e in backfill.all_events if e.event_type_value == "STEP_FAILURE")
    assert "cannot fill a past window" in str(failure.event_specific_data.error.message)
    stored = store.read("select count(*) as n from raw.supplier_offers where window_start = ?",
                        [two_days_ago])
    assert stored["n"].iloc[0] == 0
