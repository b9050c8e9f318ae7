"""Steps on Celery workers: a real `dagster-celery` worker on RabbitMQ runs the scrape job's
supplier step against a demo shop, with Dagster's storage (deploy/dagster.celery.yaml) and the
warehouse on PostgreSQL. The run is started the way a deployment starts it: from the code
location's module, with SUPPLIER_PIPELINE_EXECUTOR=celery."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest

from supplier_pipeline.defs.executor import choose_executor
from supplier_pipeline.defs.partitions import supplier_price_windows
from supplier_pipeline.lib.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
SUPPLIER = "ricambi_italia"
STEP = "raw__supplier_offers"


def test_default_executor_is_left_to_dagster():
    assert choose_executor("") is None


def test_celery_executor_is_dagster_celerys():
    assert choose_executor("celery").name == "celery"


def test_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="SUPPLIER_PIPELINE_EXECUTOR='k8s'"):
        choose_executor("k8s")


@pytest.fixture
def broker_url() -> str:
    """The test broker; skipped when it does not answer, except in CI, where it must."""
    from kombu import Connection

    try:
        with Connection(BROKER_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:  # kombu raises the transport's own errors
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the Celery broker is unreachable at {BROKER_URL}: {error}")
        pytest.skip(f"Celery broker not reachable at {BROKER_URL}")
    return BROKER_URL


@pytest.fixture
def celery_env(broker_url, postgres_dsn, shop_env, tmp_path, monkeypatch):
    """The environment of every process of the deployment: a DAGSTER_HOME holding the Celery
    instance variant, Dagster's storage and the warehouse in the test's database, a queue of
    its own (so parallel test runs never take each other's steps) and the demo shops."""
    from kombu import Connection

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.celery.yaml", home / "dagster.yaml")
    dsn = urlsplit(postgres_dsn)
    queue = f"sp_test_{uuid.uuid4().hex[:10]}"
    for name, value in {
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_HOST": dsn.hostname, "DAGSTER_POSTGRES_PORT": str(dsn.port or 5432),
        "DAGSTER_POSTGRES_USER": dsn.username or "postgres",
        "DAGSTER_POSTGRES_PASSWORD": dsn.password or "", "DAGSTER_POSTGRES_DB": dsn.path[1:],
        "WAREHOUSE_DSN": postgres_dsn,
        "SUPPLIER_PIPELINE_EXECUTOR": "celery", "CELERY_BROKER_URL": broker_url,
        "CELERY_BACKEND_URL": "rpc://", "CELERY_QUEUE": queue,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # the worker runs `celery`
    }.items():
        monkeypatch.setenv(name, value)
    yield dict(os.environ)
    with Connection(broker_url) as connection:
        connection.default_channel.queue_delete(queue)


@pytest.fixture
def worker(celery_env, tmp_path):
    """A `dagster-celery worker start` process on the test's queue; its log, once ready."""
    name = f"sp-test-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
             "-y", str(ROOT / "deploy" / "celery.yaml"), "-q", celery_env["CELERY_QUEUE"],
             "-n", name, "--", "--concurrency=1"],
            env=celery_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own group: `celery` runs as its child
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log_path.read_text(errors="replace"):
            assert process.poll() is None, f"worker exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"worker not ready:\n{log_path.read_text()}"
            time.sleep(0.3)
        yield name, log_path
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_scrape_step_runs_on_a_celery_worker(worker, celery_env, shop_env, postgres_dsn):
    worker_name, worker_log = worker
    now = datetime.now(UTC)
    window = now.replace(hour=now.hour - now.hour % 4, minute=0, second=0, microsecond=0)
    key = dg.MultiPartitionKey({"supplier": SUPPLIER, "window": f"{window:%Y-%m-%d-%H:%M}"})
    tags = supplier_price_windows.get_tags_for_partition_key(key)

    launched = subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "supplier_pipeline.definitions",
         "-j", "scrape_suppliers_job", "--tags", json.dumps(tags)],
        env=celery_env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert launched.returncode == 0, launched.stdout[-3000:] + launched.stderr[-3000:]

    with dg.DagsterInstance.get() as instance:
        [run] = instance.get_runs()
        assert run.is_success and run.tags["dagster/partition"] == str(key)
        events = [e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event]
    # dagster-celery's task reports the worker that took the step before executing it.
    [handed_over] = [e for e in events if e.is_engine_event and e.step_key == STEP
                     and "Celery worker" in e.engine_event_data.metadata]
    assert handed_over.engine_event_data.metadata["Celery worker"].value.startswith(
        f"{worker_name}@")
    assert any(e.is_step_success and e.step_key == STEP for e in events)
    assert "Task execute_plan[" in worker_log.read_text() and " succeeded in " in (
        worker_log.read_text())

    rows = Warehouse(postgres_dsn).read(
        "select o.supplier_sku, r.run_id, r.status from raw.supplier_offers o "
        "join raw.scrape_runs r using (supplier_id, window_start) "
        "where r.mode = 'prices' and o.supplier_id = ? and o.window_start = ?", [SUPPLIER, window])
    assert set(rows["supplier_sku"]) == {o.sku for o in shop_env.market.offers[SUPPLIER]}
    assert set(rows["run_id"]) == {run.run_id} and set(rows["status"]) == {"ok"}
