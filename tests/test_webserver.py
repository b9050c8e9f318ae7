"""The real Dagster webserver serves the code location: the asset graph with its groups and
descriptions, and the jobs and schedules."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

QUERY = """{ assetNodes { assetKey { path } groupName description }
  repositoriesOrError { ... on RepositoryConnection { nodes {
    jobs { name } schedules { name cronSchedule } sensors { name } } } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_webserver_shows_the_asset_graph(tmp_path):
    port = free_port()
    webserver = Path(sys.executable).parent / "dagster-webserver"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    # its own process group: the code server it spawns is stopped with it, not left behind
    process = subprocess.Popen([str(webserver), "-h", "127.0.0.1", "-p", str(port), "-m",
                                "supplier_pipeline.definitions"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the webserver did not come up"
            time.sleep(0.5)
        data = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": QUERY},
                          timeout=60).json()["data"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert nodes["marts/fct_price_history"]["groupName"] == "marts"
    assert nodes["raw/supplier_offers"]["groupName"] == "scrape"
    assert nodes["analytics/po_files"]["description"].startswith("One CSV and one JSON")
    groups = {n["groupName"] for n in nodes.values()}
    assert {"scrape", "shop", "staging", "intermediate", "marts", "analytics",
            "purchasing"} <= groups
    repository = data["repositoriesOrError"]["nodes"][0]
    assert "scrape_suppliers_job" in {j["name"] for j in repository["jobs"]}
    crons = {s["name"]: s["cronSchedule"] for s in repository["schedules"]}
    assert crons["purchase_proposals_schedule"] == "*/30 * * * *"
