"""The warehouse's schema is set up once, not in every write; its logins are the least they
can be; connection strings never reach a log; BI reads a copy of the DuckDB file."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import dagster as dg
import duckdb
import psycopg2
import pytest
from psycopg2.extensions import make_dsn, parse_dsn

from supplier_pipeline import cli
from supplier_pipeline.defs.resources import WarehouseResource
from supplier_pipeline.lib.bi_snapshot import default_destination, write_snapshot
from supplier_pipeline.lib.database_setup import (
    DatabaseSetupError,
    create_roles,
    ensure_database,
    role_settings,
)
from supplier_pipeline.lib.tables import TABLES
from supplier_pipeline.lib.warehouse import Warehouse, WarehouseConnectionError

WINDOW = datetime(2026, 11, 28, 8, tzinfo=UTC)
SECRET = "s3cr3t-Passw0rd"


def offers(supplier: str, n: int = 3, price: str = "9.50") -> list[dict]:
    return [{"supplier_id": supplier, "window_start": WINDOW, "supplier_sku": f"k{i}",
             "price_net": Decimal(price)} for i in range(n)]


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    if request.param == "duckdb":
        return Warehouse(None, tmp_path / "warehouse.duckdb")
    return Warehouse(request.getfixturevalue("postgres_dsn"))


def with_lock_timeout(dsn: str) -> str:
    """The same database, as another process would open it, that gives up after 2 s waiting
    for a lock instead of waiting for ever."""
    return make_dsn(dsn, options="-c lock_timeout=2000")


def test_a_write_takes_no_lock_that_another_writers_transaction_would_block(postgres_dsn):
    Warehouse(postgres_dsn).prepare(list(TABLES))  # `supplier-pipeline setup`
    other = psycopg2.connect(postgres_dsn)  # a writer in the middle of its transaction
    try:
        other.cursor().execute("lock table raw.supplier_offers in row exclusive mode")
        # DDL such as `create index if not exists` would wait for it (and time out here)
        writer = Warehouse(with_lock_timeout(postgres_dsn))
        writer.replace("raw.supplier_offers", offers("a"), {"supplier_id": "a"})
        writer.replace("raw.supplier_offers", offers("a", price="9.60"), {"supplier_id": "a"})
    finally:
        other.rollback()
        other.close()
    prices = Warehouse(postgres_dsn).read("select price_net from raw.supplier_offers")
    assert {Decimal(str(p)) for p in prices["price_net"]} == {Decimal("9.60")}


def test_an_upgraded_warehouse_gains_its_missing_columns_and_indexes(postgres_dsn):
    admin = psycopg2.connect(postgres_dsn)
    with admin, admin.cursor() as cursor:  # as an older version left it
        cursor.execute("create schema raw")
        cursor.execute("create table raw.supplier_offers (supplier_id varchar, "
                       "window_start timestamptz, supplier_sku varchar)")
        cursor.execute("insert into raw.supplier_offers values ('old', now(), 'x')")
    admin.close()
    store = Warehouse(postgres_dsn)
    store.replace("raw.supplier_offers", offers("a"), {"supplier_id": "a"})
    indexes = set(store.read("select indexname from pg_indexes where tablename = ?",
                             ["supplier_offers"])["indexname"])
    assert indexes == {"supplier_offers__supplier_id__window_start",
                       "supplier_offers__supplier_id__loaded_at",
                       "supplier_offers__supplier_id__observed_at"}
    data = store.read("select supplier_id, price_net from raw.supplier_offers order by 1")
    assert list(data["supplier_id"]) == ["a", "a", "a", "old"]


def test_a_table_dropped_after_this_process_saw_it_is_created_again(store):
    store.replace("raw.supplier_offers", offers("a"), {"supplier_id": "a"})
    with store.connect() as connection:
        store.execute(connection, "drop table raw.supplier_offers")
    store.replace("raw.supplier_offers", offers("b", 2), {"supplier_id": "b"})
    assert list(store.read("select distinct supplier_id from raw.supplier_offers")
                ["supplier_id"]) == ["b"]


def test_setup_creates_every_table_and_runs_again_harmlessly(store, monkeypatch, capsys):
    if store.dsn:
        monkeypatch.setenv("WAREHOUSE_DSN", store.dsn)
    else:
        monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(store.duckdb_path))
    assert cli.main(["setup"]) == 0
    assert cli.main(["setup"]) == 0
    assert f"warehouse tables ready ({store.backend})" in capsys.readouterr().out
    assert all(store.table_exists(table) for table in TABLES)


# --- connection strings never logged ---------------------------------------------------------

BAD_DSNS = [f"postgresql//pipeline:{SECRET}@127.0.0.1:5432/warehouse",  # ':' forgotten
            f"host=127.0.0.1 port=5432 user=pipeline password={SECRET} dbname warehouse",
            f"postgresql://nobody_{uuid.uuid4().hex[:6]}:{SECRET}@127.0.0.1:5432/postgres"]


@pytest.mark.parametrize("dsn", BAD_DSNS)
def test_a_bad_warehouse_dsn_is_reported_without_its_password(dsn, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_DSN", dsn)
    with pytest.raises(WarehouseConnectionError) as raised:
        Warehouse(dsn).replace("raw.suppliers", [], {})
    assert SECRET not in str(raised.value) and raised.value.__context__ is None
    assert SECRET not in repr(Warehouse(dsn))
    assert cli.main(["setup"]) == 2
    assert SECRET not in capsys.readouterr().err
    with pytest.raises(DatabaseSetupError) as refused:
        ensure_database(dsn)
    assert SECRET not in str(refused.value)


def test_a_bad_warehouse_dsn_stays_out_of_the_step_log(monkeypatch):
    dsn = BAD_DSNS[0]
    monkeypatch.setenv("WAREHOUSE_DSN", dsn)

    @dg.asset
    def writes(warehouse: WarehouseResource) -> None:
        warehouse.get().replace("raw.suppliers", [], {})

    result = dg.materialize([writes], raise_on_error=False, resources={
        "warehouse": WarehouseResource(dsn=dg.EnvVar("WAREHOUSE_DSN"))})
    assert not result.success
    logged = "\n".join(str(event) for event in result.all_events)
    assert "cannot connect to the warehouse" in logged and SECRET not in logged


# --- logins ----------------------------------------------------------------------------------

@pytest.fixture
def roles(postgres_dsn):
    """Role names of this test only (roles belong to the whole server), dropped after it."""
    suffix = uuid.uuid4().hex[:8]
    names = {"writer": f"sp_writer_{suffix}", "bi": f"sp_bi_{suffix}"}
    yield names
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    for role in names.values():
        cursor = admin.cursor()
        cursor.execute("select 1 from pg_roles where rolname = %s", [role])
        if cursor.fetchone():
            cursor.execute(f"drop owned by {role} cascade")
    admin.close()
    server = psycopg2.connect(make_dsn(postgres_dsn, dbname="postgres"))
    server.autocommit = True
    # `drop owned` removed its objects and grants in the test database: the role can go
    server.cursor().execute(f"select pg_terminate_backend(pid) from pg_stat_activity "
                            f"where usename in ('{names['writer']}', '{names['bi']}')")
    for role in names.values():
        server.cursor().execute(f"drop role if exists {role}")
    server.close()


def login(dsn: str, role: str, password: str) -> str:
    return make_dsn(dsn, user=role, password=password)


def password_of(dsn: str, role: str) -> str:
    return Warehouse(dsn).read("select rolpassword from pg_authid where rolname = ?",
                               [role])["rolpassword"].iloc[0]


def test_setup_creates_a_writer_that_owns_the_warehouse_and_is_nothing_more(postgres_dsn, roles):
    Warehouse(postgres_dsn).prepare(list(TABLES))  # tables made by the administrator
    create_roles(postgres_dsn, "writer-pass-1", writer=roles["writer"], bi=roles["bi"])
    first = password_of(postgres_dsn, roles["writer"])
    create_roles(postgres_dsn, "writer-pass-2", writer=roles["writer"], bi=roles["bi"])
    assert password_of(postgres_dsn, roles["writer"]) not in (first, None)  # a new password
    writer = Warehouse(login(postgres_dsn, roles["writer"], "writer-pass-2"))
    writer.replace("raw.supplier_offers", offers("a"), {"supplier_id": "a"})
    with writer.connect() as connection:  # dbt creates its schemas and replaces tables
        writer.execute(connection, "create schema if not exists staging")
        writer.execute(connection, "drop table raw.suppliers")
    rights = writer.read("select rolsuper, rolcreatedb, rolcreaterole from pg_roles "
                         "where rolname = current_user").iloc[0]
    assert not rights.any()
    owners = writer.read("select distinct tableowner from pg_tables where schemaname = 'raw'")
    assert list(owners["tableowner"]) == [roles["writer"]]
    with writer.connect() as connection, pytest.raises(psycopg2.Error, match="permission"):
        writer.execute(connection, f"create role {roles['writer']}_x")


def test_the_bi_login_reads_marts_dbt_builds_later_and_nothing_else(postgres_dsn, roles):
    Warehouse(postgres_dsn).prepare(["raw.supplier_offers"])
    create_roles(postgres_dsn, "writer-pass", "bi-pass", **roles)
    writer = Warehouse(login(postgres_dsn, roles["writer"], "writer-pass"))
    writer.replace("raw.supplier_offers", offers("a"), {"supplier_id": "a"})
    with writer.connect() as connection:  # what dbt does after setup, as the writer
        writer.execute(connection, "create table marts.mart_best_offer as "
                                   "select supplier_id, price_net from raw.supplier_offers")
    bi = psycopg2.connect(login(postgres_dsn, roles["bi"], "bi-pass"))
    bi.autocommit = True
    try:
        cursor = bi.cursor()
        cursor.execute("select count(*) from marts.mart_best_offer")
        assert cursor.fetchone()[0] == 3
        for statement in ("select * from raw.supplier_offers",
                          "insert into marts.mart_best_offer values ('x', 1)",
                          "create table marts.mine (x int)", "create schema mine",
                          "create table public.mine (x int)"):
            with pytest.raises(psycopg2.Error, match="permission denied"):
                cursor.execute(statement)
    finally:
        bi.close()


def test_role_settings_come_from_the_environment():
    writer_dsn = "postgresql://supplier_pipeline_writer:pw-in-dsn@db:5432/warehouse"
    admin_dsn = "postgresql://postgres:admin-pw@db:5432/warehouse"
    assert role_settings({}, writer_dsn, required=False) is None
    assert role_settings({"WAREHOUSE_ADMIN_DSN": admin_dsn, "WAREHOUSE_BI_PASSWORD": "bi"},
                         writer_dsn, required=False) == (admin_dsn, "pw-in-dsn", "bi")
    # still on the superuser: it creates the writer, whose password must be given
    assert role_settings({"WAREHOUSE_WRITER_PASSWORD": "w"}, admin_dsn, required=False) == (
        admin_dsn, "w", None)
    for environ, dsn in [({}, admin_dsn), ({}, writer_dsn), ({}, None)]:
        with pytest.raises(DatabaseSetupError):
            role_settings(environ, dsn, required=True)


def test_setup_roles_from_the_command_line(postgres_dsn, monkeypatch, capsys):
    writer_dsn = login(postgres_dsn, "supplier_pipeline_writer", "writer-pass")
    if "supplier_pipeline_writer" in str(Warehouse(postgres_dsn).read(
            "select rolname from pg_roles")["rolname"].tolist()):
        pytest.skip("the server already has the real writer login: not touched by tests")
    monkeypatch.setenv("WAREHOUSE_DSN", writer_dsn)
    monkeypatch.setenv("WAREHOUSE_ADMIN_DSN", postgres_dsn)
    try:
        assert cli.main(["setup"]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "created login supplier_pipeline_writer" in out and "bi" not in out.lower()
        Warehouse(writer_dsn).replace("raw.suppliers", [{"supplier_id": "a"}], {})
    finally:
        admin = psycopg2.connect(postgres_dsn)
        admin.autocommit = True
        admin.cursor().execute("drop owned by supplier_pipeline_writer cascade")
        admin.close()
        server = psycopg2.connect(make_dsn(postgres_dsn, dbname="postgres"))
        server.autocommit = True
        server.cursor().execute("select pg_terminate_backend(pid) from pg_stat_activity "
                                "where usename = 'supplier_pipeline_writer'")
        server.cursor().execute("drop role supplier_pipeline_writer")
        server.close()
    assert parse_dsn(writer_dsn)["dbname"] == parse_dsn(postgres_dsn)["dbname"]


# --- BI reads a copy -------------------------------------------------------------------------

def test_bi_reads_a_snapshot_and_never_holds_the_pipeline_back(tmp_path):
    store = Warehouse(None, tmp_path / "warehouse.duckdb")
    store.replace("raw.supplier_offers", offers("a"), {"supplier_id": "a"})
    snapshot = write_snapshot(store, default_destination(store))
    assert snapshot == tmp_path / "bi" / "warehouse.duckdb"
    reader = duckdb.connect(str(snapshot), read_only=True)  # a BI tool, left open
    try:
        store.replace("raw.supplier_offers", offers("b", 2), {"supplier_id": "b"})  # not held
        write_snapshot(store, snapshot)  # replaced under the open reader
        assert reader.execute("select count(*) from raw.supplier_offers").fetchone()[0] == 3
    finally:
        reader.close()
    fresh = duckdb.connect(str(snapshot), read_only=True)
    assert fresh.execute("select count(*) from raw.supplier_offers").fetchone()[0] == 5
    fresh.close()
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["warehouse.duckdb"]


def test_bi_snapshot_command(tmp_path, monkeypatch, capsys, postgres_dsn):
    path = tmp_path / "live.duckdb"
    Warehouse(None, path).replace("raw.suppliers", [{"supplier_id": "a"}], {})
    monkeypatch.setenv("WAREHOUSE_DUCKDB_PATH", str(path))
    assert cli.main(["bi-snapshot", "--dest", str(tmp_path / "copy" / "live.duckdb")]) == 0
    copy = duckdb.connect(str(tmp_path / "copy" / "live.duckdb"), read_only=True)
    assert copy.execute("select supplier_id from raw.suppliers").fetchall() == [("a",)]
    copy.close()
    monkeypatch.setenv("WAREHOUSE_DSN", postgres_dsn)
    assert cli.main(["bi-snapshot"]) == 2
    assert "read it directly" in capsys.readouterr().err


def test_the_supplier_registry_stores_base_urls_without_their_secrets(tmp_path, monkeypatch):
    from supplier_pipeline.defs.resources import SuppliersResource
    from supplier_pipeline.defs.scrape.assets import supplier_registry

    monkeypatch.setenv("RICAMBI_ITALIA_URL", f"http://buyer:{SECRET}@127.0.0.1:8701/"
                                             f"?price_list_key={SECRET}&lang=it")
    store = Warehouse(None, tmp_path / "warehouse.duckdb")
    result = dg.materialize([supplier_registry], resources={
        "suppliers": SuppliersResource(),
        "warehouse": WarehouseResource(duckdb_path=str(store.duckdb_path))})
    assert result.success
    urls = dict(store.read("select supplier_id, base_url from raw.suppliers").values.tolist())
    assert urls["ricambi_italia"] == "http://***@127.0.0.1:8701/?price_list_key=***&lang=it"
    assert urls["teile_feed"].startswith("http://127.0.0.1:")


def test_docker_compose_runs_the_pipeline_as_the_writer_and_only_setup_as_the_superuser():
    import re

    import yaml
    from conftest import ROOT

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    def expanded(value: str, **given: str) -> str:  # compose's ${VAR:-default} / ${VAR:?msg}
        return re.sub(r"\$\{([A-Z_]+)(?::[-?]([^}]*))?\}",
                      lambda m: given.get(m.group(1), m.group(2) or ""), value)

    pipeline = services["user_code"]["environment"]["WAREHOUSE_DSN"]
    assert parse_dsn(expanded(pipeline))["user"] == "supplier_pipeline_writer"
    assert [name for name, service in services.items()
            if "WAREHOUSE_ADMIN_DSN" in service.get("environment", {})] == ["setup"]
    setup = {k: expanded(v, WAREHOUSE_WRITER_PASSWORD="w-pass", DAGSTER_POSTGRES_PASSWORD="su")
             for k, v in services["setup"]["environment"].items() if isinstance(v, str)}
    admin, password, bi = role_settings(setup, setup["WAREHOUSE_DSN"], required=False)
    assert parse_dsn(admin)["user"] == "dagster" and password == "w-pass" and bi is None
    unset = {k: expanded(v, DAGSTER_POSTGRES_PASSWORD="su")
             for k, v in services["setup"]["environment"].items() if isinstance(v, str)}
    with pytest.raises(DatabaseSetupError, match="WAREHOUSE_WRITER_PASSWORD"):
        role_settings(unset, unset["WAREHOUSE_DSN"], required=False)
