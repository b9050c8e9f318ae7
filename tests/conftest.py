import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_SUPPLIERS = ROOT / "supplier_pipeline" / "demo" / "suppliers"
# a developer's alert channels and rules never receive test alerts
ALERT_SETTINGS = ("ALERT_RULES_FILE", "DAGSTER_UI_URL", "ALERT_WEBHOOK_URL", "SLACK_WEBHOOK_URL",
                  "SLACK_BOT_TOKEN", "SMTP_HOST", "WHATSAPP_TOKEN", "TELEGRAM_BOT_TOKEN")
PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_configure(config):
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    os.environ.pop("DAGSTER_HOME", None)  # tests use ephemeral Dagster instances
    # The code location holds the suppliers of SUPPLIERS_DIR: in tests, the demo shops'.
    os.environ["SUPPLIERS_DIR"] = str(DEMO_SUPPLIERS)
    for name in ("SUPPLIER_PIPELINE_ENV", "SUPPLIER_PIPELINE_AUTOMATION"):
        os.environ.pop(name, None)
    if not (ROOT / "dbt_project" / "target" / "manifest.json").exists():
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run([str(dbt), "parse", "--quiet"], cwd=ROOT / "dbt_project", check=True)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Every test writes its warehouse, inbox, outbox and sessions under its own tmp folder."""
    for name in ("WAREHOUSE_DSN", "WAREHOUSE_DUCKDB_PATH", "SHOP_INBOX_DIR", "PO_OUTBOX_DIR",
                 *ALERT_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUPPLIERS_DIR", str(DEMO_SUPPLIERS))
    monkeypatch.setenv("SUPPLIER_PIPELINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SUPPLIER_PIPELINE_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


@pytest.fixture(scope="session")
def shops():
    """The three demo shops on free ports of 127.0.0.1, for the whole session."""
    from supplier_pipeline.demo.world import DemoCredentials, demo_shops

    credentials = DemoCredentials("buyer@demo.invalid", "test-only-password", "test-only-token")
    with demo_shops(credentials=credentials) as running:
        yield running


@pytest.fixture
def shop_env(shops, monkeypatch):
    """The environment that points the supplier configs at the demo shops."""
    for name, value in shops.environment().items():
        monkeypatch.setenv(name, value)
    shops.market.set_time(None)
    yield shops
    shops.market.set_time(None)


def _postgres_reachable() -> bool:
    import psycopg2

    try:
        psycopg2.connect(PG_ADMIN_DSN, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture
def postgres_dsn():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards.

    Skipped when no server answers, except in CI, where the PostgreSQL path must be tested.
    """
    import psycopg2

    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but PostgreSQL is unreachable at {PG_ADMIN_DSN}")
        pytest.skip("PostgreSQL is not reachable")
    name = f"sp_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    admin.cursor().execute(f"create database {name}")
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.cursor().execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.fixture
def run_dbt(monkeypatch):
    """Run dbt against a Warehouse (the same variables Dagster sets); fails with dbt's output.
    dbt runs in this process (dbtRunner): a subprocess would pay dbt's start-up every time."""
    from dbt.cli.main import dbtRunner

    def run(store, *args: str):
        from supplier_pipeline.lib.tables import TABLES

        with store.connect() as connection:
            store.ensure_tables(connection, list(TABLES))
        for name, value in store.dbt_environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(ROOT / "dbt_project")
        try:
            result = dbtRunner().invoke(list(args))
        finally:
            # dbt-duckdb keeps its database open in the process; let other processes in.
            from dbt.adapters.duckdb.connections import DuckDBConnectionManager

            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager.close_all_connections()
        assert result.success, f"dbt {' '.join(args)} failed: {result.exception or result.result}"
        return result.result

    return run
