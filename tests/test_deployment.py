"""The deployment as shipped: `deploy/serve.sh all` starts the code server, webserver and
daemon from the repository's dagster.yaml and workspace.yaml on PostgreSQL, in production mode,
with a fresh DAGSTER_HOME. A schedule tick runs a scrape through the run queue, a sensor
ingests the shop's exports, both land in the PostgreSQL warehouse, a read-only webserver
lets people look without launching anything, and the shipped Caddyfile asks for a login."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg2
import pytest
from conftest import PG_ADMIN_DSN, ROOT, _postgres_reachable
from test_webserver import free_port

SERVE = ROOT / "deploy" / "serve.sh"
STATE = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  location { name } schedules { name scheduleState { status } }
  sensors { name sensorState { status } } } } } }"""
RUNS = """{ runsOrError { ... on Runs { results { runId jobName status
  tags { key value } } } } }"""
RUN_EVENTS = """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
  events { __typename } } } }"""
PERMISSIONS = "{ permissions { permission value } }"


def graphql(port: int, query: str, **variables) -> dict:
    response = httpx.post(f"http://127.0.0.1:{port}/graphql",
                          json={"query": query, "variables": variables}, timeout=60)
    return response.json()["data"]


def wait_until(condition, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = condition()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(2)
    pytest.fail(f"{what} within {timeout:.0f} s; the services said:\n"
                + log.read_text()[-4000:])


@pytest.fixture
def databases():
    """Names for Dagster's and the warehouse's databases; `supplier-pipeline setup` creates
    them (that is part of what is tested), the fixture drops them."""
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but PostgreSQL is unreachable at {PG_ADMIN_DSN}")
        pytest.skip("PostgreSQL is not reachable")
    names = {"dagster": f"sp_dagster_{uuid.uuid4().hex[:8]}",
             "warehouse": f"sp_warehouse_{uuid.uuid4().hex[:8]}"}
    yield names
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    for name in names.values():
        admin.cursor().execute(f"drop database if exists {name} with (force)")
    admin.close()


def deployment_env(tmp_path: Path, databases: dict, shops, web_port: int,
                   code_port: int) -> dict[str, str]:
    from supplier_pipeline.demo.shop_history import generate_shop_history
    from supplier_pipeline.demo.world import SUPPLIERS_DIR as DEMO_SUPPLIERS

    suppliers = tmp_path / "suppliers"
    suppliers.mkdir()
    # one real-shaped supplier whose prices schedule ticks every minute, so the test sees a tick
    text = (DEMO_SUPPLIERS / "teile_feed.yaml").read_text()
    (suppliers / "teile_feed.yaml").write_text(
        text + '\nschedule:\n  prices_cron: "* * * * *"\n')
    generate_shop_history(tmp_path / "inbox", datetime.now(UTC).date())
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    admin = psycopg2.extensions.parse_dsn(PG_ADMIN_DSN)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "SUPPLIERS"))}
    env.update({
        "SUPPLIER_PIPELINE_ENV": "production",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "DAGSTER_POSTGRES_HOST": admin.get("host", "127.0.0.1"),
        "DAGSTER_POSTGRES_PORT": admin.get("port", "5432"),
        "DAGSTER_POSTGRES_USER": admin.get("user", "postgres"),
        "DAGSTER_POSTGRES_PASSWORD": admin.get("password", ""),
        "DAGSTER_POSTGRES_DB": databases["dagster"],
        "DAGSTER_WEBSERVER_PORT": str(web_port),
        "DAGSTER_CODE_SERVER_PORT": str(code_port),
        "WAREHOUSE_DSN": f"{base}/{databases['warehouse']}",
        "SHOP_INBOX_DIR": str(tmp_path / "inbox"),
        "PO_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SUPPLIER_PIPELINE_STATE_DIR": str(tmp_path / "state"),
        "SUPPLIERS_DIR": str(suppliers),
        "TEILE_FEED_URL": shops.servers["teile_feed"].url,
        "TEILE_FEED_TOKEN": shops.credentials.teile_token,
        "SUPPLIER_PIPELINE_BIN": str(Path(sys.executable).parent),
    })
    return env


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(SERVE), *args], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    with_group = os.getpgid(process.pid)
    os.killpg(with_group, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(with_group, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Proxy:
    process: subprocess.Popen
    editor_port: int
    viewer_port: int


def start_proxy(tmp_path: Path, web_port: int, read_only_port: int) -> Proxy:
    """The shipped Caddyfile, on Debian's Caddy, in front of the two webservers."""
    caddy = shutil.which("caddy")
    if caddy is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but caddy is not installed (make setup installs it)")
        pytest.skip("caddy is not installed")
    hashes = {role: subprocess.run([caddy, "hash-password", "--plaintext", password],
                                   capture_output=True, text=True, check=True).stdout.strip()
              for role, password in (("EDITOR", "editor-pass"), ("VIEWER", "viewer-pass"))}
    editor_port, viewer_port = free_port(), free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "caddy"),
           "XDG_CONFIG_HOME": str(tmp_path / "caddy"),
           "PROXY_EDITOR_PORT": str(editor_port), "PROXY_VIEWER_PORT": str(viewer_port),
           "DAGSTER_WEBSERVER_UPSTREAM": f"127.0.0.1:{web_port}",
           "DAGSTER_READ_ONLY_UPSTREAM": f"127.0.0.1:{read_only_port}",
           "DAGSTER_UI_EDITOR_USER": "editor", "DAGSTER_UI_VIEWER_USER": "viewer",
           "DAGSTER_UI_EDITOR_PASSWORD_HASH": hashes["EDITOR"],
           "DAGSTER_UI_VIEWER_PASSWORD_HASH": hashes["VIEWER"]}
    process = subprocess.Popen(
        [caddy, "run", "--adapter", "caddyfile", "--config", str(ROOT / "deploy" / "Caddyfile")],
        env=env, stdout=(tmp_path / "caddy.log").open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    proxy = Proxy(process, editor_port, viewer_port)
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{proxy.editor_port}/healthz").is_success,
               30, "the proxy did not start", tmp_path / "caddy.log")
    return proxy


def check_the_login(proxy: Proxy) -> None:
    editor = f"http://127.0.0.1:{proxy.editor_port}"
    viewer = f"http://127.0.0.1:{proxy.viewer_port}"
    # bcrypt is slow on purpose: give each check of a password time on a busy machine
    client = httpx.Client(timeout=60)
    assert client.get(f"{editor}/server_info").status_code == 401
    assert client.get(f"{editor}/server_info", auth=("editor", "wrong")).status_code == 401
    assert client.get(f"{viewer}/server_info", auth=("editor", "editor-pass")).status_code == 401
    assert client.get(f"{editor}/server_info", auth=("editor", "editor-pass")).is_success

    def may_launch(url: str, auth: tuple[str, str]) -> bool:
        answer = httpx.post(f"{url}/graphql", json={"query": PERMISSIONS}, auth=auth,
                            timeout=60).json()["data"]["permissions"]
        return {p["permission"]: p["value"] for p in answer}["launch_pipeline_execution"]

    assert may_launch(editor, ("editor", "editor-pass")) is True
    assert may_launch(viewer, ("viewer", "viewer-pass")) is False


def warehouse_rows(dsn: str, table: str) -> int:
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {table}")
        return cursor.fetchone()[0]


def test_the_shipped_stack_runs_by_itself_on_postgres(tmp_path, databases, shops):
    web_port, code_port, read_only_port = free_port(), free_port(), free_port()
    env = deployment_env(tmp_path, databases, shops, web_port, code_port)
    log = tmp_path / "serve.log"
    stack = start(["all"], env, log)
    viewer = None
    try:
        state = wait_until(lambda: graphql(web_port, STATE)["repositoriesOrError"]["nodes"],
                           180, "the webserver did not show the code location", log)[0]
        assert state["location"]["name"] == "supplier_pipeline"
        schedules = {s["name"]: s["scheduleState"]["status"] for s in state["schedules"]}
        sensors = {s["name"]: s["sensorState"]["status"] for s in state["sensors"]}
        assert "prices_teile_feed_schedule" in schedules
        assert not any(name.endswith(("ricambi_italia_schedule", "fixparts_js_schedule"))
                       for name in schedules), "demo suppliers leaked into production"
        assert set(schedules.values()) == {"RUNNING"}, schedules
        assert set(sensors.values()) == {"RUNNING"}, sensors

        def succeeded(job: str):
            runs = graphql(web_port, RUNS)["runsOrError"]["results"]
            return [r for r in runs if r["jobName"] == job and r["status"] == "SUCCESS"]

        scrape = wait_until(lambda: succeeded("scrape_suppliers_job"), 240,
                            "no scheduled scrape succeeded", log)[0]
        tags = {t["key"]: t["value"] for t in scrape["tags"]}
        assert tags["dagster/schedule_name"] == "prices_teile_feed_schedule"
        events = graphql(web_port, RUN_EVENTS, id=scrape["runId"])["logsForRun"]["events"]
        assert "RunEnqueuedEvent" in {e["__typename"] for e in events}  # through the queue
        wait_until(lambda: succeeded("shop_ingest_job"), 120,
                   "the inbox sensor's ingest did not succeed", log)
        assert warehouse_rows(env["WAREHOUSE_DSN"], "raw.supplier_offers") > 0
        assert warehouse_rows(env["WAREHOUSE_DSN"], "raw.repair_orders") > 0

        viewer_env = {**env, "DAGSTER_WEBSERVER_PORT": str(read_only_port)}
        viewer = start(["webserver-read-only"], viewer_env, tmp_path / "viewer.log")
        permissions = wait_until(lambda: graphql(read_only_port, PERMISSIONS)["permissions"],
                                 120, "the read-only webserver did not answer",
                                 tmp_path / "viewer.log")
        allowed = {p["permission"]: p["value"] for p in permissions}
        assert allowed["launch_pipeline_execution"] is False
        assert allowed["edit_sensor"] is False
        editor = {p["permission"]: p["value"]
                  for p in graphql(web_port, PERMISSIONS)["permissions"]}
        assert editor["launch_pipeline_execution"] is True
        proxy = start_proxy(tmp_path, web_port, read_only_port)
        try:
            check_the_login(proxy)
        finally:
            stop(proxy.process)
    finally:
        if viewer:
            stop(viewer)
        stop(stack)
    output = log.read_text()
    assert "does not match the name" not in output  # the location is named the same everywhere
    assert "UserWarning" not in output and "Caught error" not in output, output[-4000:]
    assert shops.credentials.teile_token not in output  # secrets never reach the logs
