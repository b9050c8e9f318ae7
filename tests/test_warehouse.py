from datetime import UTC, datetime
from decimal import Decimal

import pytest

from supplier_pipeline.lib.warehouse import Slice, Warehouse

WINDOW = datetime(2026, 11, 28, 8, tzinfo=UTC)


def rows(n: int, price: str) -> list[dict]:
    return [{"supplier_id": "s", "window_start": WINDOW, "supplier_sku": f"k{i}",
             "price_net": Decimal(price), "stock_state": "in"} for i in range(n)]


@pytest.fixture(params=["duckdb", "postgres"])
def store(request, tmp_path):
    if request.param == "duckdb":
        return Warehouse(None, tmp_path / "w.duckdb")
    return Warehouse(request.getfixturevalue("postgres_dsn"))


def test_replace_is_idempotent_and_exact(store):
    key = {"supplier_id": "s", "window_start": WINDOW}
    store.replace("raw.supplier_offers", rows(3, "10.10"), key)
    store.replace("raw.supplier_offers", rows(3, "10.10"), key)
    other = {"supplier_id": "t", "window_start": WINDOW}
    store.replace("raw.supplier_offers", [{**r, "supplier_id": "t"} for r in rows(2, "1")], other)
    data = store.read("select * from raw.supplier_offers where supplier_id = ?", ["s"])
    assert len(data) == 3
    assert {Decimal(str(p)) for p in data["price_net"]} == {Decimal("10.10")}
    assert len(store.read("select * from raw.supplier_offers")) == 5


def test_failed_write_leaves_previous_rows(store):
    key = {"supplier_id": "s", "window_start": WINDOW}
    store.replace("raw.supplier_offers", rows(3, "5.00"), key)
    broken = rows(2, "6.00") + [{"supplier_id": "s", "window_start": WINDOW,
                                 "supplier_sku": "bad", "price_net": "not a number"}]
    with pytest.raises(Exception, match="(?i)conver|invalid|decimal|numeric"):
        store.replace_slices([Slice("raw.fetch_log", [], key),
                              Slice("raw.supplier_offers", broken, key)])
    data = store.read("select price_net from raw.supplier_offers")
    assert len(data) == 3 and {Decimal(str(p)) for p in data["price_net"]} == {Decimal("5.00")}


def test_an_older_table_gains_new_columns(store):
    with store.connect() as connection:
        store.execute(connection, "create schema if not exists raw")
        store.execute(connection, "create table raw.shop_parts (part_id varchar, brand varchar)")
        store.execute(connection, "insert into raw.shop_parts values ('old', 'Apple')")
    store.append("raw.shop_parts", [{"part_id": "new", "brand": "Samsung", "ean": "123"}])
    data = store.read("select part_id, ean from raw.shop_parts order by part_id")
    assert list(data["part_id"]) == ["new", "old"]
    assert data["ean"].iloc[0] == "123" and data["ean"].iloc[1] is None


def test_a_duckdb_writer_waits_for_another_process_to_let_go(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(2); c.close()", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        store = Warehouse(None, path)
        store.replace("raw.supplier_offers", rows(3, "9.99"), where={"supplier_id": "s"})
    finally:
        holder.wait(timeout=30)
    assert len(store.read("select * from raw.supplier_offers")) == 3
