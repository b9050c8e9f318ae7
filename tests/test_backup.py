"""Backup, wipe, restore: the same marts and the same Dagster runs, on DuckDB with Dagster on
SQLite and on PostgreSQL with Dagster on PostgreSQL; a restore never overwrites by accident."""

import json
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from supplier_pipeline.cli import main
from supplier_pipeline.lib.backup import libpq_environment
from supplier_pipeline.lib.scraping.records import Observation
from supplier_pipeline.lib.scraping.scrape import ScrapeResult
from supplier_pipeline.lib.scraping.store import store_scrape
from supplier_pipeline.lib.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 2, tzinfo=UTC)
MODELS = "+fct_price_history +fct_stock_history +fct_offer_changes"


@dg.asset
def heartbeat() -> int:
    """A run for Dagster's storage to remember."""
    return 1


def build_warehouse(store: Warehouse, run_dbt) -> None:
    for n, price in enumerate(["10.00", "10.00", "11.50", "11.50", "9.90"]):
        moment = T0 + timedelta(hours=4 * n)
        observations = [Observation("s", sku, moment, title=sku, price_net=Decimal(price) + i,
                                    currency="EUR", stock_state="in")
                        for i, sku in enumerate(["x", "y", "z"][: 3 - n // 3])]
        store_scrape(store, ScrapeResult("s", "prices", observations, []), moment, f"r{n}",
                     "ok", None)
    run_dbt(store, "seed", "--quiet")
    run_dbt(store, "run", "--select", MODELS, "--quiet")


def marts(store: Warehouse) -> dict[str, list[tuple]]:
    return {name: [tuple(map(str, row)) for row in store.read(
        f"select * from marts.{name} order by 1, 2, 3, 4").itertuples(index=False)]
        for name in ("fct_price_history", "fct_stock_history", "fct_offer_changes")}


def run_ids(home: Path) -> list[str]:
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        return sorted(run.run_id for run in instance.get_runs())
    finally:
        instance.dispose()


def record_runs(home: Path, count: int) -> list[str]:
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        for _ in range(count):
            assert dg.materialize([heartbeat], instance=instance).success
    finally:
        instance.dispose()
    return run_ids(home)


@pytest.fixture
def new_database(postgres_dsn):
    """Makes more empty databases on the test server, dropped afterwards."""
    base = postgres_dsn.rsplit("/", 1)[0]
    admin = psycopg2.connect(f"{base}/postgres")
    admin.autocommit = True
    names = []

    def create() -> str:
        names.append(f"sp_test_{uuid.uuid4().hex[:10]}")
        admin.cursor().execute(f"create database {names[-1]}")
        return f"{base}/{names[-1]}"

    yield create
    for name in names:
        admin.cursor().execute(f"drop database if exists {name} with (force)")
    admin.close()


def test_duckdb_warehouse_and_sqlite_dagster(tmp_path, run_dbt, monkeypatch, capsys):
    path, home, saved = tmp_path / "data" / "warehouse.duckdb", tmp_path / "home", tmp_path / "b"
    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(path))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    home.mkdir()
    store = Warehouse(None, path)
    build_warehouse(store, run_dbt)
    expected, runs = marts(store), record_runs(home, 2)

    assert main(["backup", str(saved)]) == 0
    assert main(["backup", str(saved)]) == 2  # never into a used folder
    path.unlink()
    shutil.rmtree(home)
    capsys.readouterr()
    assert main(["restore", str(saved)]) == 0
    assert "restored Dagster storage (sqlite)" in capsys.readouterr().out
    assert marts(store) == expected
    assert run_ids(home) == runs and len(runs) == 2

    record_runs(home, 1)
    assert main(["restore", str(saved)]) == 2
    assert "--force" in capsys.readouterr().err
    assert len(run_ids(home)) == 3  # refused: nothing touched
    assert main(["restore", str(saved), "--force"]) == 0
    assert run_ids(home) == runs
    assert marts(store) == expected


def test_postgres_warehouse_and_dagster(tmp_path, run_dbt, monkeypatch, capsys, postgres_dsn,
                                        new_database):
    home, saved = tmp_path / "home", tmp_path / "backup"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")  # the deployment's instance
    dagster_dsn = new_database()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_POSTGRES_HOST", "127.0.0.1")
    monkeypatch.setenv("DAGSTER_POSTGRES_PORT", "5432")
    monkeypatch.setenv("DAGSTER_POSTGRES_USER", "postgres")
    monkeypatch.setenv("DAGSTER_POSTGRES_PASSWORD", "never-on-a-command-line")
    monkeypatch.setenv("DAGSTER_POSTGRES_DB", dagster_dsn.rsplit("/", 1)[1])
    monkeypatch.setenv("WAREHOUSE_DSN", postgres_dsn)
    store = Warehouse(postgres_dsn)
    build_warehouse(store, run_dbt)
    expected, runs = marts(store), record_runs(home, 2)

    assert main(["backup", str(saved)]) == 0
    assert {p.name for p in saved.iterdir()} == {"backup.json", "warehouse.dump",
                                                 "dagster.dump"}

    restored_warehouse, restored_dagster = new_database(), new_database()
    monkeypatch.setenv("WAREHOUSE_DSN", restored_warehouse)
    monkeypatch.setenv("DAGSTER_POSTGRES_DB", restored_dagster.rsplit("/", 1)[1])
    capsys.readouterr()
    assert main(["restore", str(saved)]) == 0
    assert "restored Dagster storage (postgres)" in capsys.readouterr().out
    assert marts(Warehouse(restored_warehouse)) == expected
    assert run_ids(home) == runs and len(runs) == 2

    target = Warehouse(restored_warehouse)
    target.replace("raw.suppliers", [{"supplier_id": "written after the restore"}], {})
    assert main(["restore", str(saved)]) == 2
    assert len(target.read("select * from raw.suppliers")) == 1  # refused: nothing touched
    assert main(["restore", str(saved), "--force"]) == 0
    assert len(target.read("select * from raw.suppliers")) == 0
    assert marts(target) == expected
    assert run_ids(home) == runs


def test_the_password_reaches_the_child_only_through_its_environment(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "someone-elses")
    environ = libpq_environment("postgresql://u:s3cret@db.internal:6543/warehouse")
    assert {k: v for k, v in environ.items() if k.startswith("PG")} == {
        "PGHOST": "db.internal", "PGPORT": "6543", "PGUSER": "u", "PGPASSWORD": "s3cret",
        "PGDATABASE": "warehouse"}


def test_a_failing_backup_never_shows_the_password(tmp_path):
    from supplier_pipeline.lib.backup import backup

    # libpq quotes a URI it cannot parse whole, password included
    with pytest.raises(ValueError) as failure:
        backup(Warehouse("postgresql://pipeline:s3cret-pw@[db/warehouse"), None, tmp_path / "b")
    assert "s3cret-pw" not in str(failure.value)
    assert "postgresql://pipeline:***@[db/warehouse" in str(failure.value)


def test_restore_needs_a_backup_of_the_same_kind(tmp_path, monkeypatch, capsys):
    saved = tmp_path / "b"
    saved.mkdir()
    (saved / "backup.json").write_text(json.dumps({"warehouse": {"backend": "postgres"},
                                                   "dagster": None}))
    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    assert main(["restore", str(saved)]) == 2
    assert "postgres warehouse" in capsys.readouterr().err
